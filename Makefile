# sitefit: `make report` evaluates every spreadsheet in input/ into output/; `make test` runs
# the tests. Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: report test bench setup sample clean

report: $(STAMP)
	$(BIN)/sitefit evaluate input --out output $(ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(ARGS)

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "sitefit needs Python 3.11+"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Rebuild input/sites.xlsx from scripts/make_sample.py.
sample: $(STAMP)
	$(BIN)/python scripts/make_sample.py

clean:
	rm -rf output $(VENV) .pytest_cache .hypothesis
