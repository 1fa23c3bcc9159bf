"""One run's records, indexed for the rules: by type and account, policies by ARN, a principal's
policy documents by every path (attached, inline, groups). Pure: records in, lookups out."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from idcensus.findings.policy import Grants, grants_of

ADMIN_POLICY_NAME = "AdministratorAccess"  # AWS-managed; counts as admin even when its document was not read
ADMIN_DOCUMENT = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def aws_managed_name(arn: str) -> str | None:
    """'AdministratorAccess' for arn:<partition>:iam::aws:policy/AdministratorAccess; None otherwise."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[4] == "aws" and parts[5].startswith("policy/"):
        return parts[5].rsplit("/", 1)[-1]
    return None


class Inventory:
    def __init__(self, records: Iterable[dict[str, Any]], *, now: datetime):
        self.now = now
        self.by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in records:
            if not r.get("deleted"):
                self.by_type[r["type"]].append(r)
        self.policies: dict[tuple[str, str], dict] = {
            (r["account_id"], r["data"]["arn"]): r["data"] for r in self.by_type["iam.policy"]}
        self.policies_by_name: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for (account_id, _), data in self.policies.items():
            self.policies_by_name[(account_id, data["name"])].append(data)
        # a user's groups are group ARNs in the export (names in older records): both find the group
        self.groups: dict[tuple[str, str], dict] = {
            (r["account_id"], key): r["data"] for r in self.by_type["iam.group"]
            for key in (r["data"]["arn"], r["data"]["name"])}
        self._grants: dict[tuple, Grants] = {}
        self._scp_caps: dict[str, tuple[Grants, ...]] = {}
        self._docs: dict[tuple, list[tuple[str, dict | None]]] = {}
        self.memo: dict[str, object] = {}  # what several rules derive once (the administrators)

    def of(self, type_: str) -> list[dict[str, Any]]:
        return self.by_type.get(type_, [])

    @cached_property
    def accounts(self) -> set[str]:
        return {r["account_id"] for rs in self.by_type.values() for r in rs}

    @cached_property
    def iam_accounts(self) -> set[str]:
        """Accounts whose IAM this run read (they have roles: every account does)."""
        return {r["account_id"] for r in self.of("iam.role")}

    @cached_property
    def org_account(self) -> str:
        """Where organization-wide records go: Identity Center's account, else the smallest account."""
        owners = [r["data"]["owner_account_id"] for r in self.of("sso.instance")]
        return min(owners) if owners else min(self.accounts, default="000000000000")

    def days_since(self, value: str | None) -> float | None:
        when = parse_time(value)
        return None if when is None else (self.now - when).total_seconds() / 86400

    def document(self, account_id: str, arn: str) -> dict | None:
        """A managed policy's document; AdministratorAccess's is known even where the run did not read it."""
        policy = self.policies.get((account_id, arn))
        if policy and policy["document"] is not None:
            return policy["document"]
        return ADMIN_DOCUMENT if aws_managed_name(arn) == ADMIN_POLICY_NAME else None

    def policy_documents(self, account_id: str, data: dict) -> list[tuple[str, dict | None]]:
        """(where, document) of a user's, group's or role's policies; a user's groups included.
        Principals without inline policies of their own share the answer (same policies, same groups)."""
        key = self._shared_key(account_id, data)
        if key is not None and key in self._docs:
            return self._docs[key]
        docs = [(arn, self.document(account_id, arn)) for arn in data.get("attached_policies") or []]
        docs += [(f"inline:{p['name']}", p["document"]) for p in data.get("inline_policies") or []]
        for ref in data.get("groups") or []:
            group = self.groups.get((account_id, ref))
            if group:
                docs += [(f"group:{group['name']}:{w}", d) for w, d in self.policy_documents(account_id, group)]
        if key is not None:
            self._docs[key] = docs
        return docs

    def grants(self, account_id: str, data: dict) -> Grants:
        """What a user, group or role may do: its policies, capped by its boundary and the SCPs."""
        key = self._shared_key(account_id, data)
        if key is not None and key in self._grants:
            return self._grants[key]
        grants = grants_of([d for _, d in self.policy_documents(account_id, data)]).capped(self.caps(account_id, data))
        if key is not None:
            self._grants[key] = grants
        return grants

    def caps(self, account_id: str, data: dict) -> tuple[Grants, ...]:
        """The principal's permissions boundary (when its document was read) and its account's SCPs."""
        boundary = self.managed_grants(account_id, data.get("permissions_boundary"))
        return (*((boundary,) if boundary else ()), *self.scp_caps(account_id))

    def managed_grants(self, account_id: str, arn: str | None) -> Grants | None:
        """A managed policy's grants; None when there is none or its document was not read (then it
        caps nothing here: an unknown boundary must not hide an administrator)."""
        document = self.document(account_id, arn) if arn else None
        return grants_of([document]) if document is not None else None

    def scp_caps(self, account_id: str) -> tuple[Grants, ...]:
        """One cap per level from the organization's root down to the account: the SCPs attached there.
        None for the management account (SCPs never apply to it), nor where SCPs are not enabled or the
        run did not read the organization's tree; a level whose SCPs were not all read is left out."""
        if account_id not in self._scp_caps:
            self._scp_caps[account_id] = self._levels_of(account_id)
        return self._scp_caps[account_id]

    def _levels_of(self, account_id: str) -> tuple[Grants, ...]:
        nodes = {r["data"]["id"]: r for r in self.of("org.organizational_unit")}
        roots = [r for r in nodes.values() if r["data"]["type"] == "ROOT"]
        if not roots or "SERVICE_CONTROL_POLICY" not in roots[0]["data"]["policy_types"] \
                or account_id == roots[0]["account_id"]:
            return ()
        parent = next((n for n in nodes.values() if account_id in n["data"]["accounts"]), None)
        if parent is None:
            return ()
        chain = [account_id]
        while parent is not None:
            chain.append(parent["data"]["id"])
            parent = nodes.get(parent["data"]["parent_id"])
        attached = self._scps_by_target
        return tuple(grants_of(attached[level]) for level in reversed(chain)
                     if attached.get(level) and all(d is not None for d in attached[level]))

    @cached_property
    def _scps_by_target(self) -> dict[str, list[dict | None]]:
        """Root, OU or account ID -> the documents of the SCPs attached to it (None: not read)."""
        attached: dict[str, list[dict | None]] = defaultdict(list)
        for r in self.of("org.policy"):
            if r["data"]["type"] == "SERVICE_CONTROL_POLICY":
                for target in r["data"]["targets"]:
                    attached[target["target_id"]].append(r["data"]["document"])
        return attached

    @staticmethod
    def _shared_key(account_id: str, data: dict) -> tuple | None:
        if data.get("inline_policies") and "members" not in data:  # a group's inline policies are shared
            return None
        return (account_id, data.get("arn") if "members" in data else None,
                tuple(data.get("attached_policies") or ()), tuple(data.get("groups") or ()),
                data.get("permissions_boundary"))
