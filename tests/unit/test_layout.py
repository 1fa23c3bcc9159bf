"""The package's shape: production never reaches the emulator, arrows point one way, and what
`sam build` packages from CodeUri holds no demo, seed or emulator code."""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "functions" / "idcensus"
# Layers that run in Lambda: none of them may import the emulator, the demo or the CLI.
PRODUCTION = ("handlers", "collect", "store", "stream", "model", "pipeline", "census", "aws", "settings",
              "errors", "clock", "access_check", "permissions", "observability", "docgen", "findings", "report",
              "policy_json", "arns")
FORBIDDEN = ("idcensus_emulator", "idcensus.cli", "moto")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module a file imports, at top level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def production_files() -> list[Path]:
    files = []
    for path in PACKAGE.rglob("*.py"):
        top = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
        if top in PRODUCTION:
            files.append(path)
    return files


def test_production_never_imports_the_emulator_demo_or_cli():
    offenders = {
        module_name(p): sorted(i for i in imports(p) if i.startswith(FORBIDDEN))
        for p in production_files()
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_every_top_level_module_is_production_or_the_cli():
    # A new module or package must be placed on one side, or the import check above would miss it.
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    assert tops - {"__init__", "__main__", "cli"} == set(PRODUCTION)


def test_no_emulator_or_demo_module_in_the_shipped_package():
    names = {p.stem for p in PACKAGE.rglob("*.py")}
    assert not names & {"demo", "demo_sso", "demo_resources", "seed", "seed_sso", "seed_resources", "emulator",
                        "local", "gaps", "server"}


def test_every_function_codeuri_is_the_shipped_package_only():
    """sam build copies CodeUri: it must be functions/, which holds no emulator package."""

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load((ROOT / "template.yaml").read_text(), Loader=Loader)
    uris = {template["Globals"]["Function"].get("CodeUri")} | {
        r["Properties"].get("CodeUri") for r in template["Resources"].values()
        if r["Type"] == "AWS::Serverless::Function" and r["Properties"].get("CodeUri")}
    assert uris - {None} == {"functions/"}
    shipped = {p.name for p in (ROOT / "functions").iterdir()}
    assert "idcensus_emulator" not in shipped


def _package_graph() -> dict[str, set[str]]:
    """Edges between the package's sub-packages (idcensus.X -> idcensus.Y), top-level imports only:
    an import inside a function is a deliberate late import and cannot form an import-time cycle."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        src = module_name(path).split(".")[:2]
        src_pkg = ".".join(src)
        for node in ast.parse(path.read_text()).body:
            mods = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                mods = [node.module]
            elif isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            for m in mods:
                if m.startswith("idcensus."):
                    dst = ".".join(m.split(".")[:2])
                    if dst != src_pkg:
                        graph.setdefault(src_pkg, set()).add(dst)
    return graph


def test_no_import_cycle_between_packages():
    graph = _package_graph()
    cycles = []

    def visit(node, stack):
        if node in stack:
            cycles.append(stack[stack.index(node):] + [node])
            return
        for nxt in sorted(graph.get(node, ())):
            visit(nxt, stack + [node])

    for start in sorted(graph):
        visit(start, [])
    assert cycles == []


def test_the_test_environment_pins_what_the_artifact_ships():
    import re
    import tomllib

    def pins(lines):
        found = {}
        for line in lines:
            m = re.match(r"\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==([^\s;#]+)", line)
            if m:
                found[m.group(1).lower()] = m.group(2)
        return found

    dev = pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["dev"])
    shipped = pins((ROOT / "functions" / "requirements.txt").read_text().splitlines())
    assert shipped and {name: dev.get(name) for name in shipped if name in dev} == \
        {name: v for name, v in shipped.items() if name in dev}
    assert {"pydantic", "aws-lambda-powertools"} <= dev.keys() & shipped.keys()
