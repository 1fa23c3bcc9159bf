"""What a set of IAM policy documents allows: statements, wildcard matching, full administrator.

Deliberately conservative: an Allow counts whatever its Resource (a path to escalate needs one
resource), a Deny subtracts only when it is unconditional on every resource. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from idcensus.policy_json import as_list, matches, statements  # noqa: F401 - re-exported to the rules


def is_admin_statement(st: dict) -> bool:
    """Allow of every action on every resource: Action "*" (or "*:*") and Resource "*"."""
    return (st.get("Effect") == "Allow" and any(a in ("*", "*:*") for a in as_list(st.get("Action")))
            and "*" in as_list(st.get("Resource")))


def admin_statements(document: dict | None) -> list[dict]:
    return [s for s in statements(document) if is_admin_statement(s)]


@dataclass(frozen=True)
class Grants:
    """The allowed and denied action patterns of a principal's policies, merged, and the caps on them
    (`within`: a permissions boundary, the SCPs of each level above the account): an action is allowed
    only where the policies and every cap allow it."""

    allow: tuple[str, ...] = ()
    not_allow: tuple[tuple[str, ...], ...] = ()  # Allow + NotAction: everything except these
    deny: tuple[str, ...] = ()
    within: tuple[Grants, ...] = ()

    def allows(self, action: str) -> bool:
        if any(matches(d, action) for d in self.deny):
            return False
        return ((any(matches(a, action) for a in self.allow)
                 or any(not any(matches(n, action) for n in excluded) for excluded in self.not_allow))
                and all(cap.allows(action) for cap in self.within))

    @property
    def allows_every_action(self) -> bool:
        """Allow "*": as a cap, it takes nothing away but what it denies by name."""
        return "*" in self.allow or "*:*" in self.allow

    def capped(self, caps: tuple[Grants, ...]) -> Grants:
        return Grants(self.allow, self.not_allow, self.deny, self.within + caps) if caps else self


def keeps_admin(caps: tuple[Grants, ...]) -> bool:
    """Whether caps leave a *:* principal a full administrator: each allows every action. Their named
    denies (guardrails such as 'never leave the organization') do not; an allow-list of services does."""
    return all(cap.allows_every_action for cap in caps)


def grants_of(documents: list[dict | None]) -> Grants:
    allow, not_allow, deny = set(), set(), set()
    for document in documents:
        for st in statements(document):
            if st.get("Effect") == "Allow":
                allow.update(a.lower() for a in as_list(st.get("Action")))
                if st.get("NotAction"):
                    not_allow.add(tuple(sorted(a.lower() for a in as_list(st["NotAction"]))))
            elif st.get("Effect") == "Deny" and not st.get("Condition") and "*" in as_list(st.get("Resource")):
                deny.update(a.lower() for a in as_list(st.get("Action")))
    return Grants(tuple(sorted(allow)), tuple(sorted(not_allow)), tuple(sorted(deny)))


def has_condition_key(st: dict, *keys: str) -> bool:
    """Whether any condition operator of the statement tests one of `keys` (case-insensitive)."""
    wanted = {k.lower() for k in keys}
    return any(k.lower() in wanted for block in (st.get("Condition") or {}).values() if isinstance(block, dict)
               for k in block)
