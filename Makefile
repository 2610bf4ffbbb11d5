# calfeed — the two quick-start commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run build serve test test-browser clean

$(BIN)/calfeed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: $(BIN)/calfeed pyproject.toml tests/js/package-lock.json
	$(BIN)/pip install --quiet -e '.[test]'
	cd tests/js && npm ci --silent --no-audit --no-fund
	touch $@

## run: build the static feeds from sources.yaml, then serve them live on http://$(HOST):$(PORT)/
run: $(BIN)/calfeed
	$(BIN)/calfeed build
	$(BIN)/calfeed serve --host $(HOST) --port $(PORT)

build: $(BIN)/calfeed
	$(BIN)/calfeed build

## test: the linter, then the whole test suite (browser tests skip, saying why, when Chromium is missing)
test: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench
	$(BIN)/pytest

clean:
	rm -rf $(VENV) tests/js/node_modules .calfeed .pytest_cache test-artifacts
