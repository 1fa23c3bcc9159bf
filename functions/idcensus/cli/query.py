"""`idcensus query "SQL"`: SQL (DuckDB) over a pulled folder or a DuckDB file built by `pull --duckdb`.

Tables: one per record type (iam.user -> iam_user, sso.account_assignment -> sso_account_assignment,
...) as of the newest pulled run, `changes` and `runs`; a record's fields are under `data`
(`data.mfa.enabled`). EXAMPLES are the documented starting points (docs/vendor.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from idcensus.cli.failures import EXIT_OK
from idcensus.errors import ConfigError

EXAMPLES = {
    "admins-without-mfa": (
        "IAM users with AdministratorAccess (directly or through a group) and no MFA",
        """SELECT u.account_id, u.data.name AS user_name, u.data.password.enabled AS console_password
FROM iam_user u
WHERE NOT coalesce(u.data.mfa.enabled, false)
  AND (list_contains(u.data.attached_policies, 'arn:aws:iam::aws:policy/AdministratorAccess')
       OR EXISTS (SELECT 1 FROM iam_group g
                  WHERE g.account_id = u.account_id AND list_contains(u.data.groups, g.data.arn)
                    AND list_contains(g.data.attached_policies, 'arn:aws:iam::aws:policy/AdministratorAccess')))
ORDER BY 1, 2""",
    ),
    "console-without-mfa": (
        "IAM users who can sign in to the console without MFA",
        """SELECT account_id, data.name AS user_name, data.password.last_used_at AS password_last_used
FROM iam_user
WHERE data.password.enabled AND NOT coalesce(data.mfa.enabled, false)
ORDER BY 1, 2""",
    ),
    "old-access-keys": (
        "active access keys created more than 90 days ago",
        """SELECT u.account_id, u.data.name AS user_name, k.id AS key_id, k.created_at, k.last_used_at
FROM iam_user u, unnest(u.data.access_keys) AS t(k)
WHERE k.status = 'Active' AND k.created_at < now() - INTERVAL 90 DAY
ORDER BY k.created_at""",
    ),
    "who-reaches-account": (
        "who reaches an account through Identity Center (replace the account ID)",
        """SELECT a.data.account_id AS account, a.data.principal_type AS principal_type,
       coalesce(a.data.principal_name, a.data.principal_id) AS principal,
       a.data.permission_set_name AS permission_set
FROM sso_account_assignment a
WHERE a.data.account_id = '111111111111'
ORDER BY 2, 3""",
    ),
}


def add_parser(sub) -> None:
    p = sub.add_parser("query", help="run SQL (DuckDB) over a pulled folder or DuckDB file")
    p.add_argument("sql", nargs="?", help="the SQL, or the name of an example (see --examples)")
    p.add_argument("--from", dest="source", default=".", help="a pulled folder or a .duckdb file (default: .)")
    p.add_argument("--examples", action="store_true", help="list the example queries and exit")
    p.add_argument("--json", action="store_true", help="print rows as JSON objects")
    p.set_defaults(func=run)


def run(args, hooks=None) -> int:
    if args.examples or not args.sql:
        for name, (what, sql) in EXAMPLES.items():
            print(f"-- {name}: {what}\n{sql};\n")
        return EXIT_OK
    columns, rows = execute(Path(args.source), EXAMPLES.get(args.sql, (None, args.sql))[1])
    if args.json:
        print(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], indent=2, default=str))
    else:
        print_table(columns, rows)
    return EXIT_OK


def execute(source: Path, sql: str) -> tuple[list[str], list[tuple]]:
    from idcensus.cli.tables import duckdb_module, load

    duckdb = duckdb_module()

    if not source.exists():
        raise ConfigError(f"{source} does not exist: pass --from a folder written by `idcensus pull` or its --duckdb file")
    if source.is_dir():
        con = duckdb.connect()
        load(con, source)
    else:
        con = duckdb.connect(str(source), read_only=True)
    try:
        cursor = con.execute(sql)
        return [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as exc:
        raise ConfigError(f"the query failed: {' '.join(str(exc).split())[:300]} (tables: idcensus query "
                          "'SHOW TABLES'; examples: --examples)") from exc
    finally:
        con.close()


def print_table(columns: list[str], rows: list[tuple]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    Console(width=200).print(table)
    print(f"{len(rows)} row(s)")
