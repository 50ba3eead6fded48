# sitefit: `make report` evaluates every spreadsheet in input/ into output/; `make test` runs
# the tests. Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The full dependency set, every package pinned with its hashes; `make lock` re-resolves it.
LOCK := requirements.lock
PIP_VERSION := 26.3
UV_VERSION := 0.13.9

.PHONY: report test test-quick bench setup system-libs sample corpus lock clean

report: $(STAMP)
	$(BIN)/sitefit evaluate input --out output $(ARGS)

# Every test: the quick set first, timed against its aim with its slowest ten named (the
# guard that shows a slowdown in the run that caused it), then those marked slow. Both on a
# worker per core (pytest-xdist); pytest's 5 (nothing selected) is no failure here.
test: test-quick
	$(BIN)/python -m pytest -m slow -n auto $(ARGS) || [ $$? -eq 5 ]

# The tests without those marked slow (the wheel build, runs interrupted or killed on
# purpose, tests that render or read dozens of PDFs, the costliest bad inputs): run them
# before each commit.
test-quick: $(STAMP)
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -m "not slow" -n auto --durations=10 $(ARGS) || [ $$? -eq 5 ]

# Synthetic portfolios of 100, 1,000 and 10,000 sites through the real pipeline, against
# floors measured in the same run; writes output/bench/report.md. Takes several minutes.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(ARGS)

setup: $(STAMP)

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sitefit needs Python 3.11+"'
	@$(MAKE) --no-print-directory system-libs
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet pip==$(PIP_VERSION)
	$(BIN)/python -m pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Re-resolve requirements.lock from the pins in pyproject.toml (run after changing one).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv==$(UV_VERSION)
	$(BIN)/uv pip compile pyproject.toml --extra test --generate-hashes --python-version 3.11 \
	  --quiet -o $(LOCK)

# WeasyPrint needs Pango; libharfbuzz-subset0 makes its font subsetting ~4x faster; the
# tests recalculate the workbook in LibreOffice Calc (soffice). Installed with apt-get where
# we may (root on Debian/Ubuntu), otherwise named in a note.
SYSTEM_LIBS := libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
               libharfbuzz-subset.so.0:libharfbuzz-subset0
SYSTEM_COMMANDS := soffice:libreoffice-calc-nogui
system-libs:
	@missing=""; for pair in $(SYSTEM_LIBS); do \
	  ldconfig -p 2>/dev/null | grep -q "$${pair%%:*}" || missing="$$missing $${pair##*:}"; \
	done; \
	for pair in $(SYSTEM_COMMANDS); do \
	  command -v "$${pair%%:*}" >/dev/null || missing="$$missing $${pair##*:}"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing system libraries for PDF reports:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
	    >/dev/null) || echo "warning: could not install$$missing; PDFs may be slow or unavailable"; \
	else \
	  echo "note: PDF reports and the tests want these system packages:$$missing (apt-get install$$missing)"; \
	fi

# Rebuild input/sites.xlsx from scripts/make_sample.py.
sample: $(STAMP)
	$(BIN)/python scripts/make_sample.py

# The real-export corpus (tests/corpus/exports/): needs LibreOffice; the tests need only its files.
corpus: $(STAMP)
	$(BIN)/python scripts/make_corpus.py

clean:
	rm -rf output $(VENV) .pytest_cache .hypothesis
