"""The command's entry points and its quiet mode off a terminal (no AWS)."""

import json
import subprocess
import sys

import pytest

from idcensus.cli import build_parser
from idcensus.cli.progress import Progress


@pytest.mark.parametrize("module", ["idcensus", "idcensus.cli"])
def test_python_dash_m_runs_the_command(module):
    done = subprocess.run([sys.executable, "-m", module, "policy", "--tier", "identity"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Statement"][0]["Effect"] == "Allow"


def test_every_subcommand_is_declared_once():
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    assert list(sub.choices) == ["collect", "demo", "findings", "policy", "schema", "backfill", "events", "check",
                                 "docs", "pull", "query", "report", "ocsf"]


def test_usage_errors_exit_2_with_the_accepted_forms(capsys):
    with pytest.raises(SystemExit) as stopped:
        build_parser().parse_args(["backfill", "--trail-bucket", "t", "--table", "t", "--bucket", "b",
                                   "--accounts", "12"])
    assert stopped.value.code == 2
    assert "expected 'all' or 12-digit account IDs" in capsys.readouterr().err


def test_progress_is_silent_off_a_terminal(capsys):
    with Progress("checking accounts") as progress:
        progress.start(3)
        for _ in range(3):
            progress.advance("anything")
    assert (progress.done, progress.total, progress.bar) == (3, 3, None)
    assert capsys.readouterr() == ("", "")
