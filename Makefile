# Set-up and the project's jobs. `make release` and `make test` each create .venv on a fresh
# machine (Python 3.11+) and install the pinned toolchain from constraints.txt.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: release validate test lint format docs bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	touch $(STAMP)

## release: validate data/ and build the versioned release into dist/
release: $(STAMP)
	$(BIN)/python scripts/build_release.py

## validate: run our validator and the frictionless CLI on the repository's package
validate: $(STAMP)
	$(BIN)/python scripts/validate.py .
	$(BIN)/frictionless validate datapackage.json

## test: lint, type-check and run the whole test suite
test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests scripts benchmarks
	$(BIN)/ruff format --check src tests scripts benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format src tests scripts benchmarks
	$(BIN)/ruff check --fix src tests scripts benchmarks

## docs: regenerate the README's generated sections and datapackage.json's description, sources
## and coverage from schema/ and data/
docs: $(STAMP)
	$(BIN)/python scripts/generate_docs.py

## bench: the scale benchmark (slow; not part of `make test`)
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf dist build .pytest_cache .mypy_cache .ruff_cache
