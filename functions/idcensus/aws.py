"""The one place boto3 clients are made: one botocore Config, assumed-role sessions, hooks."""

from __future__ import annotations

import functools
import os
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config

from idcensus.arns import partition, role_arn
from idcensus.errors import AccountUnreachable, translate

DEFAULT_REGION = "us-east-1"


def botocore_config(max_attempts: int | None = None) -> Config:
    attempts = max_attempts or int(os.environ.get("IDCENSUS_MAX_ATTEMPTS", "8"))
    return Config(
        retries={"mode": os.environ.get("IDCENSUS_RETRY_MODE", "standard"), "max_attempts": attempts},
        connect_timeout=5,
        read_timeout=60,
        max_pool_connections=32,
        user_agent_extra="idcensus",
    )


def paginate(client, operation: str, key: str, **params) -> list[Any]:
    """Every item under `key` of every page of a paginated operation."""
    return [item for page in client.get_paginator(operation).paginate(**params) for item in page.get(key, [])]


class CallCounter:
    """Counts API calls by 'service.Operation' (each HTTP attempt counts once)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()

    def __call__(self, event_name: str = "", **_kwargs) -> None:
        # request-created fires once per attempt: "request-created.<service>.<Operation>"
        key = event_name.split(".", 1)[1]
        with self._lock:
            self.calls[key] += 1

    def total(self, prefix: str = "") -> int:
        return sum(n for k, n in self.calls.items() if k.startswith(prefix))


Hook = tuple[str, Callable]


class _SearchPaths(list):
    """boto3 appends its data folder to a session's loader each time it makes a Session; shared, once."""

    def append(self, path) -> None:
        if path not in self:
            super().append(path)


@functools.cache
def _shared_loader() -> botocore.loaders.Loader:
    """One botocore Loader for every assumed-role session of this process. Each boto3 Session would
    otherwise parse the JSON models (IAM's alone is ~1 MB, endpoints.json more) of every service it
    makes a client for, again for each account: the CLI census, a warm collector Lambda's next
    account, the check's probes. Parsed models are read-only and the same for every identity."""
    extra = [os.path.expanduser(p) for p in os.environ.get("AWS_DATA_PATH", "").split(os.pathsep) if p]
    return botocore.loaders.Loader(extra_search_paths=_SearchPaths(extra))


def assumed_session(access_key: str, secret_key: str, token: str) -> boto3.Session:
    """A session for temporary credentials that shares this process's parsed service models."""
    core = botocore.session.Session()
    core.register_component("data_loader", _shared_loader())
    return boto3.Session(botocore_session=core, aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                         aws_session_token=token)


@dataclass
class ClientFactory:
    """Builds clients for one identity (the caller's, or an assumed role's).

    `hooks` are botocore (event, handler) pairs registered on every client made: the
    seam where tests count calls, inject faults or answer calls the emulator lacks.
    """

    session: boto3.Session = field(default_factory=boto3.Session)
    region: str = DEFAULT_REGION
    hooks: list[Hook] = field(default_factory=list)
    counter: CallCounter = field(default_factory=CallCounter)
    config: Config = field(default_factory=botocore_config)
    account_id: str | None = None

    @classmethod
    def from_environment(cls, session: boto3.Session | None = None, hooks: list[Hook] | None = None) -> ClientFactory:
        """The factory for this process: the standard AWS configuration, plus the hooks a caller
        (a test, the emulator) passes explicitly. Nothing here reads a switch to change answers."""
        session = session or boto3.Session()
        return cls(session=session, region=session.region_name or DEFAULT_REGION, hooks=list(hooks or []))

    @property
    def partition(self) -> str:
        return partition(self.region)

    def role_arn(self, account_id: str, role_name: str) -> str:
        """A member account's role, in this factory's partition."""
        return role_arn(self.partition, account_id, role_name)

    def client(self, service: str, region: str | None = None):
        return self._hooked(self.session.client(service, region_name=region or self.region, config=self.config))

    def resource(self, service: str):
        resource = self.session.resource(service, region_name=self.region, config=self.config)
        self._hooked(resource.meta.client)
        return resource

    def _hooked(self, client):
        for event, handler in self.hooks:
            client.meta.events.register_first(event, handler)
        client.meta.events.register("request-created", self.counter)
        return client

    def assume(self, role_arn: str, external_id: str | None, session_name: str = "idcensus") -> ClientFactory:
        """A factory for the member account behind `role_arn`; raises AccountUnreachable."""
        params = {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": 3600}
        if external_id:
            params["ExternalId"] = external_id
        try:
            creds = self.client("sts").assume_role(**params)["Credentials"]
        except Exception as exc:  # noqa: BLE001 - translated, then re-raised as one type
            raise AccountUnreachable(f"cannot assume {role_arn}: {translate(exc, 'sts:AssumeRole')}") from exc
        session = assumed_session(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        return ClientFactory(
            session=session,
            region=self.region,
            hooks=self.hooks,
            counter=self.counter,
            config=self.config,
            account_id=role_arn.split(":")[4],
        )
