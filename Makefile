# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
# Lambda runs Python 3.13: use pyenv's 3.13 when it is there, else python3.
PYTHON ?= $(shell PYENV_VERSION=3.13.0 pyenv which python 2>/dev/null || command -v python3.13 || command -v python3)
export SAM_CLI_TELEMETRY=0 BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true
# checkov lives in its own venv: its pins clash with the project's, and it wants Python <= 3.12.
TOOLS_PYTHON ?= $(shell PYENV_VERSION=3.12.1 pyenv which python 2>/dev/null || command -v python3.12 || command -v python3.11 || command -v python3)
CHECKOV_VERSION := 3.3.30
CHECKOV_STAMP := .tools/checkov/.installed-$(CHECKOV_VERSION)
# A test run starts ~70 interpreters (pytest workers, the e2e tests' child CLIs) that import the same
# sources: they keep compiled bytecode (__pycache__: git-ignored, and the artifact build skips it) even
# where the environment says not to write it, instead of each compiling the project again.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(VENV)/bin/python -m pytest

.PHONY: demo test test-integrity tools browser lint bench schema clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/idcensus demo

test: $(VENV)/.installed tools browser
	$(VENV)/bin/ruff check functions emulator tests benchmarks
	# Two pytest runs: in-process moto (mock_aws) resets every backend when it starts, which would wipe
	# the e2e tests' emulator (moto's server in the same worker process) if both shared a worker. They
	# run at the same time, so the cores stay busy while one run's tests wait (on child processes,
	# moto, sleeps) or its last tests finish; the e2e report is printed after the other's, and either
	# run failing fails the target. worksteal: an idle e2e worker takes the tests queued behind the
	# demo, which tests/e2e/conftest.py starts first. tests/artifact runs its own moto server process,
	# so it joins the in-process run. loadfile: a module's tests stay on one worker, so a module-scoped
	# fixture (one checkov run, one census, the artifact's build and server) runs once, not per worker.
	@e2e_log=$$(mktemp); \
	$(PYTEST) -n 2 --dist worksteal --durations=10 tests/e2e > $$e2e_log 2>&1 & e2e=$$!; \
	trap 'kill $$e2e 2>/dev/null; rm -f $$e2e_log' EXIT; \
	$(PYTEST) -n 2 --dist loadfile --durations=10 tests/unit tests/aws tests/templates tests/artifact; fast=$$?; \
	wait $$e2e; slow=$$?; \
	echo "==== tests/e2e (ran alongside) ===="; cat $$e2e_log; \
	exit $$(( fast ? fast : slow ))

# The whole fault matrix of tests/aws/test_commit_point.py (every write step x every fault kind, ~10 min);
# `make test` runs every third step per kind, which still faults every step once.
test-integrity: $(VENV)/.installed
	IDCENSUS_FAULT_STRIDE=1 $(PYTEST) -n 2 -s tests/aws/test_commit_point.py

tools: $(CHECKOV_STAMP)

$(CHECKOV_STAMP):
	rm -rf .tools/checkov
	$(TOOLS_PYTHON) -m venv .tools/checkov
	.tools/checkov/bin/pip install --quiet --upgrade pip
	.tools/checkov/bin/pip install --quiet "checkov==$(CHECKOV_VERSION)"
	touch $@

# The report's browser test (tests/e2e/test_report.py) drives Debian's Chromium through Playwright's
# Python client: Playwright's own browser download cannot reach its CDN here. Root installs it once.
browser:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || [ -n "$$IDCENSUS_CHROMIUM" ] || \
		{ sudo=$$([ "$$(id -u)" = 0 ] || echo "sudo -n"); $$sudo apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq chromium >/dev/null; }

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check functions emulator tests benchmarks

bench: $(VENV)/.installed
	$(VENV)/bin/python benchmarks/bench_collect.py
	$(VENV)/bin/python benchmarks/bench_queue.py
	$(VENV)/bin/python benchmarks/bench_identity_center.py
	$(VENV)/bin/python benchmarks/bench_resources.py
	$(VENV)/bin/python benchmarks/bench_normalize.py
	$(VENV)/bin/python benchmarks/bench_activity.py
	$(VENV)/bin/python benchmarks/bench_findings.py
	$(VENV)/bin/python benchmarks/bench_report.py
	$(VENV)/bin/python benchmarks/bench_cost.py

schema: $(VENV)/.installed
	$(VENV)/bin/idcensus schema --write docs/schema
	$(VENV)/bin/idcensus docs README.md

clean:
	rm -rf $(VENV) idcensus-demo-export .pytest_cache test-output
