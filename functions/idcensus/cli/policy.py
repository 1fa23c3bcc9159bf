"""`idcensus policy`: print the IAM policy the member read role needs for a tier."""

from __future__ import annotations

import json

from idcensus.cli.failures import EXIT_OK
from idcensus.collect.registry import TIERS, actions_for_tier, tier_policy
from idcensus.errors import ConfigError


def add_parser(sub) -> None:
    p = sub.add_parser("policy", help="print the IAM policy the member read role needs for a tier")
    p.add_argument("--tier", default="identity", choices=sorted(TIERS), help="permission tier (default identity)")
    p.set_defaults(func=run)


def run(args, hooks=None) -> int:
    if not actions_for_tier(args.tier):
        raise ConfigError(f"tier {args.tier!r} has no collectors yet: it needs no permissions")
    print(json.dumps(tier_policy(args.tier), indent=2))
    return EXIT_OK
