# Openlance: `make run` serves the marketplace, `make test` checks everything.
# `make help` lists the targets. Every target installs the virtualenv first if needed.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# The install is redone whenever pyproject.toml (the pinned dependencies) changes.
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
# The same for the benchmarks' extra dependencies (the `bench` group).
BENCH_STAMP := $(VENV)/.bench-installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PORT ?= 8000
export PORT
export PYTHONUNBUFFERED := 1
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_NO_INPUT := 1
# Sessions and CSRF tokens are signed with SECRET_KEY, and with DEBUG off (gunicorn, the
# worker, manage.py) Openlance refuses to start without one: the targets here pass this
# development key unless the environment sets its own. Never use it in production.
export SECRET_KEY ?= django-insecure-openlance-make-targets-development-only-0123456789
# Extra pytest options, e.g. `make test PYTEST_ARGS="-x -k ledger"` or "-n 2" (xdist).
PYTEST_ARGS ?=

.PHONY: help run install migrate demo static test test-browser check-deploy fuzz client-smoke load lint migrations-check bench bench-search bench-http bench-money bench-smoke bench-wrk clean

help:
	@echo "make run           install, migrate, load demo data, serve on http://127.0.0.1:$(PORT) (PORT=9000 make run)"
	@echo "make test          ruff, ruff format --check, mypy, lint-imports, migrations check, pytest + coverage"
	@echo "make test-browser  the browser tests (pytest -m browser, headless /usr/bin/chromium)"
	@echo "make check-deploy  manage.py check --deploy with production settings: no warnings"
	@echo "make fuzz          schemathesis against a live demo server, as a freelancer and as a client"
	@echo "make client-smoke  a client generated from the OpenAPI document, called against the demo"
	@echo "make load          production-like run: PostgreSQL + Redis, 2 gunicorn + 2 Huey, mixed load"
	@echo "make bench         benchmarks in bench/ (BENCH_DATABASE_URL=postgres://... adds PostgreSQL)"
	@echo "make bench-search  search at 100,000 profiles beside tantivy (N=..., BENCH_DATABASE_URL adds PostgreSQL)"
	@echo "make bench-http    req/s of search, job detail and the search page under load, against a bare view"
	@echo "make bench-money   money reads at 1k/100k/1M past payments (SIZES=..., BENCH_DATABASE_URL adds PostgreSQL)"
	@echo "make bench-smoke   every benchmark at a small size, to prove it still runs (CI runs it)"
	@echo "make demo          migrate and load the demo data (idempotent)"
	@echo "make clean         remove .venv, var/ (the local database!) and caches"

$(STAMP): pyproject.toml
	@if ! $(BIN)/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
		if ! "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then \
			echo "Openlance needs Python 3.11; '$(PYTHON)' is not. Use: make PYTHON=/path/to/python3.11 ..." >&2; \
			exit 1; \
		fi; \
		echo "Creating $(VENV) with $$("$(PYTHON)" --version)"; \
		rm -rf $(VENV); \
		"$(PYTHON)" -m venv $(VENV); \
	fi
	@echo "Installing pinned dependencies into $(VENV) (pip install -e '.[dev]')"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py demo_load

static: $(STAMP)
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

# honcho gives PORT to the first Procfile entry (web) and PORT+100 to the next (worker),
# and on Ctrl-C stops every process group it started. Both get the site's own address, so
# the worker's emails link to the port the site is on (unless SITE_URL is set already).
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: demo static
	@echo "Openlance on http://127.0.0.1:$(PORT)/ (API /api/v1/, docs /api/docs, console /admin/)"
	@echo "Demo sign-in: admin@openlance.local (operator), client01@… / freelancer01@openlance.local; password openlance-demo"
	@echo "Ctrl-C stops the web server and the worker."
	exec $(BIN)/honcho --procfile Procfile start --port $(PORT)

# Migrations are generated (makemigrations writes its own style), so they are linted but
# not format-checked; `ruff format` still formats them when run by hand.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check --extend-exclude "**/migrations/*" .
	$(BIN)/mypy openlance openlance_tracker gates
	$(BIN)/lint-imports --no-cache

migrations-check: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run --verbosity 1

test: lint migrations-check
	$(BIN)/pytest -m "not browser" --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

