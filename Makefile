# MACA — Multi-Agency Case Audit. `make run` to try it, `make test` to check it.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links in invitation and reminder emails point where `make run` serves, unless SITE_URL is set.
SITE_URL ?= http://$(HOST):$(PORT)
# Tests run in one process per core (pytest-xdist); PYTEST_WORKERS= runs them in this one.
PYTEST_WORKERS ?= -n auto
# The every-page accessibility walk runs alone: inside a worker after other browser tests it has
# stalled waiting on the browser.
EVERY_PAGE := tests/test_browser_every_page.py::test_every_page_for_every_role_passes_axe_at_desktop_and_phone_widths
MODULES ?=
# The SQLite test runs start each worker from a copy of one database migrated once per set of
# migrations (tests/conftest.py): applying every migration took each worker about ten seconds.
TEST_DB_DIR ?= $(if $(wildcard /dev/shm),/dev/shm,/tmp)/maca-test-db-$(shell id -u)
TEST_DB_TEMPLATE = $(TEST_DB_DIR)/$(shell cat requirements.txt */migrations/*.py | sha1sum | cut -c1-16).sqlite3
MUTATION_JOBS ?=
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_RUNTIME := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
APT_TEST := chromium poppler-utils postgresql nginx-light openssl redis-server

.PHONY: help install run demo bench bench-quick load restore-drill multi-host mutation test test-s3 test-sqlite test-sqlite-workers every-page test-postgres lint format check-deploy clean apt-runtime apt-test test-db-template

help:
	@echo "make run      set up everything and serve the demo at http://$(HOST):$(PORT)"
	@echo "make test     lint, migrations check, tests on SQLite and PostgreSQL, browser tests"
	@echo "make install  create $(VENV) and install the pinned requirements"
	@echo "make lint     ruff format --check, ruff check and the layers contract (lint-imports)"
	@echo "make bench    speed and scale figures (bench/run.py)"
	@echo "make load     50 simulated users reading and writing for 60 s, then every create pressed twice (bench/load.py)"
	@echo "make restore-drill  back up, drop and restore a database with files, and compare"
	@echo "make multi-host  two application servers and a worker sharing PostgreSQL, Redis, S3"
	@echo "make mutation  mutation score of the safety modules (MODULES=maca/spreadsheets.py for one group)"

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) 2>/dev/null || { scripts/apt-ensure python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	# --no-compile: Python compiles what is imported when it is first imported; compiling every
	# module of every package here took longer than installing them.
	$(BIN)/python -m pip install --quiet --no-compile -r requirements-dev.txt
	@touch $@

install: apt-runtime $(BIN)/.installed

# Install Debian packages only when something is missing, so a ready machine is not touched.
apt-runtime:
	@scripts/apt-ensure $(APT_RUNTIME)

apt-test:
	@scripts/apt-ensure $(APT_TEST)

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo
	@echo
	@echo "MACA is at http://$(HOST):$(PORT)/ — sign in as chair / demo (Ctrl+C to stop)"
	DEBUG=1 SITE_URL=$(SITE_URL) $(BIN)/python manage.py runserver $(HOST):$(PORT)

demo: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py load_demo

lint: $(BIN)/.installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

check-deploy: $(BIN)/.installed
	scripts/check-deploy

# After the tests on SQLite, two lines run side by side (scripts/side-by-side): the PostgreSQL
# run keeps both cores busy, while the every-page walk, the servers of multi-host, the restore
# drill and the benchmark mostly wait on a browser, a server or a disk, and the S3 run follows. Each starts and
# stops its own services on ports of its own; each one's output is shown whole when it ends.
test: install apt-test lint
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory check-deploy
	$(MAKE) --no-print-directory test-sqlite-workers
	scripts/side-by-side "test-postgres" "every-page multi-host restore-drill bench-quick test-s3"

test-sqlite: $(BIN)/.installed
	$(MAKE) --no-print-directory test-sqlite-workers
	$(MAKE) --no-print-directory every-page

test-sqlite-workers: $(BIN)/.installed test-db-template
	@echo "== tests on SQLite (with the browser tests)"
	env -u DATABASE_URL MACA_TEST_DATABASE_TEMPLATE=$(TEST_DB_TEMPLATE) $(BIN)/pytest -q $(PYTEST_WORKERS) --deselect $(EVERY_PAGE)

every-page: $(BIN)/.installed test-db-template
	@echo "== every page for every role with axe, in one process of its own"
	env -u DATABASE_URL MACA_TEST_DATABASE_TEMPLATE=$(TEST_DB_TEMPLATE) $(BIN)/pytest -q -p no:xdist $(EVERY_PAGE)

# Made once per set of migrations, whole or not at all (another run may be reading it); those of
# earlier migrations, and copies left by test runs that were stopped, are deleted then.
test-db-template: $(BIN)/.installed
	@test -s $(TEST_DB_TEMPLATE) || { mkdir -p $(TEST_DB_DIR) && \
	  find $(TEST_DB_DIR) -name '*.sqlite3*' -mmin +120 -delete && rm -f $(TEST_DB_TEMPLATE).$$$$ && \
	  env DATABASE_URL=sqlite:///$(TEST_DB_TEMPLATE).$$$$ DEBUG=1 $(BIN)/python manage.py migrate --noinput -v 0 && \
	  mv $(TEST_DB_TEMPLATE).$$$$ $(TEST_DB_TEMPLATE); }

bench-quick: $(BIN)/.installed
	@echo "== benchmark smoke check (figures only mean something from make bench)"
	$(BIN)/python bench/run.py --quick

test-postgres: $(BIN)/.installed
	@echo "== tests on a throwaway PostgreSQL"
	scripts/with-postgres scripts/with-template-database $(BIN)/pytest -q $(PYTEST_WORKERS) -m "not browser"

test-s3: $(BIN)/.installed test-db-template
	@echo "== file tests against a throwaway S3-compatible store (moto)"
	env -u DATABASE_URL MACA_TEST_DATABASE_TEMPLATE=$(TEST_DB_TEMPLATE) scripts/with-s3 $(BIN)/pytest -q $(PYTEST_WORKERS) -m "storage and not browser"

bench: $(BIN)/.installed
	scripts/with-postgres $(BIN)/python bench/run.py

load: $(BIN)/.installed
	scripts/with-postgres $(BIN)/python bench/load.py

multi-host: $(BIN)/.installed
	@echo "== two application servers and a worker: sessions, files, emails and edits shared"
	scripts/multi-host

restore-drill: $(BIN)/.installed
	@echo "== restore drill: back up, drop, restore, compare row counts and file hashes"
	PG_TEST_PORT=24328 scripts/with-postgres scripts/restore-drill

# Not part of `make test`: slow. Mutants run as many at a time as the machine has cores
# (MUTATION_JOBS=1 for one at a time).
mutation: $(BIN)/.installed
	MUTATION_JOBS=$(MUTATION_JOBS) $(BIN)/python scripts/mutation $(MODULES)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache test-artifacts
