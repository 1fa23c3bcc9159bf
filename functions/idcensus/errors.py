"""The small error hierarchy. Adapters translate botocore errors into it once, at the edge."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "AWSOrganizationsNotInUseException",
    }
)
GONE_CODES = frozenset({"NoSuchEntity", "NoSuchEntityException", "ResourceNotFoundException"})


class IdcensusError(Exception):
    """Base of every error idcensus raises on purpose."""


class ConfigError(IdcensusError):
    """The user gave a setting that cannot work; the message says what to fix."""


class CapabilityDenied(IdcensusError):
    """The read role lacks a permission: the capability is 'denied', never 'empty'."""


class PrincipalGone(IdcensusError):
    """The principal was deleted while the run was reading it."""


class CollectionFailed(IdcensusError):
    """A capability could not be read for a reason other than permissions."""


class AccountUnreachable(IdcensusError):
    """The member role could not be assumed."""


def error_code(exc: BaseException) -> str | None:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Code")
    return None


def translate(exc: Exception, what: str) -> IdcensusError:
    """Map a botocore error to the hierarchy; `what` names the capability or principal."""
    code = error_code(exc)
    if code in DENIED_CODES:
        return CapabilityDenied(f"{what}: {code}: {_message(exc)}")
    if code in GONE_CODES:
        return PrincipalGone(f"{what}: {code}")
    if isinstance(exc, (ClientError, BotoCoreError)):
        return CollectionFailed(f"{what}: {code or type(exc).__name__}: {_message(exc)}")
    return CollectionFailed(f"{what}: {type(exc).__name__}: {exc}")


def _message(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return exc.response.get("Error", {}).get("Message", "") or str(exc)
    return str(exc)
