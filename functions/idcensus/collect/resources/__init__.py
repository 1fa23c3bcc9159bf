"""Tier 3: resources with their roles and resource policies, one collector module per capability.

Each service (or service and kind) is its own capability, granted separately, with its own
registry entry (collect/registry.py). A regional capability runs in every region of
`options.regions`; the orchestrator (collect/account.py) records its outcome as the worst of its
regions (denied before failed), with the regions named. What the other regions returned is still
kept: the outcome not being `ok` already stops absences from counting as deletions.

Nothing is imported here: the orchestrator imports each collector module when its entry runs.
"""
