"""What every resource collector shares: clients per region, bounded fan-out, optional reads."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import botocore.session
from botocore.exceptions import UnknownRegionError

from idcensus.aws import paginate  # noqa: F401 - the collectors take it from here
from idcensus.collect.resources.policies import Org, external_principals
from idcensus.errors import DENIED_CODES, error_code
from idcensus.model.records import Item

T = TypeVar("T")
R = TypeVar("R")
PER_RESOURCE_WORKERS = 8


class Clients:
    """One client per (service, region), made under a lock: boto3 sessions are not thread-safe."""

    def __init__(self, factory):
        self.factory = factory
        self._lock = threading.Lock()
        self._made: dict[tuple[str, str | None], Any] = {}

    def get(self, service: str, region: str | None = None):
        with self._lock:
            key = (service, region)
            if key not in self._made:
                self._made[key] = self.factory.client(service, region=region)
            return self._made[key]


@dataclass
class Context:
    clients: Clients
    org: Org
    regions: tuple[str, ...]
    workers: int = PER_RESOURCE_WORKERS
    _once: dict[str, Any] = field(default_factory=dict)
    _once_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def account_id(self) -> str:
        return self.org.account_id

    def once(self, key: str, fn: Callable[[], T]) -> T:
        """fn() computed once per account run (an account-wide listing several regions need)."""
        with self._once_lock:
            if key not in self._once:
                try:
                    self._once[key] = (True, fn())
                except Exception as exc:  # noqa: BLE001 - remembered, re-raised to every caller
                    self._once[key] = (False, exc)
            ok, value = self._once[key]
        if not ok:
            raise value
        return value

    def external(self, policy: dict[str, Any] | None) -> list[str]:
        return external_principals(policy, self.org)


@dataclass(frozen=True)
class Collector:
    """One capability: fn(ctx, region) -> items; `regional` False runs it once, in the home region."""

    name: str
    fn: Callable[[Context, str | None], list[Item]]
    service: str  # the boto3 service whose regions bound where it runs
    regional: bool = True


def each(fn: Callable[[T], R], items: Iterable[T], workers: int = PER_RESOURCE_WORKERS) -> list[R]:
    """fn over items, `workers` at a time, in order; the first error propagates."""
    items = list(items)
    if len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(fn, items))


class Refused:
    """One resource's policy read refused (AccessDenied) while the others' were not."""

    def __init__(self, exc: Exception):
        self.exc = exc


def policies(fn: Callable[[T], R], items: Iterable[T], workers: int = PER_RESOURCE_WORKERS) -> list[R | Refused]:
    """Read each resource's policy. A resource whose own policy locks the read role out (a KMS key
    without the IAM delegation statement, say) is marked Refused; when every read is refused, the
    role lacks the permission itself and the capability is denied."""

    def one(item: T) -> R | Refused:
        try:
            return fn(item)
        except Exception as exc:
            if error_code(exc) in DENIED_CODES:
                return Refused(exc)
            raise

    results = each(one, items, workers)
    refused = [r for r in results if isinstance(r, Refused)]
    if refused and len(refused) == len(results):
        raise refused[0].exc
    return results


def readable(result: R | Refused) -> tuple[R | None, bool]:
    """(policy, refused) for a record."""
    return (None, True) if isinstance(result, Refused) else (result, False)


def unless(codes: frozenset[str] | set[str], call: Callable[[], T]) -> T | None:
    """call(), or None when AWS answers with one of `codes` (e.g. NoSuchBucketPolicy: no policy)."""
    try:
        return call()
    except Exception as exc:
        if error_code(exc) in codes:
            return None
        raise


@functools.cache
def partition(region: str | None) -> str:
    """The ARN partition of a region (aws, aws-cn, aws-us-gov, ...) from botocore's endpoint data."""
    if not region:
        return "aws"
    try:
        return botocore.session.get_session().get_partition_for_region(region)
    except UnknownRegionError:  # a region newer than this botocore: the commercial partition
        return "aws"
