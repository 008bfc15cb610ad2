# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv with the
# standard library's venv on first use and installs the project (editable) with the extras it
# needs; a stamp file per extra makes the next run skip the install unless pyproject.toml changed.
#
# Other Pythons: `make test PYTHON=python3.12` (a name on the PATH or a path) does the same in a
# venv of that version's own, .venv-3.12, beside .venv; the default python3 keeps .venv.

PYTHON ?= python3
ifeq ($(PYTHON),python3)
VENV := .venv
else
PYTHON_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null \
                              | grep -xE '[0-9]+\.[0-9]+')
ifeq ($(PYTHON_VERSION),)
$(error PYTHON=$(PYTHON) is not a Python that runs here: name one 3.10 or newer on the PATH, or give its path (pyenv keeps them in ~/.pyenv/versions/*/bin))
endif
ifneq ($(filter 2.% 3.0 3.1 3.2 3.3 3.4 3.5 3.6 3.7 3.8 3.9,$(PYTHON_VERSION)),)
$(error PYTHON=$(PYTHON) is Python $(PYTHON_VERSION): backprop-lab needs Python 3.10 or newer)
endif
VENV := .venv-$(PYTHON_VERSION)
endif
BIN    := $(VENV)/bin
PY     := $(BIN)/python

# The library's own tests: all but those that need a browser, LaTeX or a Jupyter kernel (the
# markers tests/conftest.py gives them by the fixtures they use). CI runs them on every Python
# but the one that runs everything.
LIBRARY_TESTS := not browser and not latex and not notebook

.PHONY: demo test test-library lint bench notebooks torch clean gallery fuzz

demo: $(VENV)/.installed-demo
	$(PY) -m nn.demo

test: $(VENV)/.installed-dev
	$(PY) -m pytest -q

test-library: $(VENV)/.installed-dev
	$(PY) -m pytest -q -m "$(LIBRARY_TESTS)"

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

bench: $(VENV)/.installed-dev
	$(PY) bench/run.py

# The compiler's differential fuzzer, its long run (make test runs a fast slice of it).
fuzz: $(VENV)/.installed-dev
	BACKPROP_LAB_FUZZ=long $(PY) -m pytest -q tests/compiled/test_fuzz.py

notebooks: $(VENV)/.installed-dev
	$(PY) notebooks/execute.py

# Every picture kind in every theme and format, machine-checked, in gallery/ (open
# gallery/index.html); tools/gallery/build.py --help for its options.
gallery: $(VENV)/.installed-dev
	$(PY) tools/gallery/build.py

# Which extras each stamp installs: the demo draws pictures and plots; dev is everything.
EXTRAS_demo := viz,notebooks
EXTRAS_dev  := dev

# Creates the venv when it is missing, then installs. pip is quiet and a first install takes about
# a minute: one line says what is happening before it starts.
NEW_VENV = test -x $(PY) || { $(PYTHON) -m venv $(VENV) && $(PY) -m pip install --quiet --upgrade pip; }

$(VENV)/.installed-%: pyproject.toml
	@echo "Installing backprop-lab[$(EXTRAS_$*)] into $(VENV) (about a minute on a first run)..."
	@$(NEW_VENV)
	@$(PY) -m pip install --quiet -e ".[$(EXTRAS_$*)]"
	@touch $@

# PyTorch, optional: the tests that compare with it and notebook 08 run once it is installed
# (.ci/run always installs it). TORCH is pinned because a bare `torch` requirement pulls a
# CUDA build of several GB where a CPU build of this release is at hand.
TORCH ?= torch==2.13.0

torch: $(VENV)/.installed-torch

$(VENV)/.installed-torch: pyproject.toml
	@echo "Installing $(TORCH) and backprop-lab[dev,torch] into $(VENV) (a minute or two)..."
	@$(NEW_VENV)
	@$(PY) -m pip install --quiet "$(TORCH)" -e ".[dev,torch]"
	@touch $@

clean:
	rm -rf .venv .venv-[0-9]* out build dist .pytest_cache .hypothesis .ruff_cache

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
