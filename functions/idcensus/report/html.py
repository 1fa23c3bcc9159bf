"""The report as one self-contained HTML page: inline CSS and a little inline JS (sort by a header
click, filter by typing), no fonts, scripts or images from anywhere, so it opens from disk or S3."""

from __future__ import annotations

from html import escape
from typing import Any

from idcensus.report.sections import SEVERITIES, Report, Table, build

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0 0 4px;font-size:20px}
header .run{opacity:.8;font-size:13px}nav{padding:8px 24px;background:#fff;border-bottom:1px solid #dde1e7;
position:sticky;top:0;z-index:2}nav a{margin-right:14px;color:#2456a6;text-decoration:none}
main{padding:8px 24px 40px}section{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:16px 0;
padding:12px 16px}h2{font-size:16px;margin:4px 0 10px}.cards{display:flex;gap:10px;flex-wrap:wrap}
.card{border:1px solid #dde1e7;border-radius:6px;padding:8px 14px;min-width:90px;background:#fafbfc}
.card b{display:block;font-size:20px}.wrap{overflow:auto;max-height:520px}
table{border-collapse:collapse;width:100%;font-size:13px}th,td{border-bottom:1px solid #eceff3;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f0f2f5;cursor:pointer;position:sticky;top:0;white-space:nowrap}
th.asc:after{content:" \\25B2"}th.desc:after{content:" \\25BC"}td.num{text-align:right}
input.filter{margin:0 0 8px;padding:4px 8px;width:280px;border:1px solid #c5cbd3;border-radius:4px}
.empty{color:#6b7380;font-style:italic}.count{color:#6b7380;font-size:12px;margin-left:8px}
.v-ok{background:#e3f4e6}.v-denied,.v-failed,.v-partial{background:#fde2e1}.v-skipped,.v-not_enabled{background:#f1f1f1}
.v-critical{background:#7d1a1a;color:#fff}.v-high{background:#fde2e1}.v-medium{background:#fff1d6}
.v-low{background:#e8f0fb}.v-created{background:#e3f4e6}.v-deleted{background:#fde2e1}.v-updated{background:#fff1d6}
.v-never{background:#f1f1f1}.v-over{background:#fff1d6}
"""

JS = """
function cellValue(row,i){var t=row.cells[i]?row.cells[i].textContent.trim():"";var n=Number(t);
return t!==""&&!isNaN(n)?n:t.toLowerCase();}
document.querySelectorAll("table.data").forEach(function(table){
  table.querySelectorAll("th").forEach(function(th,i){th.addEventListener("click",function(){
    var asc=!th.classList.contains("asc");table.querySelectorAll("th").forEach(function(h){h.classList.remove("asc","desc");});
    th.classList.add(asc?"asc":"desc");var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
    rows.sort(function(a,b){var x=cellValue(a,i),y=cellValue(b,i);return (x<y?-1:x>y?1:0)*(asc?1:-1);});
    rows.forEach(function(r){body.appendChild(r);});});});});
document.querySelectorAll("input.filter").forEach(function(input){
  input.addEventListener("input",function(){var table=document.getElementById(input.dataset.table);
    var words=input.value.toLowerCase().split(/\\s+/).filter(Boolean);var shown=0;
    Array.prototype.forEach.call(table.tBodies[0].rows,function(r){var text=r.textContent.toLowerCase();
      var ok=words.every(function(w){return text.indexOf(w)>=0;});r.style.display=ok?"":"none";if(ok)shown++;});
    document.getElementById(input.dataset.table+"-count").textContent=shown+" shown";});});
"""

SECTIONS = (("coverage", "Coverage"), ("identities", "Identities"), ("findings", "Findings"), ("people", "People"),
            ("changes", "Changes"), ("freshness", "Activity"), ("reach", "Who reaches which account"))


def page(records: list[dict[str, Any]], changes: list[dict[str, Any]], manifest: dict[str, Any], *,
         max_rows: int | None = None) -> str:
    """The report of one run: its records, its changes feed and its manifest, as one page."""
    return render(build(records, changes, manifest), max_rows=max_rows)


def render(report: Report, max_rows: int | None = None) -> str:
    """The page; `max_rows` keeps each table to its first rows (the page written for every run of a
    large organization stays one a browser opens), saying how many were left out."""
    run = report.run
    body = [
        f"<header><h1>idcensus report</h1><div class=run>run <b>{_e(run['run_id'])}</b> · finished "
        f"{_e(run['finished_at'])} · previous run {_e(run['previous_run_id'] or 'none')} · schema "
        f"{_e(run['schema_version'])}</div></header>",
        "<nav>" + "".join(f'<a href="#{key}">{title}</a>' for key, title in SECTIONS) + "</nav><main>",
        _cards("summary", "At a glance", report.summary),
        # every account's coverage is shown, whatever the cap: it says what to fix
        _section("coverage", "Coverage: what each account's read could see, and what to fix", report.coverage),
        _section("identities", "Identities by account and type", report.identities, max_rows=max_rows),
        _section("findings", "Findings by severity", report.findings,
                 _cards_inline({s: report.findings_by_severity.get(s, 0) for s in SEVERITIES}, "severity"), max_rows),
        _section("people", "People and what they reach", report.people, max_rows=max_rows),
        _section("changes", "Changes since the previous run", report.changes, max_rows=max_rows),
        _section("freshness", "Activity freshness (users and roles)", report.freshness,
                 _cards_inline(dict(sorted(report.freshness_summary.items())), "fresh"), max_rows),
        _reach(report, max_rows),
        "</main>",
    ]
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            "<meta name=viewport content='width=device-width, initial-scale=1'>"
            f"<title>idcensus report {_e(run['run_id'])}</title><style>{CSS}</style></head><body>"
            + "\n".join(body) + f"<script>{JS}</script></body></html>\n")


def _reach(report: Report, max_rows: int | None) -> str:
    parts = [_section("reach", "Who reaches which account", report.reach, max_rows=max_rows)]
    if report.reach_matrix is not None:
        parts.insert(0, _section("reach-matrix", "Who reaches which account: matrix (principal x account)",
                                 report.reach_matrix, max_rows=max_rows))
    return "\n".join(parts)


def _section(key: str, title: str, table: Table, before: str = "", max_rows: int | None = None) -> str:
    return f"<section id={key}><h2>{_e(title)}</h2>{before}{_table(key, table, max_rows)}</section>"


def _table(key: str, table: Table, max_rows: int | None = None) -> str:
    if not table.rows:
        return f"<p class=empty data-empty={key}>{_e(table.empty)}</p>"
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    shown = table.rows if max_rows is None else table.rows[:max_rows]
    rows = "".join("<tr>" + "".join(_cell(v, table.classes.get(i)) for i, v in enumerate(row)) + "</tr>"
                   for row in shown)
    left_out = (f"<p class=empty data-left-out={key}>the first {len(shown):,} of {len(table.rows):,} rows: "
                "<code>idcensus report</code> writes them all, <code>idcensus query</code> selects</p>"
                if len(shown) < len(table.rows) else "")
    return (f"{left_out}<input class=filter data-table={key}-table placeholder='filter rows'>"
            f"<span class=count id={key}-table-count>{len(shown)} rows</span>"
            f"<div class=wrap><table class=data id={key}-table><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def _cell(value: Any, kind: str | None) -> str:
    classes = []
    if isinstance(value, int | float):
        classes.append("num")
    if kind and value not in (None, ""):
        classes.append("v-" + str(value).split()[0].lower())
    attr = f" class='{' '.join(classes)}'" if classes else ""
    return f"<td{attr}>{_e('' if value is None else value)}</td>"


def _cards(key: str, title: str, values: dict[str, Any]) -> str:
    return f"<section id={key}><h2>{_e(title)}</h2>{_cards_inline(values)}</section>"


def _cards_inline(values: dict[str, Any], kind: str | None = None) -> str:
    cards = "".join(f"<div class='card{' v-' + k.split()[0] if kind else ''}' data-card='{_e(k)}'><b>{_e(v)}</b>{_e(k)}</div>"
                    for k, v in values.items())
    return f"<div class=cards>{cards}</div>"


def _e(value: Any) -> str:
    return escape(str(value), quote=True)
