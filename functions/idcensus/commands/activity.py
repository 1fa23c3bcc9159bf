"""`idcensus backfill` and `idcensus events replay`: CloudTrail activity (Tier 4)."""

from __future__ import annotations


def add_parsers(sub) -> None:
    """Added by the activity work (issue #4)."""
