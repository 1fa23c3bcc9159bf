"""Every error `events replay` and `backfill` can hit midway is one line saying what to do:
exit 2 when nothing was done, exit 1 (with how far it got, and that a rerun resumes) when some was."""

import gzip
import json
import os
import re
from datetime import UTC, datetime

import pytest
from tests.e2e.conftest import emulator_cli

from idcensus_emulator.demo_activity import cloudtrail, eventbridge, user_identity
from idcensus_emulator.seed import EXTERNAL_ID, READ_ROLE

pytestmark = pytest.mark.e2e


def idcensus(*args, **env):
    return emulator_cli(*args, env={**os.environ, **env})


def storage(cli, *, create=True):
    return ["--table", cli.table, "--bucket", cli.bucket, "--role-name", READ_ROLE, "--external-id", EXTERNAL_ID,
            "--json", *(["--create-storage"] if create else [])]


def one_line(done, code: int) -> str:
    """The one stderr line of a run that exited with `code`."""
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("idcensus: "), done.stderr
    return lines[0]


def events_file(tmp_path, account, count=2):
    path = tmp_path / "events.json"
    who = user_identity(account, "ci-deploy")
    path.write_text(json.dumps([eventbridge(cloudtrail(account, who, "ListRoles", read_only=True))
                                for _ in range(count)]))
    return path


def log_file(account, n: int) -> tuple[str, bytes]:
    day = datetime.now(UTC)
    key = (f"AWSLogs/{account}/CloudTrail/us-east-1/{day:%Y/%m/%d}/"
           f"{account}_CloudTrail_us-east-1_{day:%Y%m%dT%H%M}Z_{n:04d}.json.gz")
    record = cloudtrail(account, user_identity(account, "ci-deploy"), "GetUser", read_only=True)
    return key, gzip.compress(json.dumps({"Records": [record]}).encode())


def deny_get(s3, bucket: str, key: str) -> None:
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/{key}"}]}))


def test_missing_trail_bucket(cli):
    line = one_line(idcensus("backfill", "--trail-bucket", f"{cli.bucket}-nope", *storage(cli)), 2)
    assert f"{cli.bucket}-nope" in line and "check its name" in line


@pytest.mark.parametrize("command", ["replay", "backfill"])
def test_missing_state_table_without_create_storage(cli, tmp_path, command, org):
    args = ["events", "replay", str(events_file(tmp_path, org.accounts["prod"]))] if command == "replay" \
        else ["backfill", "--trail-bucket", "any"]
    line = one_line(idcensus(*args, *storage(cli, create=False)), 2)
    assert f"DynamoDB table {cli.table!r} does not exist" in line and "--create-storage" in line


def test_unreadable_replay_file(cli, tmp_path):
    line = one_line(idcensus("events", "replay", str(tmp_path / "absent.json"), *storage(cli)), 2)
    assert "no such file" in line
    garbage = tmp_path / "notes.txt"
    garbage.write_bytes(b"user,when\nalice,yesterday\n\xff\xfe\x00")
    line = one_line(idcensus("events", "replay", str(garbage), *storage(cli)), 2)
    assert "neither JSON nor JSON Lines" in line and "pass a file of CloudTrail or EventBridge events" in line
    folder = tmp_path / "folder.json"
    folder.mkdir()
    assert "no such file" in one_line(idcensus("events", "replay", str(folder), *storage(cli)), 2)


def test_gzipped_log_file_replays(cli, tmp_path, org):
    key, body = log_file(org.accounts["dev"], 1)
    path = tmp_path / key.rsplit("/", 1)[1]
    path.write_bytes(body)
    done = idcensus("events", "replay", str(path), *storage(cli))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["normalized"] == 1


def test_no_endpoint_reachable(cli, tmp_path, org):
    line = one_line(idcensus("events", "replay", str(events_file(tmp_path, org.accounts["prod"])), *storage(cli),
                             AWS_ENDPOINT_URL="http://127.0.0.1:9", IDCENSUS_MAX_ATTEMPTS="2"), 2)
    assert "cannot reach AWS" in line and "AWS_ENDPOINT_URL" in line


