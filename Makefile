# The two commands a newcomer needs:
#   make run    install everything, load demo data into the embedded PostgreSQL, serve on http://127.0.0.1:8000
#   make test   install everything and run the whole test suite
# The first interpreter that really runs and is 3.11 or 3.12 (the embedded PostgreSQL wheel stops at 3.12).
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV ?= .venv
BIN = $(VENV)/bin

.PHONY: install run test lint demo clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is required (apt-get install python3.11 python3.11-venv)"; exit 1; }
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
