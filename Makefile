# Set-up and checks for thotnot-members. Works from a fresh clone on a fresh Debian 12 machine
# (as root, apt-get installs the system packages; as anyone else they are only reported).
#
#   make run          install, migrate, load the demo data, serve on http://127.0.0.1:8000
#                     (with a background worker for roster imports)
#   make serve        production-like: collectstatic, migrate, gunicorn on $BIND (127.0.0.1:8000)
#                     with $WORKERS (3), a request time limit of $TIMEOUT (300) seconds and a
#                     background worker; needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS
#   make test         everything CI runs: lint, format, migrations, collectstatic, then the
#                     suite on SQLite and again on a throw-away PostgreSQL server
#   make test-sqlite  the suite on SQLite only (quick)
#   make load         load test: 50 staff on gunicorn + a throw-away PostgreSQL (bench/load.sh)
#   make system-deps  apt-get install the missing system packages
#   make bundle       one archive for a machine without package access (BUNDLE, default
#                     dist/thotnot-bundle.tar.gz): wheels, uv, Debian packages
#   make install-offline BUNDLE=...  install from it, offline (deploy/README.md)
#   make clean        caches, collected static files, a left-over test server
#   make distclean    clean, and the virtualenv
#
# PYTEST_ARGS passes options to pytest (make test-sqlite PYTEST_ARGS="-x -k members");
# PYTEST_WORKERS sets the number of test processes (default: one per core; 0: no xdist).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# Steps run in the order written, even under make -j.
.NOTPARALLEL:

VENV := .venv
PY := $(VENV)/bin/python
RUFF := $(VENV)/bin/ruff
PYTEST_ARGS ?=
# The suite runs on every core (pytest-xdist), a test module per worker: the two modules that
# load the demo (a minute each) then load it once each, side by side. PYTEST_WORKERS=0 runs it
# in one process.
PYTEST_WORKERS ?= auto
PYTEST_XDIST = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadfile)

# WeasyPrint needs Pango and fonts; poppler-utils gives pdftotext for checking PDFs; PostgreSQL
# is the second database of `make test`.
APP_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
	fonts-liberation2 poppler-utils
PG_PACKAGES := postgresql
# The browser tests drive Debian's Chromium (never a downloaded browser); gettext compiles
# and checks the translations; LibreOffice opens the Excel exports as a real client would.
TEST_PACKAGES := chromium gettext libreoffice-calc-nogui

# The offline bundle's Debian packages (with their dependencies, scripts/bundle.sh): the app's,
# the PostgreSQL client for `backup` and `restore`, and Python 3.11 itself.
BUNDLE_PACKAGES := $(APP_PACKAGES) postgresql-client-15 python3.11
BUNDLE ?= dist/thotnot-bundle.tar.gz

PG_TEST_PORT ?= 54329
export PG_TEST_PORT

# uv must manage .venv itself, whatever virtualenv the caller has activated.
unexport VIRTUAL_ENV

# Path of uv, found or installed (pip install uv) the first time a recipe needs it.
UV = $(eval UV := $$(shell bash scripts/ensure_uv.sh))$(or $(UV),$(error could not find or install uv))

# The checks and the SQLite run ignore a DATABASE_URL from the caller's environment.
NO_DB_URL := env -u DATABASE_URL

# pytest exits 5 when it collects no tests; that is not a failure of the code under test.
PYTEST_OK_IF_EMPTY = || { status=$$?; [ $$status -eq 5 ] \
	&& echo "make: pytest collected no tests (exit 5); not counted as a failure" >&2 \
	|| exit $$status; }

.PHONY: help run serve test test-sqlite load system-deps system-deps-run clean distclean \
	sync sync-dev system-deps-app checks collectstatic pytest-sqlite pytest-postgresql \
	bundle install-offline bundle-check

help:
	@sed -n '1,21s/^# \{0,1\}//p' $(firstword $(MAKEFILE_LIST))

# The development server serves the static files itself only with DEBUG on (off by default).
run: export DJANGO_DEBUG := true
run: sync system-deps-run
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	bash scripts/with_worker.sh $(PY) $(PY) manage.py runserver 127.0.0.1:8000

# Production-like serving (README "Serving and backups"): DEBUG off, static files collected and
# served by WhiteNoise, gunicorn behind the caller's reverse proxy.
serve: export DJANGO_DEBUG := false
serve:
	@[ -n "$${DJANGO_SECRET_KEY:-}" ] || { echo "make serve: set DJANGO_SECRET_KEY" \
		"(e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))')" >&2; exit 1; }
	@[ -n "$${DJANGO_ALLOWED_HOSTS:-}" ] || { echo "make serve: set DJANGO_ALLOWED_HOSTS" \
		"(comma-separated host names the site answers to)" >&2; exit 1; }
	$(UV) sync --frozen --no-dev
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py migrate --noinput
	bash scripts/with_worker.sh $(PY) $(VENV)/bin/gunicorn thotnot_members.wsgi \
		--workers $${WORKERS:-3} --bind $${BIND:-127.0.0.1:8000} --timeout $${TIMEOUT:-300}

