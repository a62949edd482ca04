# Openlance: `make run` serves the marketplace, `make test` checks everything.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PORT ?= 8000
export PORT

.PHONY: run install migrate demo test test-browser lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo_load

run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Openlance on http://127.0.0.1:$(PORT)  (Ctrl-C stops the web server and the worker)"
	$(BIN)/honcho --procfile Procfile --port $(PORT) start

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy openlance
	$(BIN)/lint-imports

test: lint
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 1
	$(BIN)/pytest -m "not browser" --cov --cov-report=term:skip-covered

test-browser: $(STAMP)
	$(BIN)/pytest -m browser -p no:randomly -v

bench: $(STAMP)
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do $(BIN)/python $$b; done || echo "No benchmarks yet."

clean:
	rm -rf $(VENV) var .coverage .mypy_cache .ruff_cache
