from idcensus.census import later, with_stream_activity


def user(last=None, key_used=None):
    return {"type": "iam.user", "id": "arn:aws:iam::111122223333:user/alice",
            "data": {"arn": "arn:aws:iam::111122223333:user/alice", "last_activity_at": last,
                     "access_keys": [{"id": "AKIAEXAMPLE1", "last_used_at": key_used}]}}


def test_stream_time_wins_when_later_and_moves_the_key_and_the_user():
    (out,) = with_stream_activity([user("2026-01-01T00:00:00Z")], {"AKIAEXAMPLE1": "2026-02-01T10:00:00Z"})
    assert out["data"]["access_keys"][0]["last_used_at"] == "2026-02-01T10:00:00Z"
    assert out["data"]["last_activity_at"] == "2026-02-01T10:00:00Z"


def test_an_older_stream_time_never_moves_last_use_back():
    (out,) = with_stream_activity([user("2026-03-01T00:00:00Z")],
                                  {"arn:aws:iam::111122223333:user/alice": "2026-02-01T00:00:00Z"})
    assert out["data"]["last_activity_at"] == "2026-03-01T00:00:00Z"


def test_role_last_used_and_other_types_untouched():
    role = {"type": "iam.role", "data": {"arn": "arn:aws:iam::111122223333:role/ops", "last_used_at": None}}
    group = {"type": "iam.group", "data": {"arn": "arn:aws:iam::111122223333:group/ops"}}
    out = with_stream_activity([role, group], {"arn:aws:iam::111122223333:role/ops": "2026-02-01T00:00:00Z",
                                               "arn:aws:iam::111122223333:group/ops": "2026-02-01T00:00:00Z"})
    assert out[0]["data"]["last_used_at"] == "2026-02-01T00:00:00Z"
    assert out[1] is group


def test_denied_key_listing_stays_unknown():
    record = user()
    record["data"]["access_keys"] = None
    (out,) = with_stream_activity([record], {"arn:aws:iam::111122223333:user/alice": "2026-02-01T00:00:00Z"})
    assert out["data"]["access_keys"] is None
    assert out["data"]["last_activity_at"] == "2026-02-01T00:00:00Z"


def test_later_compares_times_not_strings():
    assert later("2026-02-01T00:00:00+01:00", "2026-01-31T23:30:00Z") == "2026-01-31T23:30:00Z"
    assert later(None, None) is None
