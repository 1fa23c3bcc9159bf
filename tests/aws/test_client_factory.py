"""The client factory's assumed-role sessions: each its own credentials, one parse of the models."""

from __future__ import annotations

import boto3

from idcensus.aws import ClientFactory, _shared_loader


def test_assumed_sessions_keep_their_credentials_and_share_parsed_models(aws):
    factory = ClientFactory(session=boto3.Session(region_name="us-east-1"))
    first = factory.assume("arn:aws:iam::111111111111:role/IdcensusReadOnly", "ext")
    second = factory.assume("arn:aws:iam::222222222222:role/IdcensusReadOnly", "ext")

    keys = {f.session.get_credentials().access_key for f in (first, second)}
    assert len(keys) == 2, "two accounts were given one set of credentials"
    assert (first.account_id, second.account_id) == ("111111111111", "222222222222")

    loaders = [f.session._session.get_component("data_loader") for f in (first, second)]
    # the process's own loader, not one the test processes' speedups would share anyway
    assert loaders[0] is loaders[1] is _shared_loader()
    assert len(loaders[0].search_paths) == len(set(loaders[0].search_paths)), "boto3's data folder added per session"

    # each still works, and the model parsed for the first is the one the second gets
    first.client("iam").list_users()
    second.client("iam").list_users()
    assert first.client("iam").meta.service_model._service_description is \
        second.client("iam").meta.service_model._service_description
