"""How `idcensus check` shows its report: by default one row per account (readable for hundreds),
what does not work in it and the number of its fix, each fix printed once below; `--wide` shows the
capability x account matrix instead."""

from __future__ import annotations

from dataclasses import dataclass, field

from idcensus.access_check import AccountCheckResult, CheckReport, ProbeResult

STYLE = {"ok": "green", "denied": "red", "not_enabled": "yellow", "failed": "red", "skipped": "dim"}
LABEL = {"ok": "ok", "denied": "denied", "not_enabled": "not enabled", "failed": "failed", "skipped": "-"}
SHOWN_ACCOUNTS = 10  # a fix names this many accounts; the table names them all


@dataclass
class Fix:
    text: str
    what: list[str] = field(default_factory=list)  # 'capability (missing action)', each once
    accounts: list[str] = field(default_factory=list)
    texts: set[str] = field(default_factory=set)  # as first worded for each account


def render(report: CheckReport, console, *, wide: bool = False) -> None:
    if wide:
        render_wide(report, console)
        return
    from rich.table import Table

    fixes: dict[str, Fix] = {}
    table = Table(title=f"idcensus check - role {report.role_name} - {report.checked_at}")
    for column in ("account", "name", "status", "not working \\[fix]"):  # escaped: text, not rich markup
        table.add_column(column)
    for a in report.accounts:
        state = status(a)
        table.add_row(a.account_id + (" (management)" if a.management else ""), a.name or "",
                      f"[{STATUS_STYLE[state]}]{state}[/]", not_working(a, fixes))
    console.print(table)
    console.print(tally(report), highlight=False)
    if not fixes:
        console.print("[green]every capability works in every account[/]")
        return
    console.print("[bold]problems and how to fix them[/]")
    for number, fix in enumerate(fixes.values(), 1):
        shown = fix.accounts[:SHOWN_ACCOUNTS]
        more = f" and {len(fix.accounts) - len(shown)} more" if len(fix.accounts) > len(shown) else ""
        many = "s" if len(fix.accounts) > 1 else ""
        text = next(iter(fix.texts)) if len(fix.texts) == 1 else fix.text
        console.print(f"[{number}] {text}\n    for {', '.join(fix.what)} in {len(fix.accounts)} account{many}: "
                      f"{', '.join(shown)}{more}", highlight=False, soft_wrap=True, markup=False)
    verdict(report, console)


def not_working(a: AccountCheckResult, fixes: dict[str, Fix]) -> str:
    """One line per fix the account needs: '[n] what it repairs here'."""
    if not a.reachable:
        number = _fix_number(fixes, a, "assume_role", None, a.error or "cannot assume the role")
        return f"[{number}] [red]cannot assume the role[/]"
    groups: dict[int, list[ProbeResult]] = {}
    for r in a.results:
        if r.fix:
            groups.setdefault(_fix_number(fixes, a, r.capability, r.action, r.remedy or r.fix), []).append(r)
    return "\n".join(f"[{n}] {_broken(a, group)}" for n, group in groups.items())


def _broken(a: AccountCheckResult, group: list[ProbeResult]) -> str:
    """The capabilities one fix repairs in an account; a whole tier in the same state in a few words
    (its capabilities and actions are named once, in the fix)."""
    tier, outcome = group[0].tier, group[0].outcome
    probed = [r for r in a.results if r.tier == tier and r.outcome != "skipped"]
    if len(group) > 2 and all(r.tier == tier and r.outcome == outcome for r in group) and len(probed) == len(group):
        return f"all {len(group)} {tier} capabilities [{STYLE.get(outcome, 'white')}]{LABEL.get(outcome, outcome)}[/]"
    return ", ".join(f"{r.capability} {cell(r)}" for r in group)


def _fix_number(fixes: dict[str, Fix], a: AccountCheckResult, capability: str, action: str | None,
                text: str) -> int:
    """The fix's number (from 1), adding it when new. Texts that differ only by the account they name
    (the assume-role explanations) are one fix."""
    key = text.replace(a.account_id, "<account>")
    fix = fixes.setdefault(key, Fix(key))
    what = capability + (f" ({action})" if action else "")
    if what not in fix.what:
        fix.what.append(what)
    if a.account_id not in fix.accounts:
        fix.accounts.append(a.account_id)
        fix.texts.add(text)
    return list(fixes).index(key) + 1


def status(a: AccountCheckResult) -> str:
    """ok | partial (Tier 1 works, something optional does not) | Tier 1 fails | unreachable"""
    if not a.reachable:
        return "unreachable"
    if not a.tier1_ok:
        return "Tier 1 fails"
    return "partial" if any(r.fix for r in a.results) else "ok"


STATUS_STYLE = {"ok": "green", "partial": "yellow", "Tier 1 fails": "red", "unreachable": "red"}


def tally(report: CheckReport) -> str:
    counts = dict.fromkeys(STATUS_STYLE, 0)
    for a in report.accounts:
        counts[status(a)] += 1
    return f"{len(report.accounts)} accounts: " + ", ".join(f"{n} {what}" for what, n in counts.items() if n)


def verdict(report: CheckReport, console) -> None:
    if report.ok:
        console.print("[yellow]Tier 1 works everywhere: the census can run; the rest are optional tiers.[/]")
    else:
        console.print("[red]Tier 1 (required) fails in: "
                      f"{', '.join(a.account_id for a in report.accounts if not a.tier1_ok)}[/]")


def render_wide(report: CheckReport, console) -> None:
    """The table (capability x account) and then one line per fix, each fix once."""
    from rich.table import Table

    table = Table(title=f"idcensus check - role {report.role_name} - {report.checked_at}")
    table.add_column("tier")
    table.add_column("capability")
    for a in report.accounts:
        table.add_column(f"{a.account_id}{' (management)' if a.management else ''}\n{a.name or ''}".strip())
    rows: dict[str, tuple[str, dict[str, str]]] = {}
    for a in report.accounts:
        for r in a.results:
            rows.setdefault(r.capability, (r.tier, {}))[1][a.account_id] = cell(r)
    table.add_row("", "assume role", *(
        "[green]ok[/]" if a.reachable else "[red]cannot assume[/]" for a in report.accounts))
    for name, (tier, cells) in rows.items():
        table.add_row(tier, name, *(cells.get(a.account_id, "[red]-[/]") for a in report.accounts))
    console.print(table)
    problems = report.problems()
    if not problems:
        console.print("[green]every capability works in every account[/]")
        return
    console.print("[bold]problems and how to fix them[/]")
    for fix, where in problems.items():
        console.print(f"- {', '.join(where)}:\n  {fix}", highlight=False, soft_wrap=True)
    verdict(report, console)


def cell(r: ProbeResult) -> str:
    text = LABEL.get(r.outcome, r.outcome)
    if r.outcome == "denied" and r.action:
        text += f" ({r.action})"
    return f"[{STYLE.get(r.outcome, 'white')}]{text}[/]"
