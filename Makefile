# The two commands a newcomer needs:
#   make run    install everything, load demo data into the embedded PostgreSQL, serve on http://127.0.0.1:8000
#   make test   install everything and run the whole test suite
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do command -v $$p >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install run test lint demo clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: install
	$(BIN)/survey run --demo

demo: install
	$(BIN)/survey demo --responses 1000000

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check survey analysis tests bench
	$(BIN)/mypy analysis

clean:
	rm -rf $(VENV) var .pytest_cache
