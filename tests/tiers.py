"""Censuses of one tier only, for tests about storing, publishing or judging records."""

from __future__ import annotations

from idcensus.collect import account, registry


def collect_only(monkeypatch, tier: str = "identity") -> None:
    """Every census collects only `tier`'s collectors (registry order kept) until `monkeypatch` undoes
    it: the other tiers would only multiply the emulator's work in tests that do not read them."""
    monkeypatch.setattr(account, "COLLECTED", tuple(c for c in registry.COLLECTED if c.tier == tier))
