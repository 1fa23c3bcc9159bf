"""Fuzz: whatever arrives, normalize_raw returns a valid activity record or raises Rejected, nothing else."""

import copy
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from idcensus.model.activity import ActivityRecord
from idcensus.stream import RefreshTarget, Rejected, normalize, normalize_raw, refresh_targets

EVENTS = Path(__file__).resolve().parents[2] / "events" / "cloudtrail"
FIXTURES = [json.loads(p.read_text()) for p in sorted(EVENTS.glob("*.json"))]
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
CLOUDTRAIL_KEYS = [
    "eventID", "eventTime", "eventSource", "eventName", "recipientAccountId", "awsRegion", "userIdentity",
    "requestParameters", "responseElements", "errorCode", "errorMessage", "readOnly", "userAgent",
    "sourceIPAddress", "additionalEventData", "managementEvent", "eventCategory", "detail-type", "detail",
]


def check(outcome):
    """The contract: a record that validates, or Rejected with a known reason (never internal_error)."""
    try:
        record = outcome()
    except Rejected as e:
        assert e.reason != "internal_error", e.detail
        assert e.reason and " " not in e.reason.split(":", 1)[0]
        return None
    ActivityRecord.model_validate(record)
    json.dumps(record, allow_nan=False)  # JSON-ready
    for target in refresh_targets(record):  # H2 calls this on every record: it must not raise either
        assert isinstance(target, RefreshTarget) and target.name and len(target.account_id) == 12
    return record


def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))


def mutate(event, path, new_value, delete):
    event = copy.deepcopy(event)
    if not path:
        return new_value
    parent = event
    for key in path[:-1]:
        parent = parent[key]
    if delete:
        del parent[path[-1]]
    else:
        parent[path[-1]] = new_value
    return event


@FUZZ
@given(st.binary(max_size=400))
def test_arbitrary_bytes(raw):
    check(lambda: normalize_raw(raw))


@FUZZ
@given(json_values)
def test_arbitrary_json_values(value):
    check(lambda: normalize_raw(json.dumps(value)))
    check(lambda: normalize(value))


@FUZZ
@given(st.dictionaries(st.sampled_from(CLOUDTRAIL_KEYS), json_values, max_size=10))
def test_cloudtrail_looking_objects(event):
    check(lambda: normalize(event))
    check(lambda: normalize({"detail-type": "AWS API Call via CloudTrail", "detail": event}))


@FUZZ
@given(st.data())
def test_mutated_fixtures(data):
    event = data.draw(st.sampled_from(FIXTURES))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(list(paths(event))))
        event = mutate(event, path, data.draw(json_values), delete=bool(path) and data.draw(st.booleans()))
    check(lambda: normalize_raw(json.dumps(event).encode()))


@FUZZ
@given(st.sampled_from(FIXTURES), st.integers(0, 2000), st.binary(min_size=1, max_size=8))
def test_corrupted_fixture_bytes(event, at, junk):
    raw = json.dumps(event).encode()
    at = at % len(raw)
    check(lambda: normalize_raw(raw[:at] + junk + raw[at + len(junk):]))


@FUZZ
@given(st.sampled_from(FIXTURES))
def test_same_input_same_output(event):
    raw = json.dumps(event).encode()
    assert normalize_raw(raw) == normalize_raw(raw)
