"""A run's changes feed: its snapshot against the snapshot of the last *published* run. Pure.

The feed never derives from the mutable state table, so a run that failed, crashed or was never
published between two published runs loses nothing: its changes surface in the next published one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from idcensus.model.records import content_hash

CARRY_MARKERS = ("stale", "stale_reason")  # on records carried forward; say when, not what


def changes_between(previous: Iterable[dict[str, Any]], current: Iterable[dict[str, Any]], *,
                    now: str) -> list[dict[str, Any]]:
    """Records of `current` that are new or say something else than in `previous` (created,
    updated), then records of `previous` absent from `current` (deleted, `deleted_at` = now).
    Both are one account's whole snapshot; content_hash ignores run_id, collected_at and markers."""
    before = {(r["type"], r["id"]): r for r in previous}
    changes, seen = [], set()
    for record in current:
        key = (record["type"], record["id"])
        seen.add(key)
        old = before.get(key)
        if old is None:
            changes.append({**record, "change": "created"})
        elif content_hash(old) != content_hash(record):
            changes.append({**record, "change": "updated"})
    for key, old in before.items():
        if key not in seen:
            gone = {k: v for k, v in old.items() if k not in CARRY_MARKERS}
            changes.append({**gone, "deleted": True, "deleted_at": now, "change": "deleted"})
    return changes


def carried_forward(stored: Iterable[dict[str, Any]], collected: Iterable[dict[str, Any]], *,
                    authoritative: set[str], keep: set[str], reason: str) -> list[dict[str, Any]]:
    """Records of the last successful collection (`stored`, from the state table) that this run
    could not see: their type was not collected completely, or the principal was skipped mid-run.
    They keep their own run_id and collected_at and are marked `stale`, with the reason."""
    have = {(r["type"], r["id"]) for r in collected}
    return [{**r, "stale": True, "stale_reason": reason} for r in stored
            if not r.get("deleted") and (r["type"], r["id"]) not in have
            and (r["type"] not in authoritative or r["id"] in keep)]
