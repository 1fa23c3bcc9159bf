# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
SHELL := /bin/bash
VENV := .venv
# Lambda runs Python 3.13: use pyenv's 3.13 when it is there, else python3.
PYTHON ?= $(shell PYENV_VERSION=3.13.0 pyenv which python 2>/dev/null || command -v python3.13 || command -v python3)
export SAM_CLI_TELEMETRY=0 BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true

.PHONY: demo test lint bench schema clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e ".[dev]"
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/idcensus demo

test: $(VENV)/.installed
	$(VENV)/bin/python -m pytest -n 2 tests

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check functions tests benchmarks

bench: $(VENV)/.installed
	$(VENV)/bin/python benchmarks/bench_collect.py

schema: $(VENV)/.installed
	$(VENV)/bin/idcensus schema --write docs/schema

clean:
	rm -rf $(VENV) idcensus-demo-export .pytest_cache
