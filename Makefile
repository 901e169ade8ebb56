# LeadFollow developer commands. A fresh machine needs only Python 3.11 and make:
# with nothing configured the app runs on SQLite with Celery tasks executed in-process.

PORT ?= 8000
VENV ?= .venv
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PYTEST_ARGS ?=

PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Scheduler hook: without Redis, `make run` starts the in-process scheduler loop next to the
# server (it fires SLA and cadence ticks, and stops with the server). With REDIS_URL set, Celery
# beat runs those ticks instead: `make worker` and `make beat`.
ifeq ($(strip $(REDIS_URL)),)
RUN_SCHEDULER := $(wildcard */management/commands/run_scheduler.py)
endif

.DEFAULT_GOAL := help
.PHONY: help install run test lint format worker beat clean

help:
	@echo "make run     install, migrate, seed the demo workspace, serve on http://127.0.0.1:$(PORT)/"
	@echo "make test    run the test suite (PYTEST_ARGS='-k intake' to narrow it)"
	@echo "make lint    ruff check, ruff format --check, makemigrations --check"
	@echo "make format  sort imports and format with ruff"
	@echo "make worker  Celery worker (needs REDIS_URL)"
	@echo "make beat    Celery beat (needs REDIS_URL)"
	@echo "make clean   remove the virtualenv, caches and collected static files (keeps db.sqlite3)"

install: $(STAMP)

# Reinstall only when the dependencies change, so `make run` and `make test` start at once.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -e '.[dev]'
	touch $@

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo
	@echo "  LeadFollow demo: http://127.0.0.1:$(PORT)/"
	@echo "  Log in as owner@demo.leadfollow.test with the password leadfollow-demo"
	@echo "  (or as any of the people listed above). Stop with Ctrl-C."
	@echo
ifneq ($(RUN_SCHEDULER),)
	$(PY) manage.py run_scheduler & sched=$$!; \
	trap 'kill $$sched 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)
else
	$(PY) manage.py runserver 127.0.0.1:$(PORT)
endif

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --select I --fix .
	$(VENV)/bin/ruff format .

worker: install
	$(VENV)/bin/celery -A leadfollow worker -l info

beat: install
	$(VENV)/bin/celery -A leadfollow beat -l info --schedule celerybeat-schedule

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache *.egg-info build celerybeat-schedule*
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
