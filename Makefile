# The README's commands. `make run` serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
export KYODO_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: install lock run test test-fast test-deps test-js lint bench bench-docs bench-dashboard bench-scale bench-load bench-generate bench-batch bench-pdf bench-export bench-import clean

LOCK := requirements.lock

# The exact versions of requirements.lock, then the package itself (nothing resolved anew).
$(BIN)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $@

install: $(BIN)/.installed

# axe-core for the browser tests' accessibility checks: the npm package at package-lock.json's
# exact version (nothing is downloaded when the tests run).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

test-js: node_modules/.installed

# Refresh requirements.lock: the newest versions pyproject.toml's ranges allow, resolved in a
# fresh environment (commit the result once `make test` passes on it).
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet '.[dev,server]'
	{ echo "# Exact versions for make install and CI; refreshed by make lock from pyproject.toml."; \
	  .lock-venv/bin/pip freeze --all --exclude kyodo_admin --exclude pip | LC_ALL=C sort -f; } > $(LOCK)
	rm -rf .lock-venv

run: install
	mkdir -p "$(KYODO_INSTANCE_PATH)"
	$(BIN)/kyodo demo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (log in as admin or <city>-admin / <city>-staff / <city>-council, password kyodo-demo)"
	@# The web server and one worker together; one Ctrl-C stops both.
	$(BIN)/kyodo worker & trap 'kill $$! 2>/dev/null' EXIT; \
	$(BIN)/kyodo run --host 127.0.0.1 --port $(PORT)

# In CI the Debian packages the browser and PDF tests need are installed;
# elsewhere those tests skip with a printed reason when they are missing.
CI_DEBS := chromium libreoffice-writer-nogui python3-uno fonts-ipafont fonts-ipaexfont
test-deps:
	@if [ -n "$$CI" ] && { ! command -v chromium >/dev/null 2>&1 || ! command -v soffice >/dev/null 2>&1 \
			|| ! /usr/bin/python3 -c 'import uno' >/dev/null 2>&1; }; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(CI_DEBS) >/dev/null) \
		|| echo "warning: could not install $(CI_DEBS)"; \
	fi
	@if ! command -v npm >/dev/null 2>&1; then \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null) \
		|| echo "warning: could not install npm (for axe-core)"; \
	fi

# Two processes (the machine's two CPUs), a test file each at a time: a file's tests share
# their fixtures, and each file's Redis database, PostgreSQL databases and ports are its own.
test: install test-deps test-js lint
	$(BIN)/pytest -n 2 --dist loadfile

# The quick loop: SQLite only, no browser, PDF or benchmark.
test-fast: install
	$(BIN)/pytest -n auto -m "not postgresql and not browser and not pdf and not bench"

lint: install
	$(BIN)/ruff check kyodo_admin tests examples
	$(BIN)/mypy kyodo_admin

# Rendering speed: ours vs naive docxtpl vs the zip floor (last line: the ratio).
bench-docs: install
	$(BIN)/python bench/docs.py

# Home screen with 5,000 proposals vs one list page (last line: the ratio).
bench-dashboard: install
	$(BIN)/python bench/dashboard.py --proposals 5000

# Every screen at 1,000 and 100,000 proposals on PostgreSQL (last line: the worst p95 ratio).
bench-scale: install
	$(BIN)/python bench/scale.py --small 1000 --large 100000 --rounds 15

# 50 staff for 60 s against 10,000 proposals under gunicorn (last line: server CPU ms/request).
bench-load: install
	$(BIN)/python bench/load.py --proposals 10000 --users 50 --seconds 60

# kyodo docs generate --all for 1,000 and 10,000 agreements (last line: the peak RSS ratio).
bench-generate: install
	$(BIN)/python bench/generate.py --small 1000 --large 10000

# An Excel import of 1,000 and 10,000 proposals (last line: the ms/row ratio; linear near 1).
bench-import: install
	$(BIN)/python bench/imports.py --small 1000 --large 10000

# 1,000 agreements as one bulk batch through the queue and a worker, then 100 as PDF.
bench-batch: install
	$(BIN)/python bench/batch.py --agreements 1000
	$(BIN)/python bench/batch.py --agreements 100 --pdf

# 20 agreements to PDF: warm converter pool against a cold LibreOffice (last line: the ratio).
bench-pdf: install
	$(BIN)/python bench/pdf.py --documents 20

# The proposal list exported as CSV and Excel at 1,000 and 10,000 (last line: peak memory ratio).
bench-export: install
	$(BIN)/python bench/export.py --small 1000 --large 10000

bench: bench-docs bench-dashboard bench-scale bench-load bench-generate bench-batch bench-pdf bench-export bench-import

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules
