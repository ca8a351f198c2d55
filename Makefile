# The two commands a newcomer runs: `make run` and `make test`. Both install what they
# need into .venv first (Python 3.11+ and network access to PyPI are all they assume).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
TEST_POSTGRES_URL ?=
# pytest-xdist workers for `make test` (auto: one per core; 0 runs in this process).
TEST_WORKERS ?= auto

.PHONY: run test lint bench bench-reports bench-throttle bench-sync bench-sync-scaled bench-read-ceiling bench-compare bench-console screenshots doc-images install clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

## Start the API on the embedded default (SQLite + local directory), with demo data.
run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	$(BIN)/gunicorn --workers 2 --bind $(HOST):$(PORT) --access-logfile - wsgi:app

## Run the whole test suite on SQLite, and on PostgreSQL too when TEST_POSTGRES_URL is set
## (there without the tests marked `once`: printed documents, browser, OpenAPI contract).
## Each pytest-xdist worker has a database of its own (tests/conftest.py).
test: install
	$(BIN)/pytest -n $(TEST_WORKERS)
	@if [ -n "$(TEST_POSTGRES_URL)" ]; then \
		echo "--- again on PostgreSQL ---"; \
		TEST_DATABASE_URL="$(TEST_POSTGRES_URL)" $(BIN)/pytest -n $(TEST_WORKERS) -m "not once"; \
	fi

## Lint and types, as CI runs them first: ruff on the repository, mypy on inspect_api/
## (rules and settings in pyproject.toml). Any finding fails.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

## Measure: photo upload through the API against a direct minio put_object, and memory;
## a worker's peak memory on photos dear to decode; list exports against bare openpyxl.
bench: install
	$(BIN)/python benchmarks/bench_evidence_upload.py
	$(BIN)/python benchmarks/bench_photo_memory.py
	$(BIN)/python benchmarks/bench_export.py

## Measure on PostgreSQL with a national synthetic year (BENCH_DATABASE_URL to choose the database).
bench-reports: install
	$(BIN)/python benchmarks/bench_reports.py

## Login throttling over HTTP (gunicorn, 2 workers): overshoot under 40 concurrent wrong
## passwords, per counter store (BENCH_DATABASE_URL for PostgreSQL; Redis on 127.0.0.1:6379).
bench-throttle: install
	$(BIN)/python benchmarks/bench_login_throttle.py

## Server time of each web console page on PostgreSQL: the demo data, then a queue of 10,000
## submitted visits. EMPTIES BENCH_CONSOLE_DATABASE_URL (default .../inspect_bench_console).
bench-console: install
	$(BIN)/python benchmarks/bench_console.py

## The README's screenshots of the web console, from the demo data (needs chromium).
screenshots: install
	$(BIN)/python docs/screenshots.py

## A fleet of tablets syncing against gunicorn on PostgreSQL: lost and duplicated changes (must be 0),
## latency percentiles. WIPES FLEET_DATABASE_URL (default .../bench_fleet); TABLETS=50 to choose the size.
TABLETS ?= 50
bench-sync: install
	$(BIN)/python benchmarks/bench_sync_fleet.py --tablets $(TABLETS)

## The same fleet against two gunicorn instances sharing the one database (scaling out;
## the clients round-robin between them). WIPES FLEET_DATABASE_URL too.
bench-sync-scaled: install
	$(BIN)/python benchmarks/bench_sync_fleet.py --tablets $(TABLETS) --instances 2

## The read ceiling: GET /visits/{id} (38 findings) against SELECT 1 through SQLAlchemy in
## the same gunicorn, as a ratio. WIPES CEILING_DATABASE_URL (default .../bench_ceiling).
bench-read-ceiling: install
	$(BIN)/python benchmarks/bench_read_ceiling.py

## Issue 12's figures before and after, in one run: each benchmark against BASE's code
## (git archive, this virtualenv), then against this tree's. 30 to 50 minutes on 2 cores.
## WIPES FLEET_DATABASE_URL and CEILING_DATABASE_URL; loads BENCH_DATABASE_URL once.
BASE ?= ea2c97d
## The base's fleet may end with visits its reviewers never reached (verdict FAILED):
## that is its result, and the comparison goes on (the leading '-').
bench-compare: install
	$(BIN)/python benchmarks/bench_reports.py --repeat 3
	$(BIN)/python benchmarks/bench_reports.py --repeat 3 --rev $(BASE)
	$(BIN)/python benchmarks/bench_read_ceiling.py --rev $(BASE)
	$(BIN)/python benchmarks/bench_read_ceiling.py
	$(BIN)/python benchmarks/bench_evidence_upload.py --rev $(BASE)
	$(BIN)/python benchmarks/bench_evidence_upload.py
	$(BIN)/python benchmarks/bench_export.py --sizes 100000 --repeat 3 --rev $(BASE)
	$(BIN)/python benchmarks/bench_export.py --sizes 100000 --repeat 3
	-$(BIN)/python benchmarks/bench_sync_fleet.py --tablets 200 --rev $(BASE)
	$(BIN)/python benchmarks/bench_sync_fleet.py --tablets 200
	-$(BIN)/python benchmarks/bench_sync_fleet.py --tablets 200 --rate 55 --rev $(BASE)
	$(BIN)/python benchmarks/bench_sync_fleet.py --tablets 200 --rate 55

## Page images of every document (PDF, and .xlsx/.docx printed by LibreOffice) from the demo
## data, for the README: docs/images/*.png.
doc-images: install
	$(BIN)/python docs/make_images.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache
