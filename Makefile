# Entry points: `make run` (serve on http://127.0.0.1:8000) and `make test` (lint + whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG := scripts/pg_throwaway.sh
PYTEST_ARGS ?=

.PHONY: install run lint test bench clean

# Virtualenv with the project (editable) and dev tools; rebuilt when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Migrate the default SQLite database and serve the API (serve migrates too; both are harmless).
run: install
	$(BIN)/treasury migrate
	$(BIN)/treasury serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy treasury pooling hedging compliance positions tests benchmarks

# Whole suite on SQLite and on a throwaway PostgreSQL, which is always stopped afterwards.
# pytest's exit code is kept; 5 (no tests collected) counts as a failure.
test: install lint
	@trap 'bash $(PG) stop' EXIT; \
	bash $(PG) start || exit 1; \
	rc=0; TREASURY_TEST_POSTGRES_URL="$$(cat .pgtest/url)" $(BIN)/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$rc

# Each benchmarks/<name>.py (except _*.py) runs as `python -m benchmarks.<name>` and prints one JSON line.
bench: install
	@trap 'bash $(PG) stop' EXIT; \
	bash $(PG) start >&2 || exit 1; \
	rc=0; for f in benchmarks/*.py; do \
	  name=$$(basename "$$f" .py); case "$$name" in _*) continue ;; esac; \
	  TREASURY_BENCH_POSTGRES_URL="$$(cat .pgtest/url)" $(BIN)/python -m "benchmarks.$$name" || rc=1; \
	done; exit $$rc

clean:
	-bash $(PG) stop
	rm -rf $(VENV) .pgtest treasury.db treasury.db-* build *.egg-info \
	  .pytest_cache .mypy_cache .ruff_cache .hypothesis
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
