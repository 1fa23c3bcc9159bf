"""DuckDB column types from the records' JSON Schema (docs/schema/, idcensus.model.schema): every
record type gets a table with the same typed columns whatever a run holds, even none, so queries
neither break on an empty type nor change meaning with what DuckDB would guess from the values."""

from __future__ import annotations

from typing import Any

SCALARS = {"boolean": "BOOLEAN", "integer": "BIGINT", "number": "DOUBLE", "null": "JSON"}


def columns(schema: dict[str, Any]) -> dict[str, str]:
    """Column -> DuckDB type for one record type's envelope schema (data is a STRUCT)."""
    defs = schema.get("$defs", {})
    return {name: duck_type(node, defs) for name, node in schema["properties"].items()}


def duck_type(node: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in node:
        return duck_type(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in node:
        present = [n for n in node["anyOf"] if n.get("type") != "null"]
        return duck_type(present[0], defs) if len(present) == 1 else "JSON"
    if "const" in node:
        return "BOOLEAN" if isinstance(node["const"], bool) else "VARCHAR"
    if "enum" in node:
        return "VARCHAR" if all(isinstance(v, str) for v in node["enum"]) else "JSON"
    kind = node.get("type")
    if kind == "string":
        return "TIMESTAMPTZ" if node.get("format") == "date-time" else "VARCHAR"
    if kind in SCALARS:
        return SCALARS[kind]
    if kind == "array":
        return f"{duck_type(node['items'], defs)}[]" if "items" in node else "JSON"
    if kind == "object" and node.get("properties"):
        fields = ", ".join(f'"{k}" {duck_type(v, defs)}' for k, v in node["properties"].items())
        return f"STRUCT({fields})"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        value = duck_type(node["additionalProperties"], defs)
        return f"MAP(VARCHAR, {value})" if value != "JSON" else "JSON"
    return "JSON"