# pytest exits 5 when it collects nothing; with no browser tests that is not a failure here
# (.ci/run reads the JUnit report and decides for itself).
test-browser: $(STAMP)
	@rc=0; $(BIN)/pytest -m browser -v $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test-browser: no browser tests collected"; exit 0; fi; \
	exit $$rc

# Production settings (DEBUG off, a real random key, secure cookies, behind a TLS proxy)
# must pass Django's deployment checks with no warning, and with no SECRET_KEY at all the
# site must refuse to start rather than sign sessions with a publicly known key.
check-deploy: $(STAMP)
	DEBUG=false SECURE_COOKIES=true BEHIND_TLS_PROXY=true ALLOWED_HOSTS=openlance.example \
		SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		$(BIN)/python manage.py check --deploy --fail-level WARNING
	@refusal="$$(env -u SECRET_KEY DEBUG=false $(BIN)/python manage.py check 2>&1 || true)"; \
	if grep -q "SECRET_KEY is not set" <<<"$$refusal"; then \
		echo "check-deploy: DEBUG off without SECRET_KEY refuses to start, as it must"; \
	else echo "check-deploy: DEBUG off without SECRET_KEY did not refuse to start" >&2; exit 1; fi

# The gates beyond `make test` (issue 11); each starts its own servers on free ports of
# 127.0.0.1 with a throwaway database and its own random SECRET_KEY (gates/_harness.py), is
# bounded in time, and fails on anything it finds. See the README.
fuzz: $(STAMP)
	$(BIN)/python gates/fuzz.py

client-smoke: $(STAMP)
	$(BIN)/python gates/client_smoke.py

# A fresh PostgreSQL database and Redis db 7 (LOAD_REDIS_URL), LOAD_SECONDS (120) of load.
load: $(STAMP)
	$(BIN)/python gates/load.py

# The benchmarks' own tools: the `bench` extra (tantivy) in the virtualenv, reinstalled
# when pyproject.toml changes, and wrk (Debian's) when it is not on the PATH.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	@rm -f $(VENV)/.bench-installed-*
	@touch $@

bench-wrk:
	@command -v wrk >/dev/null || { echo "Installing wrk, the HTTP load generator (apt-get)"; \
		apt-get update -qq && apt-get install -y -qq wrk; }

bench: $(BENCH_STAMP) bench-wrk
	@found=0; for b in bench/*.py; do \
		[ -e "$$b" ] || continue; case "$$(basename $$b)" in _*) continue;; esac; \
		found=1; echo "== $$b"; $(BIN)/python "$$b"; \
	done; [ $$found = 1 ] || echo "No benchmarks in bench/."

# Freelancer and job search at scale (100,000 profiles by default, N=... to change it),
# beside tantivy on the same documents; BENCH_PG_URL=postgres://... adds PostgreSQL.
bench-search: $(BENCH_STAMP)
	$(BIN)/python bench/search.py --n $${N:-100000}

# The site under load as the Procfile serves it, on the small demo, against a bare view:
# 20 s a URL (BENCH_HTTP_SECONDS=...), 8 connections (BENCH_HTTP_CONNECTIONS=...); about
# 3 minutes. `make bench` runs it too.
bench-http: $(STAMP) bench-wrk
	$(BIN)/python bench/http_search.py

# Every benchmark at a small size, only to prove each still runs to its report (the figures
# mean nothing at these sizes); BENCH_DATABASE_URL=postgres://... adds PostgreSQL where a
# benchmark has it. `.ci/run` runs it, so a change that breaks a benchmark fails CI.
bench-smoke: $(BENCH_STAMP) bench-wrk
	$(BIN)/python bench/search.py --n 2000
	$(BIN)/python bench/jss.py --freelancers 2000 --explanations 20
	$(BIN)/python bench/ledger_post.py --transfers 100
	$(BIN)/python bench/money_growth.py --sizes 100,1000
	$(BIN)/python bench/http_search.py --seconds 2 --warmup 1 --rounds 2

# Money reads as the ledger grows, at the full sizes (1,000 / 100,000 / 1,000,000 past
# payments; 5 to 8 minutes per backend); BENCH_DATABASE_URL=postgres://... adds PostgreSQL.
bench-money: $(STAMP)
	$(BIN)/python bench/money_growth.py --sizes $${SIZES:-1000,100000,1000000}

clean:
	rm -rf $(VENV) var .coverage .mypy_cache .ruff_cache .import_linter_cache .pytest_cache .hypothesis
