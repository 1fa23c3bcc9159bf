"""Fields a vendor wants that the collection used to drop: signing certificates, SSH public keys,
policies' ID and description, roles' description and instance profiles, root key use."""

from __future__ import annotations

import datetime as dt
import json

import boto3
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from tests.aws.conftest import ACCOUNT, factory

from idcensus.collect import credentials as cred
from idcensus.collect.account import collect_account
from idcensus.collect.contract import AccountInfo


def certificate_and_ssh_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ci-deploy")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    ssh = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return cert.public_bytes(serialization.Encoding.PEM).decode(), ssh.decode()


def test_certificates_ssh_keys_descriptions_and_profiles(seeded):
    iam = boto3.client("iam")
    pem, ssh = certificate_and_ssh_key()
    cert_id = iam.upload_signing_certificate(UserName="ci-deploy", CertificateBody=pem)["Certificate"]["CertificateId"]
    git = iam.create_policy(PolicyName="git-read", Description="read the repositories", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "codecommit:Git*", "Resource": "*"}]}))
    iam.attach_user_policy(UserName="bob", PolicyArn=git["Policy"]["Arn"])
    ssh_id = iam.upload_ssh_public_key(UserName="bob", SSHPublicKeyBody=ssh)["SSHPublicKey"]["SSHPublicKeyId"]
    iam.update_role_description(RoleName="app-instance", Description="the app's instances")

    f = factory()
    result = collect_account(f, AccountInfo(ACCOUNT))
    users = {u.name: u for u in result.users}
    assert [(c.id, c.status) for c in users["ci-deploy"].signing_certificates] == [(cert_id, "Active")]
    assert users["carol"].signing_certificates == []  # her report row shows no certificate: not asked
    assert f.counter.calls["iam.ListSigningCertificates"] == 1
    assert [k.id for k in users["bob"].ssh_public_keys] == [ssh_id]
    assert users["carol"].ssh_public_keys is None  # cannot use CodeCommit: not asked
    assert users["alice"].ssh_public_keys == []  # an administrator may: asked
    assert f.counter.calls["iam.ListSSHPublicKeys"] == 2
    policy = next(p for p in result.policies if p.name == "git-read")
    assert policy.description == "read the repositories" and policy.policy_id == git["Policy"]["PolicyId"]
    role = next(r for r in result.roles if r.name == "app-instance")
    assert role.description == "the app's instances"  # from ListRoles: GAAD has none
    (profile,) = role.instance_profile_details
    assert (profile.name, profile.path, profile.arn) == ("app-instance", "/", role.instance_profiles[0])
    assert profile.id and profile.created_at is not None
    assert result.account.collection.capabilities["iam.policy_descriptions"] == "ok"


def test_root_key_last_use_keeps_service_and_region(data_dir):
    rows = cred.parse_credential_report((data_dir / "credential_report.csv").read_text())
    (key,) = cred.transform_root(cred.root_row(rows)).access_keys
    assert (key.last_used_service, key.last_used_region) == ("s3", "us-east-1")
