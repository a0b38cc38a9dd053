# Every target creates .venv on first use; `make test` is what CI runs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: test lint typecheck unit demo bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Installs into .venv with uv (from PyPI, bootstrapped into .venv itself): it downloads and
# unpacks in parallel, so a fresh install takes seconds where pip took about 40 s on a 2-core
# machine. If uv cannot be installed or its install fails (uv reads no pip.conf: a private index
# or proxy set up for pip only), pip does the same job. Neither byte-compiles: Python
# compiles what it imports on first use, instead of every module of pulumi_aws.
install = { $(BIN)/pip install --quiet 'uv>=0.5,<1' >/dev/null 2>&1 \
	&& $(BIN)/uv pip install --quiet --python $(BIN)/python $(1); } \
	|| { echo "uv unavailable or failed; installing with pip"; \
	     $(BIN)/pip install --quiet --no-compile $(1); }

# What `tap` needs to run; `make demo` installs only this.
$(RUNTIME): pyproject.toml | $(BIN)/python
	$(call install,-e .)
	touch $(RUNTIME)

# Linters, type checker, test and benchmark tools on top.
$(DEV): $(RUNTIME)
	$(call install,-e '.[dev]')
	touch $(DEV)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(DEV)
	$(BIN)/mypy

unit: $(DEV)
	$(BIN)/pytest

test: lint typecheck unit

demo: $(RUNTIME)
	$(BIN)/tap validate
	$(BIN)/tap local --stack dev --objects 50

bench: $(DEV)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .tap build dist
