# Fresh machine: `make demo` (set up + run the county demo) and `make test` (set up + run the tests).
VENV ?= .venv
PY := $(VENV)/bin/python
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: setup demo test lint bench bench-nightly bench-events bench-export serve up

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -c requirements.lock -e '.[dev]'
	touch $@

demo: setup
	$(VENV)/bin/dabing demo --patients $${PATIENTS:-2000}

test: setup
	$(VENV)/bin/pytest -q -p no:cacheprovider
	DABING_TEST_BACKEND=postgresql $(VENV)/bin/pytest -q -p no:cacheprovider

lint: setup
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy flows tasks models config migrations bench

bench: setup
	$(VENV)/bin/python bench/bench_settlement.py

bench-nightly: setup
	$(VENV)/bin/python bench/bench_nightly.py

bench-events: setup
	$(VENV)/bin/python bench/bench_events.py

bench-export: setup
	$(VENV)/bin/python bench/bench_export.py

up: setup
	$(VENV)/bin/dabing up

serve: setup
	$(VENV)/bin/dabing serve
