"""The small error hierarchy. Adapters translate botocore errors into it once, at the edge."""

from __future__ import annotations

import re

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

    outcome = "failed"  # what a capability that ended in this error is recorded as


class ConfigError(IdcensusError):
    """The user gave a setting that cannot work; the message says what to fix."""


class CapabilityDenied(IdcensusError):
    """The read role lacks a permission: the capability is 'denied', never 'empty'."""

    outcome = "denied"


class PrincipalGone(IdcensusError):
    """The principal was deleted while the run was reading it."""


class CollectionFailed(IdcensusError):
    """A capability could not be read for a reason other than permissions."""


class AccountUnreachable(IdcensusError):
    """The member role could not be assumed."""


_EMBEDDED_CODE = re.compile(r"<Code>(\w+)</Code>")


def error_code(exc: BaseException) -> str | None:
    """The AWS error code. When botocore could not parse the error document (the emulator answers some
    JSON services in XML), its code is only the HTTP status: the document's own <Code> says more (a 403
    is a denial or a bad signature)."""
    if not isinstance(exc, ClientError):
        return None
    error = exc.response.get("Error", {})
    code = error.get("Code")
    if code and code.isdigit() and (embedded := _EMBEDDED_CODE.search(error.get("Message", ""))):
        return embedded.group(1)
    return code


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
