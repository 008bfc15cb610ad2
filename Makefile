# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv with the
# standard library's venv on first use and installs the project (editable) with the extras it
# needs; a stamp file per extra makes the next run skip the install unless pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo test lint bench notebooks torch clean

demo: $(VENV)/.installed-demo
	$(PY) -m nn.demo

test: $(VENV)/.installed-dev
	$(PY) -m pytest -q

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

bench: $(VENV)/.installed-dev
	$(PY) bench/run.py

notebooks: $(VENV)/.installed-dev
	$(PY) notebooks/execute.py

# Which extras each stamp installs: the demo draws pictures and plots; dev is everything.
EXTRAS_demo := viz,notebooks
EXTRAS_dev  := dev

# Creates .venv when it is missing, then installs. pip is quiet and a first install takes about
# a minute: one line says what is happening before it starts.
NEW_VENV = test -x $(PY) || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip; }

$(VENV)/.installed-%: pyproject.toml
	@echo "Installing backprop-lab[$(EXTRAS_$*)] into .venv (about a minute on a first run)..."
	@$(NEW_VENV)
	@$(PY) -m pip install --quiet -e ".[$(EXTRAS_$*)]"
	@touch $@

# PyTorch, optional: the tests that compare with it and notebook 08 run once it is installed
# (.ci/run always installs it). TORCH is pinned because a bare `torch` requirement pulls a
# CUDA build of several GB where a CPU build of this release is at hand.
TORCH ?= torch==2.13.0

torch: $(VENV)/.installed-torch

$(VENV)/.installed-torch: pyproject.toml
	@echo "Installing $(TORCH) and backprop-lab[dev,torch] into .venv (a minute or two)..."
	@$(NEW_VENV)
	@$(PY) -m pip install --quiet "$(TORCH)" -e ".[dev,torch]"
	@touch $@

clean:
	rm -rf $(VENV) out build dist .pytest_cache .hypothesis .ruff_cache

# ---- The course as a static web site, and the suite under Pyodide (lite/, README) ----------
# Separate from the targets above: nothing here touches .venv. `make site` builds site/ from
# npm and PyPI (cached in .lite-cache/); `make serve-site` serves it on 127.0.0.1;
# `make test-pyodide` runs the test suite under Pyodide (Python 3.14 as WebAssembly) in Node.
SITE_PORT ?= 8000
PYODIDE_TESTS ?= tests/core tests/compiled tests/pictures tests/stepthrough tests/teach tests/nn

.PHONY: site serve-site test-pyodide

site:
	$(PYTHON) lite/build.py

serve-site: $(if $(wildcard site/index.html),,site)
	$(PYTHON) lite/serve.py --port $(SITE_PORT)

test-pyodide:
	$(PYTHON) lite/build.py --for-tests
	node --experimental-wasm-stack-switching lite/pytest_in_pyodide.mjs $(PYODIDE_TESTS)
