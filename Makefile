# One command to set up and run the demo, one to run the tests.
#   make demo   -> creates .venv, installs hkbt, runs the offline demo into backtests/demo/
#   make test   -> the whole test suite (what .ci/run calls)
#   make lint   -> ruff (style, bugs, complexity <= 12) and the doctests of hkbt's modules (.ci/run calls it too)
#   make model  -> re-train the shipped trained scorers (hkbt/sentiment/models/: tfns_linear.npz, vader_fin_stack.npz)
#   make docs-test -> runs every command shown in README.md (tests/test_readme_commands.py; .ci/run calls it too)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: setup demo test lint model docs-test clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: setup
	$(BIN)/hkbt run --set prices.source=synthetic --name demo

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q -p no:cacheprovider --doctest-modules hkbt

model: setup
	$(BIN)/python -m pip install --quiet -e ".[train]"
	$(BIN)/python -m hkbt.sentiment.train_tfns
	$(BIN)/python -m hkbt.sentiment.train_stack

docs-test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider -m readme tests/test_readme_commands.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis
