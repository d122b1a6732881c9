# monoboard: `make run` serves the product, `make test` runs every test.
SHELL := /bin/bash
PYTHON_VERSION := $(shell cat .python-version)
# Prefer pyenv's interpreter named in .python-version, then python3.12 on PATH.
PYTHON ?= $(shell (command -v pyenv >/dev/null && pyenv prefix $(PYTHON_VERSION) >/dev/null 2>&1 && echo "$$(pyenv prefix $(PYTHON_VERSION))/bin/python") || ([ -x "$$HOME/.pyenv/versions/$(PYTHON_VERSION)/bin/python" ] && echo "$$HOME/.pyenv/versions/$(PYTHON_VERSION)/bin/python") || command -v python3.12)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint typecheck venv dev-venv migrate clean stage2 stage3 stage4

# The venv with the pinned pip (requirements-pip.txt) that the locked files need.
$(VENV)/.pip: requirements-pip.txt
	@test -n "$(PYTHON)" || { echo "Python $(PYTHON_VERSION) not found: install it (pyenv install $(PYTHON_VERSION))"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements-pip.txt
	touch $@

$(VENV)/.runtime: requirements.txt $(VENV)/.pip
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.pip
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

venv: $(VENV)/.runtime
dev-venv: $(VENV)/.dev

migrate: venv
	$(PY) manage.py migrate --no-input

## Serve the product on http://$(HOST):$(PORT) (SQLite, no other server needed).
run: venv
	$(PY) manage.py check --fail-level ERROR
	$(PY) manage.py migrate --no-input
	$(PY) manage.py updatestatic
	$(PY) manage.py serve --host $(HOST) --port $(PORT)

## Stage 2 on this machine: PostgreSQL + PgBouncer in var/stage2/, served on $(HOST):$(PORT).
stage2: venv
	HOST=$(HOST) PORT=$(PORT) scripts/stage2

## Stage 3 on this machine: $(INSTANCES) app instances and a worker behind nginx on $(HOST):$(PORT).
INSTANCES ?= 2
stage3: venv
	HOST=$(HOST) PORT=$(PORT) INSTANCES=$(INSTANCES) scripts/stage3

## Stage 4: stage 3 plus a streaming replica, Redis and nginx's edge cache (data in var/stage4/).
stage4: venv
	HOST=$(HOST) PORT=$(PORT) INSTANCES=$(INSTANCES) scripts/stage4

lint: dev-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: dev-venv
	$(VENV)/bin/mypy monoboard bench

## Every test: lint, types, migrations in sync, then the suite with coverage.
test: dev-venv
	scripts/test

clean:
	rm -rf $(VENV) var/test_*