# The checks and the suite run in development mode (DEBUG is off unless asked for).
test test-sqlite: export DJANGO_DEBUG := true
test: sync-dev system-deps checks collectstatic bundle-check pytest-sqlite pytest-postgresql
	@echo "make test: all steps passed"

test-sqlite: sync-dev system-deps-app collectstatic pytest-sqlite

# Not part of `make test`: a measurement, ~3 minutes (README "Load test").
load:
	bash scripts/system_deps.sh $(APP_PACKAGES) $(PG_PACKAGES)
	bash bench/load.sh

# Build on Debian 12 with package access (apt-get update first); ~35 s, ~120 MB.
bundle:
	@mkdir -p $(dir $(BUNDLE))
	bash scripts/bundle.sh $(BUNDLE) $(BUNDLE_PACKAGES)

# On the server, from the unpacked release (as root for the Debian packages): no network.
install-offline:
	@[ -n "$(BUNDLE)" ] && [ -e "$(BUNDLE)" ] || { echo "make: BUNDLE=path of the bundle" >&2; exit 1; }
	bash scripts/install_offline.sh $(BUNDLE) $(CURDIR)

# CI: a bundle of the wheels and uv (no Debian packages: CI has them), installed into a fresh
# folder with an empty uv cache, UV_OFFLINE=1 and no index; then django and weasyprint import.
bundle-check:
	@echo "== offline bundle"
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	bash scripts/bundle.sh "$$tmp/bundle.tar.gz"; \
	mkdir "$$tmp/app"; cp pyproject.toml uv.lock "$$tmp/app/"; \
	env -u UV_INDEX -u UV_INDEX_URL -u UV_EXTRA_INDEX_URL UV_CACHE_DIR="$$tmp/cache" \
		UV_BIN_DIR="$$tmp/bin" SKIP_DEBS=1 \
		bash scripts/install_offline.sh "$$tmp/bundle.tar.gz" "$$tmp/app"; \
	"$$tmp/app/.venv/bin/python" -c 'import django, weasyprint; \
		print("bundle-check: django", django.__version__, "weasyprint", weasyprint.__version__)'; \
	cd "$$tmp/app" && UV_OFFLINE=1 UV_CACHE_DIR="$$tmp/cache" "$$tmp/bin/uv" sync --frozen --no-dev

system-deps:
	bash scripts/system_deps.sh $(APP_PACKAGES) $(PG_PACKAGES) $(TEST_PACKAGES)

system-deps-app:
	bash scripts/system_deps.sh $(APP_PACKAGES) $(TEST_PACKAGES)

system-deps-run:
	bash scripts/system_deps.sh $(APP_PACKAGES)

# `uv sync` installs the dev group by default, so `run` and `test` share one environment.
# `test` uses --locked: it also fails when pyproject.toml changed without `uv lock`.
sync:
	$(UV) sync --frozen

sync-dev:
	$(UV) sync --locked --group dev

checks:
	$(RUFF) check .
	$(RUFF) format --check .
	@# The layer contract (.importlinter): apps import only downwards, models import no view.
	$(VENV)/bin/lint-imports
	$(NO_DB_URL) $(PY) manage.py makemigrations --check --dry-run
	@# Vietnamese is the source language (the msgids): every other catalog must be complete.
	@for po in $(filter-out locale/vi/%,$(wildcard locale/*/LC_MESSAGES/django.po)); do \
		left="$$(msgattrib --untranslated "$$po"; msgattrib --only-fuzzy "$$po")"; \
		[ -z "$$left" ] || { printf '%s\n' "$$left" >&2; \
			echo "make: $$po has untranslated or fuzzy messages (above)" >&2; exit 1; }; \
	done
	$(NO_DB_URL) $(PY) manage.py compilemessages --ignore .venv -v 0
	git diff --exit-code -- locale || { echo "make: locale/*.mo were stale; commit the compiled messages" >&2; exit 1; }

# Before the suite: WhiteNoise, once added, warns until the static files are collected.
collectstatic:
	$(NO_DB_URL) $(PY) manage.py collectstatic --noinput --verbosity 0

pytest-sqlite:
	@echo "== pytest on SQLite"
	$(NO_DB_URL) $(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS) $(PYTEST_OK_IF_EMPTY)

# On CI (CI=true) PostgreSQL is required; elsewhere the run is skipped when it is missing.
pytest-postgresql:
	@if ! bash scripts/pg_test_server.sh available; then \
		if [ "$${CI:-}" = true ]; then \
			echo "make: PostgreSQL is not installed, and CI requires the PostgreSQL run" >&2; \
			exit 1; \
		fi; \
		echo "make: PostgreSQL is not installed; skipping the PostgreSQL run" \
			"(make system-deps as root installs it)" >&2; \
		exit 0; \
	fi; \
	echo "== pytest on PostgreSQL"; \
	bash scripts/pg_test_server.sh run -- $(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS) \
		$(PYTEST_OK_IF_EMPTY)

clean:
	bash scripts/pg_test_server.sh stop
	rm -rf staticfiles .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
