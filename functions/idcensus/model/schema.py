"""JSON Schema of the export records, generated from the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from idcensus.model.activity import ACTIVITY_TYPE, activity_schema
from idcensus.model.records import RECORD_TYPES, SCHEMA_VERSION

CHANGE_VALUES = ["created", "updated", "deleted"]


def envelope_schema(type_: str) -> dict[str, Any]:
    data_schema = RECORD_TYPES[type_].model_json_schema(mode="serialization")
    defs = data_schema.pop("$defs", {})
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://idcensus.dev/schema/v1/{type_}.json",
        "title": type_,
        "type": "object",
        "required": ["schema_version", "type", "id", "account_id", "collected_at", "run_id", "deleted", "data"],
        "additionalProperties": False,
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "type": {"const": type_},
            "id": {"type": "string", "description": "the ARN where one exists"},
            "account_id": {"type": "string", "pattern": "^[0-9]{12}$"},
            "collected_at": {"type": "string", "format": "date-time"},
            "run_id": {"type": "string"},
            "deleted": {"type": "boolean"},
            "deleted_at": {"type": "string", "format": "date-time"},
            "change": {"enum": CHANGE_VALUES, "description": "only in changes files"},
            "stale": {"const": True, "description": "carried forward: this run could not collect it (since 1.1.0)"},
            "stale_reason": {"type": "string", "description": "why it was not collected (since 1.1.0)"},
            "data": data_schema,
        },
    }
    if defs:
        schema["$defs"] = defs
    return schema


def all_schemas() -> dict[str, dict[str, Any]]:
    schemas = {type_: envelope_schema(type_) for type_ in RECORD_TYPES}
    schemas[ACTIVITY_TYPE] = activity_schema()  # its own envelope: event_time/received_at, no run_id
    return schemas


def write_schemas(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for type_, schema in all_schemas().items():
        path = folder / f"{type_}.schema.json"
        path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written
