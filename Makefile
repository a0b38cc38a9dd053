# Every target creates .venv on first use; `make test` is what CI runs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: test lint typecheck unit demo bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# What `tap` needs to run; `make demo` installs only this. --no-compile: Python compiles what it
# imports on first use, instead of pip byte-compiling every module of pulumi_aws (about 40 s).
$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --no-compile -e .
	touch $(RUNTIME)

# Linters, type checker, test and benchmark tools on top.
$(DEV): $(RUNTIME)
	$(BIN)/pip install --quiet --no-compile -e '.[dev]'
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