def test_access_denied_on_the_trail_log_files(cli, s3, org):
    trail = f"{cli.bucket}-trail"
    s3.create_bucket(Bucket=trail)
    key, body = log_file(org.accounts["prod"], 1)
    s3.put_object(Bucket=trail, Key=key, Body=body)
    deny_get(s3, trail, key)
    line = one_line(idcensus("backfill", "--trail-bucket", trail, "--days", "1", *storage(cli)), 2)
    assert re.search(rf"cannot read s3://{trail}/{key} \((AccessDenied|403)\)", line) and "bucket's policy" in line


def test_a_backfill_stopped_midway_is_partial_and_resumes(cli, s3, org):
    from idcensus.stream.backfill import GROUP_FILES

    trail = f"{cli.bucket}-trail"
    s3.create_bucket(Bucket=trail)
    keys = []
    for n in range(GROUP_FILES + 1):  # one full checkpointed group, then a file it may not read
        key, body = log_file(org.accounts["prod"], n)
        s3.put_object(Bucket=trail, Key=key, Body=body)
        keys.append(key)
    deny_get(s3, trail, keys[-1])
    args = ["backfill", "--trail-bucket", trail, "--days", "1", *storage(cli)]
    line = one_line(idcensus(*args), 1)
    assert f"backfill stopped after {GROUP_FILES} of {GROUP_FILES + 1} log files were done" in line
    assert re.search(rf"cannot read s3://{trail}/{keys[-1]} \((AccessDenied|403)\)", line)
    assert "it resumes after" in line

    s3.delete_bucket_policy(Bucket=trail)
    rerun = idcensus(*args)
    assert rerun.returncode == 0, rerun.stderr
    out = json.loads(rerun.stdout)
    assert (out["files"], out["resumed"], out["processed"]) == (GROUP_FILES + 1, GROUP_FILES, 1)


def test_a_replay_stopped_midway_is_partial_and_a_rerun_dedupes(cli, tmp_path, org):
    path = events_file(tmp_path, org.accounts["prod"], count=3)
    missing = f"{os.environ['AWS_ENDPOINT_URL']}/123456789012/idcensus-vendor-missing"
    line = one_line(idcensus("events", "replay", str(path), *storage(cli), "--vendor-queue", missing), 1)
    assert "events replay stopped after 3 of 3 events were read" in line
    assert "NonExistentQueue" in line or "QueueDoesNotExist" in line
    assert "check the table, bucket and queue names" in line and "rerun the same command" in line

    rerun = idcensus("events", "replay", str(path), *storage(cli))
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout)["counts"]["normalized"] == 3  # left pending: redone, not lost


def test_throttling_that_outlasts_the_retries(cli, tmp_path, org, monkeypatch, capsys):
    """In process, so a before-send hook can throttle the second event's dedupe claim on every attempt."""
    from idcensus.aws import ClientFactory
    from idcensus.cli import main
    from idcensus_emulator.gaps import answer

    path = events_file(tmp_path, org.accounts["prod"])
    second = json.loads(path.read_text())[1]["detail"]["eventID"]
    throttled = []

    def throttle(request, **_):
        if request.headers.get("X-Amz-Target", b"").endswith(b".PutItem") and second.encode() in request.body:
            throttled.append(1)
            return answer(request, 400, b'{"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",'
                                        b' "message": "Rate of requests exceeds the allowed throughput."}')
        return None

    made = ClientFactory.from_environment.__func__
    monkeypatch.setattr(ClientFactory, "from_environment",
                        classmethod(lambda cls, session=None, hooks=None: made(
                            cls, session, [*(hooks or []), ("before-send.dynamodb", throttle)])))
    monkeypatch.setenv("IDCENSUS_MAX_ATTEMPTS", "3")
    assert main(["events", "replay", str(path), *storage(cli)]) == 1
    err = capsys.readouterr().err
    assert len(throttled) == 4  # the first try and 3 retries (botocore max_attempts counts retries)
    (line,) = err.strip().splitlines()
    assert line.startswith("idcensus: events replay stopped after 1 of 2 events were read: PutItem: ")
    assert "ThrottlingException" in line and "rerun later" in line and "rerun the same command" in line
