# Postal Tracker: the commands a developer needs. `make help` lists them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 5000
export FLASK_APP := postal_tracker.app

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@./scripts/ensure-debian-packages
	@touch $(STAMP)

# Compiled message catalogues are build products, made from the committed .po files.
translations: $(STAMP)
	@$(BIN)/pybabel compile -f -d postal_tracker/translations >/dev/null 2>&1 \
		|| $(BIN)/pybabel compile -f -d postal_tracker/translations

# N_ marks a DomainError's message id (postal_tracker/errors.py), _l a lazy text.
messages: $(STAMP) ## extract the texts to translate and update the vi and en catalogues
	$(BIN)/pybabel extract --width 120 -F babel.cfg -k N_ -k _l -o postal_tracker/translations/messages.pot .
	$(BIN)/pybabel update --width 120 --no-fuzzy-matching --ignore-obsolete \
		-i postal_tracker/translations/messages.pot -d postal_tracker/translations

install: $(STAMP) ## create .venv and install the package with its dev tools

run: $(STAMP) translations ## serve the app with demo data on SQLite at http://127.0.0.1:$(PORT)
	$(BIN)/postal-tracker migrate
	$(BIN)/postal-tracker demo-data --if-empty
	$(BIN)/postal-tracker serve --port $(PORT) --with-scheduler

test: $(STAMP) translations ## run the whole test suite (POSTAL_TRACKER_TEST_DATABASE_URL selects PostgreSQL)
	@./scripts/ensure-debian-packages test
	$(BIN)/pytest -q

test-fast: $(STAMP) translations ## the suite without the tests marked slow (browser, crash test...), while working
	@./scripts/ensure-debian-packages test
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP) ## ruff, mypy and the import contracts (lint-imports)
	$(BIN)/ruff check postal_tracker tests bench migrations
	$(BIN)/ruff format --check postal_tracker tests bench
	$(BIN)/mypy postal_tracker tests
	$(BIN)/lint-imports

format: $(STAMP) ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix postal_tracker tests bench
	$(BIN)/ruff format postal_tracker tests bench

check-wheel: $(STAMP) translations ## build the wheel, install it in a fresh venv outside the tree, serve it
	$(BIN)/python scripts/check_wheel.py

bench: $(STAMP) ## run every benchmark under bench/ and write bench/report.json
	$(BIN)/python -m bench

crash-test: $(STAMP) ## kill -9 gunicorn under load, on SQLite and PostgreSQL (long run)
	$(BIN)/python scripts/crash_test.py --db sqlite --kills 10 --seconds 60
	$(BIN)/python scripts/crash_test.py --db $${POSTAL_TRACKER_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} --kills 10 --seconds 60

clean: ## remove the virtual environment and caches (keeps instance/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .import_linter_cache *.egg-info

.PHONY: help install translations messages run test test-fast lint format check-wheel bench crash-test clean
