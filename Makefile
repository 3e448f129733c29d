# otelhouse: `make run` starts the whole stack, `make test` runs the suite.
# Each target installs only what is missing, so a second run starts quickly.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Debian packages the tests drive as real peers: browser pages, Prometheus scrape and remote_write,
# Go loggers and the Go example service built offline from Debian's Go libraries, npm for the Node
# loggers and Loki transports (installed into tests/.cache/node), victoria-metrics for make bench.
DEB_TEST_PACKAGES := chromium prometheus prometheus-node-exporter victoria-metrics nodejs golang-go \
	golang-github-sirupsen-logrus-dev golang-go.uber-zap-dev golang-github-rs-zerolog-dev golang-github-pkg-errors-dev \
	golang-golang-x-exp-dev golang-github-prometheus-client-golang-dev golang-opentelemetry-otel-dev

.PHONY: run test test-fast bench bench-dashboard bench-logs bench-prometheus profile demo-backfill lint install install-test deb-test clean-data help

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(VENV)/.installed $@

install: $(VENV)/.installed  ## install otelhouse into .venv

install-test: $(VENV)/.installed-test deb-test  ## install otelhouse, test tools and Debian test peers

deb-test:  ## install the Debian packages the tests need, when missing
	@missing=$$(for p in $(DEB_TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

run: $(VENV)/.installed  ## start collector, dashboard and scheduler on the embedded engine (./data)
	$(BIN)/otelhouse serve

test: install-test  ## run the whole suite, slow tests included
	$(BIN)/pytest -q -ra

test-fast: install-test  ## run the suite without slow tests
	$(BIN)/pytest -q -m 'not slow'

bench: $(VENV)/.installed-test  ## measure ingest, open-loop latency, ceilings, pages, archive: bench/results.md (under 20 minutes)
	$(BIN)/python bench/run.py

profile: $(VENV)/.installed-test  ## py-spy flame graph of the collector under load: bench/profile-collector.svg
	$(BIN)/python bench/profile.py

demo-backfill: $(VENV)/.installed  ## write 7 days of demo shop history through a running collector (make run first)
	$(BIN)/otelhouse demo --backfill 7d

bench-dashboard: $(VENV)/.installed-test  ## page and API times at 2M spans and 2M log rows beside their bare queries
	$(BIN)/python bench/dashboard.py --spans 2000000 --runs 5

bench-logs: $(VENV)/.installed-test  ## JSON lines and Loki beside OTLP log records (lines/s stored)
	$(BIN)/python bench/logs_ingest.py

bench-prometheus: $(VENV)/.installed-test deb-test  ## remote_write beside Debian's Prometheus and VictoriaMetrics; ClickHouse decode vs Python
	$(BIN)/python bench/remote_write.py --seconds 20
	$(BIN)/python bench/remote_write_decode.py

lint: $(VENV)/.installed-test  ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean-data:  ## delete ./data (the embedded store and write-ahead log)
	rm -rf data
