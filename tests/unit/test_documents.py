import json
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from idcensus.collect.documents import latest, policy_document, timestamp

DOC = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}


def test_url_encoded_document_is_decoded():
    assert policy_document(quote(json.dumps(DOC))) == DOC


def test_plain_json_string_and_object():
    assert policy_document(json.dumps(DOC)) == DOC
    assert policy_document(DOC) is DOC


def test_non_object_document_is_an_error():
    with pytest.raises(ValueError):
        policy_document(quote("[1, 2]"))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(st.text(), json_values, max_size=4))
def test_any_encoded_object_round_trips(doc):
    assert policy_document(quote(json.dumps(doc))) == doc


def test_timestamps_are_utc_and_sentinels_none():
    assert timestamp("2026-01-02T03:04:05+02:00").isoformat() == "2026-01-02T01:04:05+00:00"
    assert timestamp("2026-01-02T03:04:05Z").tzinfo is not None
    for sentinel in ("N/A", "no_information", "not_supported", "", None):
        assert timestamp(sentinel) is None


def test_latest_ignores_missing():
    a, b = timestamp("2026-01-01T00:00:00Z"), timestamp("2026-02-01T00:00:00Z")
    assert latest(None, a, b, None) == b
    assert latest(None) is None
