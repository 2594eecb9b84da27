# Fresh machine: `make demo` (set up + run the county demo) and `make test` (set up + run the tests).
VENV ?= .venv
PY := $(VENV)/bin/python
export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: setup demo test lint bench bench-nightly bench-events bench-export bench-outbox bench-import bench-simulate bench-console bench-journey serve up demo-up

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
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check . && $(VENV)/bin/mypy cli runtime flows tasks models config migrations bench web

bench: setup
	$(VENV)/bin/python bench/bench_settlement.py

bench-nightly: setup
	$(VENV)/bin/python bench/bench_nightly.py

bench-events: setup  # with prefect-redis (the `redis` extra) for the Redis variants
	$(PY) -c 'import prefect_redis' 2>/dev/null || $(VENV)/bin/pip install -q -c requirements.lock -e '.[redis]'
	$(VENV)/bin/python bench/bench_events.py

bench-export: setup
	$(VENV)/bin/python bench/bench_export.py

bench-outbox: setup
	$(VENV)/bin/python bench/bench_outbox.py

bench-simulate: setup
	$(VENV)/bin/python bench/bench_simulate.py

bench-import: setup
	$(VENV)/bin/python bench/bench_import.py

bench-journey: setup  # issue 17: a county of 100k and 1M patients driven through the whole journey (demo)
	$(VENV)/bin/python bench/bench_journey.py

bench-console: setup  # issue 20: find / patient page p95 ≤ 200 ms, dashboard ≤ 1 s at 1M patients
	$(VENV)/bin/python bench/bench_console.py

up: setup
	$(VENV)/bin/dabing up

demo-up: setup  # after `make demo`: the Prefect server, the deployments and the console on the demo's database
	DABING_DATABASE_URL=sqlite:///var/demo.db $(VENV)/bin/dabing up

serve: setup
	$(VENV)/bin/dabing serve

# Workers instead of serve (prefect.yaml), against the Prefect server at PREFECT_API_URL: `make deploy` once per
# release, `make worker` on every worker machine (a clone with DABING_DATABASE_URL set). README "Scale-out".
.PHONY: deploy worker
deploy: setup
	@test -n "$$PREFECT_API_URL" || { echo "set PREFECT_API_URL to the Prefect server's API"; exit 1; }
	$(VENV)/bin/prefect work-pool inspect dabing >/dev/null 2>&1 || $(VENV)/bin/prefect work-pool create dabing --type process
	env -u DABING_HOME $(VENV)/bin/prefect --no-prompt deploy --all

worker: setup
	@test -n "$$PREFECT_API_URL" || { echo "set PREFECT_API_URL to the Prefect server's API"; exit 1; }
	DABING_HOME=$(CURDIR) PREFECT_WORKER_QUERY_SECONDS=$${PREFECT_WORKER_QUERY_SECONDS:-0.2} \
		$(VENV)/bin/prefect worker start --pool dabing --limit $${WORKER_LIMIT:-4}
