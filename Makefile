# sitefit: `make report` evaluates every spreadsheet in input/ into output/; `make test` runs
# the tests. Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: report test bench setup system-libs sample clean

report: $(STAMP)
	$(BIN)/sitefit evaluate input --out output $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

# Synthetic portfolios of 100, 1,000 and 10,000 sites through the real pipeline, against
# floors measured in the same run; writes output/bench/report.md. Takes several minutes.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(ARGS)

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sitefit needs Python 3.11+"'
	@$(MAKE) --no-print-directory system-libs
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# WeasyPrint needs Pango; libharfbuzz-subset0 makes its font subsetting ~4x faster. Installed
# with apt-get where we may (root on Debian/Ubuntu), otherwise named in a note.
SYSTEM_LIBS := libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
               libharfbuzz-subset.so.0:libharfbuzz-subset0
system-libs:
	@missing=""; for pair in $(SYSTEM_LIBS); do \
	  ldconfig -p 2>/dev/null | grep -q "$${pair%%:*}" || missing="$$missing $${pair##*:}"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing system libraries for PDF reports:$$missing"; \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing \
	    >/dev/null) || echo "warning: could not install$$missing; PDFs may be slow or unavailable"; \
	else \
	  echo "note: PDF reports want these system packages:$$missing (apt-get install$$missing)"; \
	fi

# Rebuild input/sites.xlsx from scripts/make_sample.py.
sample: $(STAMP)
	$(BIN)/python scripts/make_sample.py

clean:
	rm -rf output $(VENV) .pytest_cache .hypothesis
