# Set-up and the project's jobs. `make release` and `make test` each create .venv on a fresh
# machine (Python 3.11+) and install the pinned toolchain from constraints.txt.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# cffconvert needs jsonschema < 4, which frictionless cannot use: a venv of its own.
CFF    := $(VENV)/cffconvert
# The release workflow (.github/workflows/release.yml) runs these targets; the tests run the
# same targets (tests/test_site.py). Override on the command line or in the environment.
PKG    ?= .
DIST   ?= dist
SITE   ?= public
TAG    ?=

.PHONY: release publish-site check-tag validate test lint format docs bench clean

$(STAMP): pyproject.toml constraints.txt constraints-cffconvert.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c constraints.txt -e ".[dev]"
	$(PYTHON) -m venv $(CFF)
	$(CFF)/bin/python -m pip install -q -c constraints-cffconvert.txt cffconvert
	touch $(STAMP)

## release: validate the package and build its versioned release (folder and zip) into DIST,
## offline: the previous version's tables come from DIST or from releases/<version>/
release: $(STAMP)
	$(BIN)/python scripts/build_release.py --root $(PKG) --dist $(DIST)

## publish-site: lay out every recorded version as the static tree SITE (index.json,
## <version>/, latest/, the zips); recorded versions missing from DIST are downloaded there
## first from the published location (verified against the recorded manifests)
publish-site: $(STAMP)
	$(BIN)/belarus-timeline publish --all --fetch-missing --root $(PKG) --dist $(DIST) --to $(SITE)

## check-tag: the git tag being released (TAG) must be the version in datapackage.json
check-tag: $(STAMP)
	@v="$$($(BIN)/belarus-timeline --version | cut -d' ' -f2)"; test "$(TAG)" = "$$v" || \
	  { echo "check-tag: tag '$(TAG)' is not the version in datapackage.json ($$v)" >&2; exit 1; }

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

## bench: the scale benchmark at 10k, 100k and 1M events (tens of minutes; not in `make test`)
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py --sizes 10000,100000,1000000

## bench-10m: the same up to 10M events (about an hour, ~25 GB of disk under benchmarks/work/;
## frictionless, pandera and the full release are not run at 10M)
.PHONY: bench-10m
bench-10m: $(STAMP)
	$(BIN)/python benchmarks/run.py --sizes 100000,1000000,10000000

clean:
	rm -rf dist build public .pytest_cache .mypy_cache .ruff_cache
