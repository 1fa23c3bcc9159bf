import os

import boto3
import pytest
from moto import mock_aws

from idcensus.aws import ClientFactory
from idcensus_emulator.gaps import GapAnswers
from idcensus_emulator.seed import SeededOrg, seed_identities

os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
ACCOUNT = "123456789012"  # moto's default account


@pytest.fixture
def aws(monkeypatch):
    # In-process, moto answers every request even when a hook already did (botocore runs all
    # before-send handlers); let the hook's answer stand, as it does against the moto server.
    from moto.core.botocore_stubber import BotocoreStubber

    real = BotocoreStubber.__call__

    def stand_aside(self, event_name, request, **kwargs):
        if getattr(request, "answered_by_hook", False):
            return None
        return real(self, event_name, request, **kwargs)

    monkeypatch.setattr(BotocoreStubber, "__call__", stand_aside)
    with mock_aws():
        yield


@pytest.fixture
def seeded(aws):
    seed_identities(boto3.client("iam"), ACCOUNT, SeededOrg(ACCOUNT, {"m": ACCOUNT, "other": "210987654321"}))
    return ACCOUNT


def factory(*hooks, with_gaps=True) -> ClientFactory:
    gaps = GapAnswers().hooks() if with_gaps else []
    return ClientFactory(hooks=[*gaps, *hooks], account_id=ACCOUNT)
