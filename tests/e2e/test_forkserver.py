"""The e2e tests' child CLIs come from the warm process (tests/e2e/forkserver.py), not from its cold
fallback, and each child sees only the environment and arguments it was given."""

import os

from tests.e2e.conftest import _forks, emulator_cli


def test_children_fork_warm_each_with_its_own_environment_and_exit_status():
    server = _forks()
    assert server.ready and server.proc.poll() is None  # a silent fallback to cold starts would hide here
    before = server.count
    broken = emulator_cli("check", "--role-name", "r", env={**os.environ, "AWS_PROFILE": "no-such-profile"})
    assert broken.returncode == 2 and "no-such-profile" in broken.stderr and broken.stdout == ""
    helped = emulator_cli("--help")  # the previous child's environment left nothing behind
    assert helped.returncode == 0 and "usage" in helped.stdout and helped.stderr == ""
    assert server.count == before + 2 and server.proc.poll() is None
