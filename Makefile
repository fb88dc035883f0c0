# pharmakon: `make run` serves the workbench with example data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# `make run` needs only the core; `make test` adds the test, cluster (Ray) and deep (torch) extras.
STAMP_RUN := $(VENV)/.installed-run-$(HASH)
STAMP := $(VENV)/.installed-all-$(HASH)
PORT ?= 8000
LINT_PATHS := $(wildcard src tests bench scripts)
SHARED_DATA := $(abspath ../shared/data)
# In this workplace the data mirror sits beside the checkout; elsewhere data come from the network.
export PHARMAKON_DATA_MIRROR ?= $(if $(wildcard $(SHARED_DATA)/CATALOG.md),$(SHARED_DATA),)

.PHONY: run test lint install install-run system-deps bench clean

# pyradiomics (imaging features) has no wheel for Python 3.11 and its isolated sdist build
# fails; it builds against the venv's numpy without build isolation (needs a C compiler).
RADIOMICS := $(BIN)/python -m pip install --quiet "versioneer>=0.29" && \
	$(BIN)/python -m pip install --quiet --no-build-isolation "pyradiomics==3.0.1"

$(STAMP_RUN): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(RADIOMICS)
	rm -f $(VENV)/.installed-run-* && touch $@

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,cluster,deep]"
	$(RADIOMICS)
	rm -f $(VENV)/.installed-* && touch $@ $(STAMP_RUN)

install-run: $(if $(wildcard $(STAMP)),$(STAMP),$(STAMP_RUN))

install: $(STAMP)

run: install-run
	$(BIN)/pharmakon serve --port $(PORT)

system-deps:
	bash scripts/install-system-deps.sh

lint: install
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)

test: install system-deps lint
	PHARMAKON_REQUIRE_ALL_BACKENDS=1 $(BIN)/python -m pytest

bench: install
	$(BIN)/python bench/audit.py --quick

clean:
	rm -rf $(VENV) .pytest_cache
