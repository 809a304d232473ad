# Lending: `make run` serves the app on SQLite with demo data; `make test` runs the whole suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint format bench load mutation worker beat vendor clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamps: reinstall only when pyproject.toml changes, so a second `make run` starts fast.
$(VENV)/.installed-run: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	@mkdir -p var staticfiles
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo
	@echo "Serving Lending on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python scripts/testenv.py $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy
	$(BIN)/python manage.py makemigrations --check --dry-run

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-dev
	$(BIN)/python scripts/testenv.py --bench

# The load test alone (bench/bench_load.py): 20 users against gunicorn on a throw-away PostgreSQL.
load: $(VENV)/.installed-dev
	$(BIN)/python scripts/testenv.py --bench load

# Mutation testing of the money modules (docs/testing.md); `make mutation MODULE=lending/finance/allocation.py` runs one.
mutation: $(VENV)/.installed-dev
	$(BIN)/python scripts/mutation.py $(MODULE)

worker: $(VENV)/.installed-run
	$(BIN)/celery -A lending worker --loglevel=info -Q celery,documents

beat: $(VENV)/.installed-run
	$(BIN)/celery -A lending beat --loglevel=info

# Refresh the vendored front-end files from the npm registry (no CDN at run time).
vendor:
	rm -rf var/npm && mkdir -p var/npm
	cd var/npm && npm pack bootstrap@5 htmx.org@2 chart.js@4 >/dev/null && for f in *.tgz; do tar xzf $$f && mv package $${f%.tgz}; done
	cp var/npm/bootstrap-*/dist/css/bootstrap.min.css var/npm/bootstrap-*/dist/js/bootstrap.bundle.min.js static/vendor/bootstrap/
	cp var/npm/htmx.org-*/dist/htmx.min.js static/vendor/htmx/
	cp var/npm/chart.js-*/dist/chart.umd.min.js static/vendor/chartjs/

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .mypy_cache
