"""IAM identity providers (SAML and OIDC), linked to the roles whose trust policy names them.

Two listings, one Get per provider (the listings lack the metadata, client IDs and thumbprints;
the Gets carry the tags), and, only when a provider exists, one paginated ListRoles for the trust
policies. The SAML metadata document is parsed with the standard library after refusing any DTD:
metadata never needs one, and without it there are no entities to expand.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from idcensus.aws import paginate
from idcensus.collect.contract import Context, Scope, each
from idcensus.collect.documents import policy_document, tags, timestamp
from idcensus.collect.resources.policies import statements
from idcensus.errors import translate
from idcensus.model.governance import IdentityProvider, SamlMetadata
from idcensus.model.records import Item

log = logging.getLogger("idcensus")
RECORD_TYPE = "iam.identity_provider"
MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"


@dataclass(frozen=True)
class Raw:
    saml: list[tuple[str, dict]]  # (ARN, GetSAMLProvider's answer)
    oidc: list[tuple[str, dict]]  # (ARN, GetOpenIDConnectProvider's answer)
    roles: list[dict] | None  # ListRoles entries (None: not listed)


def get(ctx: Context, region: str | None) -> Raw:
    iam = ctx.client("iam")
    saml_arns = [p["Arn"] for p in iam.list_saml_providers().get("SAMLProviderList", [])]  # not paginated
    oidc_arns = [p["Arn"] for p in iam.list_open_id_connect_providers().get("OpenIDConnectProviderList", [])]
    saml = each(lambda a: (a, iam.get_saml_provider(SAMLProviderArn=a)), saml_arns, ctx.workers)
    oidc = each(lambda a: (a, iam.get_open_id_connect_provider(OpenIDConnectProviderArn=a)), oidc_arns, ctx.workers)
    roles = None
    if saml or oidc:
        try:
            roles = paginate(iam, "list_roles", "Roles")
        except Exception as exc:  # noqa: BLE001 - the providers stand; only their links are unknown
            log.warning("identity providers of %s not linked to roles: %s", ctx.account_id,
                        translate(exc, "iam:ListRoles"))
    return Raw(saml=saml, oidc=oidc, roles=roles)


def transform(raw: Raw, scope: Scope) -> list[Item]:
    trusts = None if raw.roles is None else {r["Arn"]: federated(r.get("AssumeRolePolicyDocument")) for r in raw.roles}

    def linked(arn: str) -> list[str] | None:
        return None if trusts is None else sorted(role for role, names in trusts.items() if arn in names)

    items: list[Item] = []
    for arn, p in raw.saml:
        items.append((RECORD_TYPE, arn, IdentityProvider(
            arn=arn, type="saml", name=arn.split(":saml-provider/", 1)[-1], created_at=timestamp(p.get("CreateDate")),
            valid_until=timestamp(p.get("ValidUntil")), metadata=saml_metadata(p.get("SAMLMetadataDocument")),
            tags=tags(p.get("Tags")), trusted_by_roles=linked(arn))))
    for arn, p in raw.oidc:
        url = p.get("Url") or arn.split(":oidc-provider/", 1)[-1]
        items.append((RECORD_TYPE, arn, IdentityProvider(
            arn=arn, type="oidc", name=url.removeprefix("https://"),
            url=url if url.startswith("https://") else f"https://{url}",
            client_ids=sorted(p.get("ClientIDList") or []), thumbprints=sorted(p.get("ThumbprintList") or []),
            created_at=timestamp(p.get("CreateDate")), tags=tags(p.get("Tags")), trusted_by_roles=linked(arn))))
    return items


def federated(document) -> set[str]:
    """The Federated principals an Allow statement of a trust policy names."""
    if not document:
        return set()
    found: set[str] = set()
    for s in statements(policy_document(document)):
        principal = s.get("Principal")
        if s.get("Effect") != "Allow" or not isinstance(principal, dict):
            continue
        values = principal.get("Federated") or []
        found |= {values} if isinstance(values, str) else {v for v in values if isinstance(v, str)}
    return found


def saml_metadata(document: str | None) -> SamlMetadata | None:
    """Issuer, validity and endpoints of a SAML metadata document; `error` set when it is unreadable."""
    if not document:
        return None
    if "<!DOCTYPE" in document.upper() or "<!ENTITY" in document.upper():
        return SamlMetadata(error="metadata declares a DTD or entities: not parsed")
    try:
        root = ET.fromstring(document)  # noqa: S314 - no DTD (refused above), so no entity expansion
    except ET.ParseError as exc:
        return SamlMetadata(error=f"metadata is not well-formed XML: {exc}")
    entity = root if root.tag == f"{MD}EntityDescriptor" else root.find(f".//{MD}EntityDescriptor")
    if entity is None:
        return SamlMetadata(error="metadata has no EntityDescriptor")
    idp = entity.find(f"{MD}IDPSSODescriptor")
    keys = [] if idp is None else [k for k in idp.findall(f"{MD}KeyDescriptor") if k.get("use", "signing") == "signing"]
    until = entity.get("validUntil") or root.get("validUntil")
    try:
        valid_until = timestamp(until)
    except ValueError:
        valid_until = None
    return SamlMetadata(
        issuer=entity.get("entityID"), valid_until=valid_until,
        signing_certificates=sum(len(k.findall(f".//{DS}X509Certificate")) for k in keys),
        sso_urls=[] if idp is None else [s.get("Location") for s in idp.findall(f"{MD}SingleSignOnService")
                                         if s.get("Location")],
    )
