# Pilotis — the two commands (`make demo`, `make test`) and the quality gate.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SEEDS ?= $(or $(PILOTIS_SEEDS_DIR),../shared/seeds)
# `make test` spreads the tests over the machine's cores (pytest-xdist, one test database each,
# handed out in collection order so that every worker runs its transactional tests, which empty
# the database, last); TEST_WORKERS=0 runs them in one process. PYTEST_ARGS adds options.
TEST_WORKERS ?= auto
PYTEST_ARGS ?=
export PILOTIS_SEEDS_DIR := $(abspath $(SEEDS))

.PHONY: demo test quality install install-test browser-deps run clean

# The few browser tests drive Debian's chromium (never a downloaded browser) and inject axe-core
# from npm (tests/browser/package.json). Missing, they fail with this message rather than skip.
CHROMIUM ?= /usr/bin/chromium
AXE := tests/browser/node_modules/axe-core/axe.min.js

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test browser-deps

$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@command -v npm >/dev/null || { echo "npm manque pour installer axe-core (tests dans le navigateur) : apt-get install npm"; exit 1; }
	cd tests/browser && npm ci --no-audit --no-fund --silent
	touch $@

browser-deps: $(AXE)
	@if [ ! -x "$(CHROMIUM)" ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		(apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium) >/dev/null || true; fi
	@test -x "$(CHROMIUM)" || { echo "Chromium manque ($(CHROMIUM)) : les tests dans le navigateur échoueront. Installez le paquet Debian : apt-get install chromium (ou CHROMIUM=/chemin make test)."; exit 1; }

demo: install
	PILOTIS_DEBUG=true $(BIN)/pilotis migrate --noinput
	PILOTIS_DEBUG=true $(BIN)/pilotis seed_demo
	PILOTIS_DEBUG=true $(BIN)/pilotis demo_campaign
	@# Observatory (issue 14): the demo plans' departments (Aude, Ariège, Tarn-et-Garonne; their
	@# region's figures come with them), each plan's perimeter, the indicators and the seeds' figures.
	PILOTIS_DEBUG=true $(BIN)/pilotis geo load --departement 11 09 82
	PILOTIS_DEBUG=true $(BIN)/pilotis geo perimeters
	PILOTIS_DEBUG=true $(BIN)/pilotis observatory figures
	PILOTIS_DEBUG=true $(BIN)/pilotis observatory ties
	@# The server and a background-task worker (report files, imports): Ctrl+C stops both.
	PILOTIS_DEBUG=true $(BIN)/pilotis demo_server 127.0.0.1:8000

test: install-test
	PILOTIS_DEBUG=true PILOTIS_CHROMIUM=$(CHROMIUM) $(BIN)/pytest -n $(TEST_WORKERS) --dist load $(PYTEST_ARGS)

quality: install-test
	$(BIN)/ruff format --check src tests bench
	$(BIN)/ruff check src tests bench
	PILOTIS_DEBUG=true $(BIN)/pilotis makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
