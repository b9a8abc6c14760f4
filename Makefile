# The two commands a newcomer needs: `make run` and `make test`. Both make their own venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test quick lint typecheck layers unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## run: set up, load a fictional demo cohort into ./sendtrail-data (SQLite) and serve the API
run: $(STAMP)
	$(BIN)/sendtrail serve --demo --host 127.0.0.1 --port 8000

## test: set up, then lint, type-check, check the layering and run every test
test: $(STAMP) lint typecheck layers unit

## quick: the fast loop while working: no browser, no PostgreSQL, nothing marked slow, on
## two cores, keeping bytecode (some machines set PYTHONDONTWRITEBYTECODE: every start
## would compile every module again)
quick: $(STAMP)
	env -u SENDTRAIL_TEST_POSTGRES -u SENDTRAIL_REQUIRE_BROWSER -u PYTHONDONTWRITEBYTECODE \
		$(BIN)/pytest -q -x -n 2 -m "not slow and not postgres" --ignore=tests/web/test_browser.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check domain ledger projections exporters api tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.append
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.ledger
	$(BIN)/python -m bench.bundle --pdf
	$(BIN)/python -m bench.privacy
	$(BIN)/python -m bench.la
	$(BIN)/python -m bench.backup
	$(BIN)/python -m bench.export_setting
	$(BIN)/python -m bench.witness

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache sendtrail-data
