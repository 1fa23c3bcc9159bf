"""IAM Identity Center (Tier 2): instances, identity store users and groups, permission sets, account assignments."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from idcensus.collect.account import AccountInfo, CollectOptions, Outcomes
    from idcensus.model.records import Item


def collect(factory, info: AccountInfo, out: Outcomes, options: CollectOptions) -> list[Item]:
    return []
