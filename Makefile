# Two commands for a newcomer: `make demo` and `make test`.
# Everything else here is what those two need.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
LINLI  := $(PY) -m linli
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: demo test faults setup assets messages migrate static serve lint bench clean help

help:
	@echo "make demo   set up, load the demo county and serve on http://$(HOST):$(PORT)"
	@echo "make test   set up and run the whole test suite"
	@echo "make faults fault tests: PostgreSQL restarted, Redis stopped, a worker killed (slow)"
	@echo "make bench  county-scale benchmarks (needs PostgreSQL: LINLI_BENCH_DATABASE_URL)"

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed
	@mkdir -p src/linli/core/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js src/linli/core/static/vendor/
	cp node_modules/alpinejs/dist/cdn.min.js src/linli/core/static/vendor/alpine.min.js
	cp node_modules/echarts/dist/echarts.min.js src/linli/core/static/vendor/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.js.map node_modules/leaflet/dist/leaflet.css src/linli/core/static/vendor/
	cp -r node_modules/leaflet/dist/images src/linli/core/static/vendor/
	cp node_modules/leaflet.markercluster/dist/leaflet.markercluster.js node_modules/leaflet.markercluster/dist/leaflet.markercluster.js.map node_modules/leaflet.markercluster/dist/MarkerCluster.css node_modules/leaflet.markercluster/dist/MarkerCluster.Default.css src/linli/core/static/vendor/
	cp node_modules/leaflet.heat/dist/leaflet-heat.js src/linli/core/static/vendor/

messages: $(STAMP)
	$(LINLI) compile_translations

setup: $(STAMP) assets messages

migrate: setup
	$(LINLI) migrate --noinput

# The server serves the hashed, compressed copies that collectstatic writes.
static: setup
	$(LINLI) collectstatic --noinput -v 0

# The demo mode (LINLI_ENV=demo): the development inbox, the console SMS backend and
# plain-HTTP cookies. Without it linli runs as production and refuses demo settings.
demo: export LINLI_ENV ?= demo
demo: migrate static
	$(LINLI) demo_data small --if-empty
	$(LINLI) serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/lint-imports --no-cache
	$(LINLI) check --fail-level WARNING
	$(LINLI) makemigrations --check --dry-run
	$(PY) scripts/mypy_check.py

test: setup lint
	bash scripts/test.sh

# Throwaway PostgreSQL clusters and Redis servers of their own (needs the
# PostgreSQL binaries and redis-server installed, not running): docs/operations.md.
faults: setup
	bash scripts/faults.sh

bench: setup
	bash scripts/bench.sh

clean:
	rm -rf $(VENV) node_modules src/linli/core/static/vendor var
