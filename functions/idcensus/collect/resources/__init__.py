"""Tier 3: resources with their roles and resource policies, one module per service."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from idcensus.collect.account import AccountInfo, CollectOptions, Outcomes
    from idcensus.model.records import Item


def collect(factory, info: AccountInfo, out: Outcomes, options: CollectOptions) -> list[Item]:
    return []
