import os
from contextlib import contextmanager
from unittest.mock import patch

import boto3
import pytest
from moto import mock_aws

from idcensus.aws import ClientFactory
from idcensus_emulator.gaps import AccessAnalyzerAnswers, BedrockAnswers, GapAnswers, SsoApplications
from idcensus_emulator.seed import SeededOrg, seed_identities

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
ACCOUNT = "123456789012"  # moto's default account


@contextmanager
def moto_in_process():
    """mock_aws, where an answer a botocore hook already gave stands, as it does against the moto
    server (in-process, moto answers every request: botocore runs all before-send handlers)."""
    from moto.core.botocore_stubber import BotocoreStubber

    real = BotocoreStubber.__call__

    def stand_aside(self, event_name, request, **kwargs):
        if getattr(request, "answered_by_hook", False):
            return None
        return real(self, event_name, request, **kwargs)

    with patch.object(BotocoreStubber, "__call__", stand_aside), mock_aws():
        yield


@pytest.fixture
def aws():
    with moto_in_process():
        yield


@pytest.fixture
def seeded(aws):
    seed_identities(boto3.client("iam"), ACCOUNT, SeededOrg(ACCOUNT, {"m": ACCOUNT, "other": "210987654321"}))
    return ACCOUNT


def factory(*hooks, with_gaps=True) -> ClientFactory:
    # Access Analyzer, Identity Center applications and the newer Bedrock kinds, which moto lacks,
    # answer "none" unless a test records some.
    gaps = [*GapAnswers().hooks(), *AccessAnalyzerAnswers().hooks(), *SsoApplications().hooks(),
            *BedrockAnswers().hooks()] if with_gaps else []
    return ClientFactory(hooks=[*gaps, *hooks], account_id=ACCOUNT)


def report_at_once(monkeypatch) -> None:
    """moto's credential report is ready on the second ask: the collector need not wait between asks."""
    import time
    from types import SimpleNamespace

    from idcensus.collect import credentials

    monkeypatch.setattr(credentials, "time", SimpleNamespace(monotonic=time.monotonic, sleep=lambda _: None))
