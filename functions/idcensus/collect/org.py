"""The organization's accounts, by walking its tree (calls grow with OUs, not accounts)."""

from __future__ import annotations

import logging
from dataclasses import replace

from idcensus.collect.contract import AccountInfo
from idcensus.errors import CapabilityDenied, ConfigError, translate

log = logging.getLogger("idcensus")


def list_active_accounts(org) -> list[AccountInfo]:
    try:
        described = org.describe_organization()["Organization"]
        org_id = described["Id"]
        roots = [r for page in org.get_paginator("list_roots").paginate() for r in page["Roots"]]
        accounts: list[AccountInfo] = []
        for root in roots:
            _walk(org, root["Id"], root.get("Name", "Root"), org_id, accounts)
        payer = described.get("MasterAccountId")
        accounts = [replace(a, management=a.account_id == payer) for a in accounts]
    except Exception as exc:  # noqa: BLE001
        err = translate(exc, "organizations")
        if isinstance(err, CapabilityDenied):
            raise ConfigError(
                f"cannot list the organization's accounts ({err}); run from the management or a "
                "delegated-admin account, or pass --accounts ID[,ID...]"
            ) from exc
        raise err from exc
    return sorted((a for a in accounts if a.status == "ACTIVE"), key=lambda a: a.account_id)


def _walk(org, parent_id: str, path: str, org_id: str, into: list[AccountInfo]) -> None:
    for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_id):
        for a in page["Accounts"]:
            into.append(
                AccountInfo(
                    account_id=a["Id"],
                    name=a.get("Name"),
                    email=a.get("Email"),
                    status=a.get("Status") or a.get("State"),
                    organization_id=org_id,
                    ou_path=path,
                    joined_at=a.get("JoinedTimestamp"),
                )
            )
    pages = org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent_id)
    for page in pages:
        for ou in page["OrganizationalUnits"]:
            _walk(org, ou["Id"], f"{path}/{ou['Name']}", org_id, into)


def management_account_id(org) -> str | None:
    """The payer account, or None outside an organization or without Organizations access."""
    try:
        return org.describe_organization()["Organization"].get("MasterAccountId")
    except Exception as exc:  # noqa: BLE001 - only billing needs it; collection goes on without
        log.warning("no management account known (%s)", translate(exc, "organizations:DescribeOrganization"))
        return None


def describe_accounts(org, account_ids: list[str], management_id: str | None = None) -> list[AccountInfo]:
    """Explicit accounts: described when Organizations answers, bare IDs when it does not."""
    infos = []
    for account_id in account_ids:
        try:
            a = org.describe_account(AccountId=account_id)["Account"]
            infos.append(
                AccountInfo(
                    account_id=account_id,
                    name=a.get("Name"),
                    email=a.get("Email"),
                    status=a.get("Status") or a.get("State"),
                    organization_id=a["Arn"].split("/")[1] if "/" in a.get("Arn", "") else None,
                    joined_at=a.get("JoinedTimestamp"),
                    management=account_id == management_id,
                )
            )
        except Exception as exc:  # noqa: BLE001 - a standalone account, or no Organizations access
            log.warning("account %s: no organization details (%s); collecting it by ID alone",
                        account_id, translate(exc, "organizations:DescribeAccount"))
            infos.append(AccountInfo(account_id=account_id, management=account_id == management_id))
    return infos
