# pharmakon: `make run` serves the workbench with example data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
LINT_PATHS := $(wildcard src tests bench scripts)
SHARED_DATA := $(abspath ../shared/data)
# In this workplace the data mirror sits beside the checkout; elsewhere data come from the network.
export PHARMAKON_DATA_MIRROR ?= $(if $(wildcard $(SHARED_DATA)/CATALOG.md),$(SHARED_DATA),)

.PHONY: run test lint install system-deps bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,cluster,deep]"
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/pharmakon serve

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
	rm -rf $(VENV) .pharmakon .pytest_cache
