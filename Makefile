# Waypoint: `make run` opens the app, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PIP_FLAGS := -q --disable-pip-version-check

.PHONY: venv run test lint bench screenshots clean

venv: $(STAMP)

# Create the virtual environment only when it is missing.
$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# (Re)install only when pyproject.toml is newer than the last install.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_FLAGS) -e '.[test]'
	touch $@

run: venv
	$(BIN)/waypoint

test: venv
	$(BIN)/ruff check app tests
	$(BIN)/lint-imports --no-logo
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest

lint: venv
	$(BIN)/ruff check app tests

bench: venv
	$(BIN)/python -m tests.perf --readme

# Each view of the desktop app on the M demo data, into resources/screenshots/.
screenshots: venv
	$(BIN)/python -m tests.screenshots

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis .import_linter_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
