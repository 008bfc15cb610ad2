# Two commands do all the set-up: `make demo` and `make test`. Each creates .venv with the
# standard library's venv on first use and installs the project (editable) with the extras it
# needs; a stamp file per extra makes the next run skip the install unless pyproject.toml changed.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.PHONY: demo test lint bench notebooks torch clean gallery fuzz

demo: $(VENV)/.installed-demo
	$(PY) -m nn.demo

test: $(VENV)/.installed-dev
	$(PY) -m pytest -q

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
