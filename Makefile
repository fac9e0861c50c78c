# Benefits Realization Warehouse — every set-up step lives here, so a fresh clone needs only
# `make run` (build the demo warehouse and serve the dashboard) or `make test`.

PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# The venv's tools (dbt, dg, streamlit) first on PATH; run history in a persistent instance.
export PATH := $(BIN):$(PATH)
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
# dg compares the active venv with the project's: the project's is the one on PATH above.
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.PHONY: help install manifest warehouse run dashboard test test-fast dagster bench bench-concurrency clean

help:
	@echo "make run        build the demo warehouse from seeds/ and serve the dashboard"
	@echo "make test       install, prepare the dbt manifest, run the whole test suite"
	@echo "make warehouse  only build the warehouse (brw run)"
	@echo "make dagster    Dagster UI with the daemon (dg dev) on http://localhost:3000"
	@echo "make bench      scale benchmark into benchmarks/results.md (not part of make test; TIERS=100m for the 100M tier)"
	@echo "make bench-concurrency  20 dashboard sessions at once while brw run publishes (part of make bench)"
	@echo "make clean      remove the venv, warehouse, dbt target and Dagster home"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

$(DAGSTER_HOME):
	@mkdir -p $(DAGSTER_HOME)
	@printf 'telemetry:\n  enabled: false\n' > $(DAGSTER_HOME)/dagster.yaml

# dagster-dbt reads dbt's manifest when the definitions load: parse the project first.
manifest: install
	$(BIN)/python -m pipelines.dbt_manifest

warehouse: manifest $(DAGSTER_HOME)
	$(BIN)/brw run

dashboard: install
	$(BIN)/brw dashboard

run: warehouse
	$(BIN)/brw dashboard

test: manifest
	$(BIN)/python -m pytest

test-fast: manifest
	$(BIN)/python -m pytest -m "not slow"

dagster: manifest $(DAGSTER_HOME)
	$(BIN)/dg dev

# Scale benchmark (not in CI): demo, ~1M and ~10M measurements (TIERS; ~100M on request:
# `make bench TIERS=100m`, ~1.2 GB of sources generated once into benchmarks/data/) ->
# benchmarks/results.json and results.md (~20 min), with the Spark build of the test portfolio;
# then, for the default tiers, 20 dashboard sessions at once on each tier's warehouse while
# `brw run` publishes -> the "Many users at once" section of results.md (~20 min), and 10M
# measurements from a wide KPI sheet through sources.yml vs contract format ->
# benchmarks/mapping_results.md (~5 min).
DEFAULT_TIERS := demo,1m,10m
TIERS ?= $(DEFAULT_TIERS)
REPEAT ?= 3
bench: manifest
	$(BIN)/python -m benchmarks.bench --tiers $(TIERS) --repeat $(REPEAT) --spark
ifeq ($(TIERS),$(DEFAULT_TIERS))
	$(BIN)/python -m benchmarks.concurrency --tiers demo,1m,10m --sessions 20
	$(BIN)/python -m benchmarks.mapping_bench --kpis 500 --days 20000 --repeat 3
endif

# Only the concurrency benchmark (builds a tier's warehouse first if `make bench` has not; after a
# change to the models or pages, add --rebuild: a warehouse of older models lacks their columns).
bench-concurrency: manifest
	$(BIN)/python -m benchmarks.concurrency --tiers demo,1m,10m --sessions 20

clean:
	rm -rf $(VENV) warehouse .dagster_home dbt_project/target dbt_project/logs
