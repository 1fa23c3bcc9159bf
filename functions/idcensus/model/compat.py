"""Is a schema change safe for a vendor's reader? Compares the JSON Schemas of two versions (a
release's copy in docs/schema/released/<version>/ against docs/schema/) and says what changed:
breaking (a field removed or made optional, a type changed, an enum narrowed, a record type
removed) needs a new major version; additive (a field, record type or enum value added) a new minor.
Pure: plain dicts in, plain findings out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IGNORED = {"description", "title", "default", "examples", "$id", "$schema"}


@dataclass(frozen=True)
class Change:
    breaking: bool
    where: str
    what: str

    def __str__(self) -> str:
        return f"{'breaking' if self.breaking else 'additive'}: {self.where}: {self.what}"


def compare_all(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[Change]:
    """Changes between two versions' schemas, by record type."""
    changes = [Change(True, t, "record type removed") for t in sorted(set(old) - set(new))]
    changes += [Change(False, t, "record type added") for t in sorted(set(new) - set(old))]
    for t in sorted(set(old) & set(new)):
        changes += compare(old[t], new[t], old[t].get("$defs", {}), new[t].get("$defs", {}), t)
    return changes


def compare(old: dict[str, Any], new: dict[str, Any], old_defs: dict, new_defs: dict, where: str) -> list[Change]:
    old, new = _resolve(old, old_defs), _resolve(new, new_defs)
    if where.endswith(".schema_version"):
        return []  # its const is the version itself
    out: list[Change] = []
    old_types, new_types = _types(old, old_defs), _types(new, new_defs)
    if old_types != new_types:
        out.append(Change(True, where, f"type {'|'.join(sorted(old_types))} became {'|'.join(sorted(new_types))}"))
        return out
    if old.get("format") != new.get("format"):
        out.append(Change(True, where, f"format {old.get('format')} became {new.get('format')}"))
    if "const" in old and old.get("const") != new.get("const"):
        out.append(Change(True, where, f"value {old['const']!r} became {new.get('const')!r}"))
    old_enum, new_enum = _enum(old, old_defs), _enum(new, new_defs)
    if old_enum is not None and new_enum is not None:
        if old_enum - new_enum:
            out.append(Change(True, where, f"enum narrowed: {sorted(old_enum - new_enum)} removed"))
        if new_enum - old_enum:
            out.append(Change(False, where, f"enum widened: {sorted(new_enum - old_enum)} added"))
    old_one, new_one = _present(old, old_defs), _present(new, new_defs)
    if old_one.get("properties") is not None or new_one.get("properties") is not None:
        out += _properties(old_one, new_one, old_defs, new_defs, where)
    if "items" in old_one and "items" in new_one:
        out += compare(old_one["items"], new_one["items"], old_defs, new_defs, f"{where}[]")
    old_more, new_more = old_one.get("additionalProperties"), new_one.get("additionalProperties")
    if isinstance(old_more, dict) and isinstance(new_more, dict):
        out += compare(old_more, new_more, old_defs, new_defs, f"{where}{{}}")
    return out


def _properties(old: dict, new: dict, old_defs: dict, new_defs: dict, where: str) -> list[Change]:
    out = []
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(set(old_props) - set(new_props)):
        out.append(Change(True, f"{where}.{name}", "field removed"))
    for name in sorted(set(new_props) - set(old_props)):
        out.append(Change(False, f"{where}.{name}", "field added"))
    for name in sorted(set(old_props) & set(new_props)):
        if name in old_required and name not in new_required:
            out.append(Change(True, f"{where}.{name}", "field no longer required"))
        out += compare(old_props[name], new_props[name], old_defs, new_defs, f"{where}.{name}")
    return out


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    return node


def _branches(node: dict[str, Any], defs: dict[str, Any]) -> list[dict[str, Any]]:
    return [_resolve(n, defs) for n in node["anyOf"]] if "anyOf" in node else [node]


def _types(node: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    """The JSON types a value may have ('null' included)."""
    found = set()
    for branch in _branches(node, defs):
        kind = branch.get("type")
        if kind is None and "const" in branch:
            kind = _json_type(branch["const"])
        elif kind is None and "enum" in branch:
            kind = sorted({_json_type(v) for v in branch["enum"]})
        elif kind is None and "properties" in branch:
            kind = "object"
        found |= set(kind if isinstance(kind, list) else [kind or "any"])
    return found


def _enum(node: dict[str, Any], defs: dict[str, Any]) -> set | None:
    values: set = set()
    for branch in _branches(node, defs):
        if "enum" in branch:
            values |= {repr(v) for v in branch["enum"]}
        elif branch.get("type") != "null":
            return None
    return values


def _present(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """The one non-null branch of an optional value (or the node itself)."""
    present = [b for b in _branches(node, defs) if b.get("type") != "null"]
    return present[0] if len(present) == 1 else node


def _json_type(value: Any) -> str:
    return {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}.get(
        type(value), "object")


def required_bump(old_version: str, new_version: str, changes: list[Change]) -> str | None:
    """What is wrong with `new_version` for these changes, or None when it is right."""
    old, new = _semver(old_version), _semver(new_version)
    if any(c.breaking for c in changes) and new[0] <= old[0]:
        return f"breaking changes need a new major version (after {old_version}), not {new_version}"
    if changes and new[:2] <= old[:2]:
        return f"additive changes need at least a new minor version (after {old_version}), not {new_version}"
    if new < old:
        return f"the version went back from {old_version} to {new_version}"
    return None


def _semver(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(p) for p in version.split("."))
    return major, minor, patch
