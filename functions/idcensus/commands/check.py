"""`idcensus check`: the connection test an admin runs first."""

from __future__ import annotations


def add_parsers(sub) -> None:
    """Added by the check work (issue #5)."""
