"""Answers for the calls moto lacks (see MOTO_NOTES.md), as botocore hooks.

The answers are recorded real-shape responses, so the collector code path runs unchanged. They
are instance data: `Recorded` holds what the seeds made (permission-set boundaries and tags, EKS
access entries...), installs its hooks on a ClientFactory the emulator or a test builds, and is
saved to a file so a child `idcensus` process answers exactly as its parent (see cli.py).
Production code never imports this package.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from botocore.awsrequest import AWSResponse

from idcensus.collect.identity_center import NOT_LATEST

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"

# Root row as AWS writes it: root has no creation-time password flag ("not_supported").
ROOT_ROW = (
    "<root_account>,arn:aws:iam::{account}:root,{created},not_supported,{last_used},not_supported,"
    "not_supported,{mfa},false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A"
)


ROOT_LAST_USED = "2026-10-30T17:02:44+00:00"


# A recorded ListServiceSpecificCredentials entry (shape as AWS returns it), keyed by user name:
# every emulated account that has this user answers with it.
SERVICE_CREDENTIALS = {
    "ci-deploy": [
        {
            "Status": "Active",
            "ServiceUserName": "ci-deploy-at-000000000000",
            "CreateDate": "2025-03-02T10:00:00Z",
            "ServiceSpecificCredentialId": "ACCAEXAMPLE0000000001",
            "ServiceName": "codecommit.amazonaws.com",
        }
    ]
}


# Capabilities whose `idcensus check` probe a hook below answers: the answer comes before moto's IAM
# enforcement, so the emulator shows them granted even where the read role lacks them.
PROBES_ANSWERED_BY_HOOKS = frozenset({
    "sso.applications", "accessanalyzer.findings", "resources.bedrock.guardrails",
    "resources.bedrock.inference_profiles", "resources.bedrock.prompts", "resources.bedrock.imported_models",
    "resources.bedrock.provisioned_throughput"})


@dataclass
class Recorded:
    """Everything the emulator answers beyond moto, for one emulated organization."""

    service_credentials: dict[str, list[dict]] = field(default_factory=lambda: copy.deepcopy(SERVICE_CREDENTIALS))
    root_mfa: bool = True
    boundaries: dict[str, dict] = field(default_factory=dict)  # permission set ARN -> boundary
    tags: dict[str, list[dict]] = field(default_factory=dict)  # permission set ARN -> tags
    outdated: dict[str, list[str]] = field(default_factory=dict)  # account -> sets not at their latest version
    eks_entries: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # cluster name -> access entries
    # "<account>:<region>" -> [{"analyzer": ListAnalyzers entry, "findings": [finding summaries]}]
    access_analyzers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # instance ARN -> [{"application": ListApplications entry, "assignments": [...]}]
    sso_applications: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    stream_policies: dict[str, str] = field(default_factory=dict)  # DynamoDB stream ARN -> policy JSON
    # "<account>:<region>" -> {"<METHOD> <path>": response body} for the Bedrock calls moto lacks
    bedrock: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def hooks(self) -> list[tuple[str, Any]]:
        return [*GapAnswers(self.service_credentials, self.root_mfa).hooks(),
                *SsoGapAnswers(self.boundaries, self.tags, self.outdated, self.sso_applications).hooks(),
                *EksAccessEntries(self.eks_entries).hooks(),
                *AccessAnalyzerAnswers(self.access_analyzers).hooks(),
                *StreamPolicies(self.stream_policies).hooks(),
                *BedrockAnswers(self.bedrock).hooks()]

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(json.dumps(asdict(self), indent=1, sort_keys=True))
        return path

    @classmethod
    def load(cls, path: str | Path) -> Recorded:
        return cls(**json.loads(Path(path).read_text()))


class GapAnswers:
    """IAM answers moto 5.2 lacks: service-specific credentials, and the root row of the credential report."""

    def __init__(self, service_credentials: dict[str, list[dict]] | None = None, root_mfa: bool = True):
        self.service_credentials = SERVICE_CREDENTIALS if service_credentials is None else service_credentials
        self.root_mfa = root_mfa

    def hooks(self):
        return [
            ("before-send.iam.ListServiceSpecificCredentials", self.list_service_specific_credentials),
            ("after-call.iam.GetCredentialReport", self.add_root_row),
        ]

    def list_service_specific_credentials(self, request, **_):
        members = "".join(
            "<member>"
            f"<UserName>{escape(user)}</UserName><Status>{c['Status']}</Status>"
            f"<ServiceUserName>{escape(c['ServiceUserName'])}</ServiceUserName>"
            f"<CreateDate>{c['CreateDate']}</CreateDate>"
            f"<ServiceSpecificCredentialId>{c['ServiceSpecificCredentialId']}</ServiceSpecificCredentialId>"
            f"<ServiceName>{c['ServiceName']}</ServiceName>"
            "</member>"
            for user, creds in sorted(self.service_credentials.items())
            for c in creds
        )
        body = (
            f'<ListServiceSpecificCredentialsResponse xmlns="{IAM_NS}"><ListServiceSpecificCredentialsResult>'
            f"<ServiceSpecificCredentials>{members}</ServiceSpecificCredentials><IsTruncated>false</IsTruncated>"
            "</ListServiceSpecificCredentialsResult><ResponseMetadata><RequestId>idcensus-emulator</RequestId>"
            "</ResponseMetadata></ListServiceSpecificCredentialsResponse>"
        )
        return answer(request, 200, body.encode())

    def add_root_row(self, parsed, **_):
        content = parsed.get("Content")
        if not content:
            return
        # moto writes the report at call time but stamps a fixed 2015 GeneratedTime. AWS serves one report
        # for up to 4 hours: stamp it just after the newest user it holds, so it covers every user and an
        # unchanged account gets the same report time run after run, as from AWS's cache.
        parsed["GeneratedTime"] = report_time(content.decode())
        lines = content.decode().splitlines()
        if len(lines) < 2 or any(line.startswith("<root_account>") for line in lines):
            return
        account = lines[1].split(",")[1].split(":")[4]
        root = ROOT_ROW.format(account=account, created="2020-01-01T00:00:00+00:00", last_used=ROOT_LAST_USED,
                               mfa=str(self.root_mfa).lower())
        parsed["Content"] = "\n".join([lines[0], root, *lines[1:]]).encode() + b"\n"


def report_time(content: str) -> datetime:
    created = [datetime.fromisoformat(line.split(",")[2]) for line in content.splitlines()[1:] if line.count(",") > 2]
    return max(created) + timedelta(seconds=1) if created else datetime.now(UTC)


def answer(request, status: int, body: bytes) -> AWSResponse:
    """A response for botocore to parse. The mark tells an in-process moto to stand aside:
    botocore runs every before-send handler, and in-process moto would answer too."""
    request.answered_by_hook = True
    return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, _Raw(body))


class _Raw:
    """The minimal raw-body object AWSResponse reads from."""

    def __init__(self, data: bytes):
        self._data = data

    def stream(self, **_):
        yield self._data

    def read(self, *_):
        data, self._data = self._data, b""
        return data


NO_BOUNDARY = {"__type": "com.amazonaws.swbadmin#ResourceNotFoundException",
               "Message": "Permissions boundary not found for permission set"}


class SsoGapAnswers:
    """before-send hooks with recorded real-shape sso-admin responses, keyed by permission set
    ARN: permissions boundaries and tags (moto has neither), and the ProvisioningStatus-filtered
    provisioned listing (moto ignores the filter; by default no set is outdated); applications and
    their assignments (moto has none), by instance ARN."""

    def __init__(self, boundaries: dict[str, dict] | None = None, tags: dict[str, list[dict]] | None = None,
                 outdated: dict[str, list[str]] | None = None,
                 applications: dict[str, list[dict[str, Any]]] | None = None):
        self.boundaries = boundaries or {}
        self.tags = tags or {}
        self.outdated = outdated or {}  # account id -> permission set ARNs not at their latest version
        self.applications = SsoApplications(applications)

    def hooks(self):
        return [*self.applications.hooks(),
            ("before-send.sso-admin.GetPermissionsBoundaryForPermissionSet", self.boundary),
            ("before-send.sso-admin.ListTagsForResource", self.list_tags),
            ("before-send.sso-admin.ListPermissionSetsProvisionedToAccount", self.not_latest),
        ]

    def boundary(self, request, **_):
        found = self.boundaries.get(_body(request)["PermissionSetArn"])
        if found is None:
            return json_answer(request, 400, NO_BOUNDARY)
        return json_answer(request, 200, {"PermissionsBoundary": found})

    def list_tags(self, request, **_):
        return json_answer(request, 200, {"Tags": self.tags.get(_body(request)["ResourceArn"], [])})

    def not_latest(self, request, **_):
        body = _body(request)
        if body.get("ProvisioningStatus") != NOT_LATEST:
            return None  # the unfiltered listing is moto's
        return json_answer(request, 200, {"PermissionSets": self.outdated.get(body["AccountId"], [])})


def _body(request) -> dict:
    return json.loads(request.body or b"{}")


def json_answer(request, status: int, body: dict) -> AWSResponse:
    request.answered_by_hook = True  # tells an in-process moto to stand aside (see answer)
    return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"},
                       _Raw(json.dumps(body).encode()))


class EksAccessEntries:
    """before-send hooks answering EKS access-entry calls from recorded entries (moto 5.2 has none)."""

    PATH = re.compile(r"/clusters/(?P<cluster>[^/]+)/access-entries(?:/(?P<principal>[^/]+)(?P<policies>/access-policies)?)?$")

    def __init__(self, entries: dict[str, list[dict[str, Any]]] | None = None):
        self.entries = entries or {}

    def hooks(self):
        return [(f"before-send.eks.{op}", self.answer)
                for op in ("ListAccessEntries", "DescribeAccessEntry", "ListAssociatedAccessPolicies")]

    def answer(self, request, **_):
        match = self.PATH.search(request.url.split("?", 1)[0])
        if not match:
            return None
        cluster = unquote(match["cluster"])
        entries = self.entries.get(cluster, [])
        if not match["principal"]:
            return _json(request, 200, {"accessEntries": [e["accessEntry"]["principalArn"] for e in entries]})
        principal = unquote(match["principal"])
        found = next((e for e in entries if e["accessEntry"]["principalArn"] == principal), None)
        if found is None:
            return _json(request, 404, {"message": f"access entry {principal} not found"},
                         "ResourceNotFoundException")
        if match["policies"]:
            return _json(request, 200, {"clusterName": cluster, "principalArn": principal,
                                        "associatedAccessPolicies": found["policies"]})
        return _json(request, 200, {"accessEntry": found["accessEntry"]})


def _json(request, status: int, body: dict, error: str | None = None) -> AWSResponse:
    request.answered_by_hook = True  # in-process moto stands aside (see answer)
    headers = {"Content-Type": "application/json"}
    if error:
        headers["x-amzn-ErrorType"] = error
    return AWSResponse(request.url, status, headers, _Raw(json.dumps(body).encode()))


ACCOUNT_HEADER = "x-idcensus-emulated-account"
REGION_HEADER = "x-idcensus-emulated-region"


class CallerAccount:
    """Which account and region a request is made as, for answers that differ by both. A
    before-call hook (it sees the client's credentials and region) asks STS once per access key and
    marks the request with headers the before-send hook reads: against the emulator's server the
    URL names neither. Works in-process too."""

    def __init__(self):
        self.known: dict[str, str] = {}

    def mark(self, params, request_signer, **_):
        creds = request_signer._credentials.get_frozen_credentials()  # noqa: SLF001 - the signer's own
        if creds.access_key not in self.known:
            import boto3

            sts = boto3.client("sts", region_name=request_signer._region_name, aws_access_key_id=creds.access_key,  # noqa: SLF001
                               aws_secret_access_key=creds.secret_key, aws_session_token=creds.token)
            self.known[creds.access_key] = sts.get_caller_identity()["Account"]
        params["headers"][ACCOUNT_HEADER] = self.known[creds.access_key]
        params["headers"][REGION_HEADER] = request_signer._region_name  # noqa: SLF001

    @staticmethod
    def of(request) -> tuple[str, str]:
        """(account, region) the request was marked with."""
        def header(name: str) -> str:
            value = request.headers.get(name, "")
            return value.decode() if isinstance(value, bytes) else value
        return header(ACCOUNT_HEADER), header(REGION_HEADER)


class AccessAnalyzerAnswers:
    """IAM Access Analyzer (moto 5.2 has none): recorded analyzers and finding summaries, by account and region."""

    def __init__(self, analyzers: dict[str, list[dict[str, Any]]] | None = None):
        self.analyzers = analyzers or {}
        self.caller = CallerAccount()

    def hooks(self):
        ops = ("ListAnalyzers", "ListFindings", "ListFindingsV2")
        return [*((f"before-call.accessanalyzer.{op}", self.caller.mark) for op in ops),
                *((f"before-send.accessanalyzer.{op}", self.answer) for op in ops)]

    def answer(self, request, **_):
        account, region = CallerAccount.of(request)
        entries = self.analyzers.get(f"{account}:{region}", [])
        if request.url.split("?", 1)[0].endswith("/analyzer"):
            return _json(request, 200, {"analyzers": [e["analyzer"] for e in entries]})
        arn = _body(request)["analyzerArn"]
        found = next((e for e in entries if e["analyzer"]["arn"] == arn), None)
        if found is None:
            return _json(request, 404, {"message": f"analyzer {arn} not found"}, "ResourceNotFoundException")
        return _json(request, 200, {"findings": [f for f in found["findings"] if f.get("status") == "ACTIVE"]})


class SsoApplications:
    """Identity Center applications and their assignments (moto 5.2 has neither), by instance ARN."""

    def __init__(self, applications: dict[str, list[dict[str, Any]]] | None = None):
        self.applications = applications or {}

    def hooks(self):
        return [("before-send.sso-admin.ListApplications", self.list_applications),
                ("before-send.sso-admin.ListApplicationAssignments", self.list_assignments),
                ("before-send.sso-admin.GetApplicationAssignmentConfiguration", self.assignment_required)]

    def _find(self, arn: str) -> dict | None:
        return next((e for entries in self.applications.values() for e in entries
                     if e["application"]["ApplicationArn"] == arn), None)

    def list_applications(self, request, **_):
        entries = self.applications.get(_body(request)["InstanceArn"], [])
        return json_answer(request, 200, {"Applications": [e["application"] for e in entries]})

    def list_assignments(self, request, **_):
        found = self._find(_body(request)["ApplicationArn"])
        if found is None:
            return self._gone(request)
        return json_answer(request, 200, {"ApplicationAssignments": found["assignments"]})

    def assignment_required(self, request, **_):
        found = self._find(_body(request)["ApplicationArn"])
        if found is None:
            return self._gone(request)
        return json_answer(request, 200, {"AssignmentRequired": found.get("assignment_required", True)})

    @staticmethod
    def _gone(request):
        return json_answer(request, 400, {"__type": "com.amazonaws.swbadmin#ResourceNotFoundException",
                                          "Message": "Application not found"})


class StreamPolicies:
    """GetResourcePolicy of a DynamoDB stream (moto reads a stream ARN as a table name); tables stay moto's."""

    NONE = {"__type": "com.amazonaws.dynamodb.v20120810#PolicyNotFoundException",
            "message": "Resource-based policy not found for the provided ResourceArn"}

    def __init__(self, policies: dict[str, str] | None = None):
        self.policies = policies or {}

    def hooks(self):
        return [("before-send.dynamodb.GetResourcePolicy", self.answer)]

    def answer(self, request, **_):
        arn = _body(request).get("ResourceArn", "")
        if "/stream/" not in arn:
            return None
        if arn not in self.policies:
            return json_answer(request, 400, self.NONE)
        return json_answer(request, 200, {"Policy": self.policies[arn], "RevisionId": "1764000000000"})


class BedrockAnswers:
    """The Bedrock calls moto 5.2 lacks (guardrails, inference profiles, provisioned throughput,
    imported models, prompts, agent aliases, data sources), answered from recorded real-shape bodies
    by account, region, method and path; a listing nobody recorded answers empty."""

    OPERATIONS = {"bedrock": ("ListGuardrails", "ListInferenceProfiles", "ListProvisionedModelThroughputs",
                              "ListImportedModels", "GetImportedModel", "GetModelImportJob"),
                  "bedrock-agent": ("ListPrompts", "ListAgentAliases", "ListDataSources", "GetDataSource")}
    EMPTY = (("/guardrails", "guardrails"), ("/inference-profiles", "inferenceProfileSummaries"),
             ("/provisioned-model-throughputs", "provisionedModelSummaries"), ("/imported-models", "modelSummaries"),
             ("/prompts", "promptSummaries"), ("/agentaliases", "agentAliasSummaries"),
             ("/datasources", "dataSourceSummaries"))

    def __init__(self, answers: dict[str, dict[str, dict[str, Any]]] | None = None):
        self.answers = answers or {}
        self.caller = CallerAccount()

    def hooks(self):
        ops = [(svc, op) for svc, names in self.OPERATIONS.items() for op in names]
        return [*((f"before-call.{svc}.{op}", self.caller.mark) for svc, op in ops),
                *((f"before-send.{svc}.{op}", self.answer) for svc, op in ops)]

    def answer(self, request, **_):
        from urllib.parse import urlsplit

        account, region = CallerAccount.of(request)
        path = unquote(urlsplit(request.url).path).rstrip("/")
        found = self.answers.get(f"{account}:{region}", {}).get(f"{request.method} {path}")
        if found is not None:
            return _json(request, 200, found)
        for suffix, key in self.EMPTY:
            if path.endswith(suffix):
                return _json(request, 200, {key: []})
        return _json(request, 404, {"message": f"{path} not found"}, "ResourceNotFoundException")
