# gongzhi — the two commands: `make run` and `make test` (see README.md). Everything they need is set up here.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Python ≥ 3.12: python3.12 on PATH, else a pyenv install, else /usr/bin/python3.12.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
	"$$p" -c 'import sys; assert sys.version_info >= (3, 12)' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
GONGZHI_DATA_DIR ?= $(CURDIR)/var
export GONGZHI_DATA_DIR
# Debian packages the tests need: a real browser, CJK fonts (no tofu), PDF rasteriser, gettext for catalogues,
# Pango for WeasyPrint (QR poster PDFs), nginx and systemd to check deploy/ (nginx -t, systemd-analyze verify).
SYSTEM_PACKAGES := chromium fonts-noto-cjk poppler-utils gettext libpango-1.0-0 libpangoft2-1.0-0 nginx systemd

.PHONY: help setup venv assets system-deps run demo test test-sqlite test-postgres lint format messages clean

help:
	@echo "make run    set everything up and serve the demo district, with months of simulated activity, on"
	@echo "            http://127.0.0.1:8000 (SQLite); the demo logins are printed before the server starts"
	@echo "make test   set everything up and run the whole suite on SQLite and on a throwaway PostgreSQL"
	@echo "make lint   ruff, mypy (strict on pure modules), import-linter contracts"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.12 or newer is required (python3.12 not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

gongzhi/static/vendor/.built: node_modules/.package-lock.json scripts/copy-assets.mjs
	node scripts/copy-assets.mjs
	@touch $@

assets: gongzhi/static/vendor/.built

setup: venv assets

# Under CI (CI=true, root) install what is missing; elsewhere the tests that need a package skip and name it.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$${CI:-}" = "true" ] && [ "$$(id -u)" = 0 ]; then \
			echo "Installing system packages:$$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "Note: missing system packages:$$missing (tests that need them will skip; CI installs them)"; \
		fi; \
	fi

# Static files are collected (and compressed) beside the demo's build: they need no database, and the two take the
# longest. migrate runs first, alone: it creates the data directory's generated keys before two processes start.
# The demo's shared password logs in only in demo mode (GONGZHI_DEMO, docs/configuration.md).
run: setup
	$(BIN)/gongzhi migrate --noinput -v 0
	@$(BIN)/gongzhi collectstatic --noinput -v 0 & collecting=$$!; \
		GONGZHI_DEMO=$${GONGZHI_DEMO:-true} $(BIN)/gongzhi demo; built=$$?; wait $$collecting && exit $$built
	GONGZHI_DEMO=$${GONGZHI_DEMO:-true} $(BIN)/gongzhi run

demo: setup
	$(BIN)/gongzhi demo

test: setup system-deps
	bash scripts/test.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Refresh the translation catalogues after changing strings (then translate and run again to compile).
messages: venv
	cd gongzhi && ../$(BIN)/gongzhi makemessages -l zh_Hans -l en --no-obsolete --ignore 'static/vendor/*' --ignore tests && \
		../$(BIN)/gongzhi compilemessages -l zh_Hans -l en

clean:
	rm -rf $(VENV) node_modules gongzhi/static/vendor var test-artifacts
