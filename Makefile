# calfeed — the two quick-start commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run build serve test test-complet test-browser clean

# pip says what it fetches and installs, one line per package: the first install takes about a minute.
PIP = $(BIN)/pip install --disable-pip-version-check --no-input --progress-bar off

$(BIN)/calfeed: pyproject.toml
	@echo "==> 1/3 Création de l'environnement Python $(VENV)/"
	$(PYTHON) -m venv $(VENV)
	@echo "==> 2/3 Mise à jour de pip"
	$(PIP) --quiet --upgrade pip
	@echo "==> 3/3 Installation de calfeed et de ses dépendances (environ une minute la première fois)"
	$(PIP) -e . | grep --line-buffered -v '^Requirement already satisfied' || true
	@$(BIN)/calfeed --version >/dev/null || { echo "Erreur : l'installation de calfeed a échoué (voir ci-dessus)." >&2; exit 1; }
	touch $@
	@echo "==> calfeed est installé : $(BIN)/calfeed"

$(VENV)/.test-installed: $(BIN)/calfeed pyproject.toml tests/js/package-lock.json
	@echo "==> Installation des dépendances de test (pytest, moto, aiosmtpd, Playwright…)"
	$(PIP) -e '.[test]' | grep --line-buffered -v '^Requirement already satisfied' || true
	@$(BIN)/python -c "import pytest, moto, aiosmtpd" || { echo "Erreur : l'installation des dépendances de test a échoué (voir ci-dessus)." >&2; exit 1; }
	@echo "==> Installation d'ical.js et d'axe-core (npm)"
	cd tests/js && npm ci --silent --no-audit --no-fund
	touch $@

## run: build the static feeds from sources.yaml, then serve them live on http://$(HOST):$(PORT)/
run: $(BIN)/calfeed
	@echo "==> Écriture des agendas statiques dans feeds/"
	$(BIN)/calfeed build
	$(BIN)/calfeed serve --host $(HOST) --port $(PORT)

build: $(BIN)/calfeed
	$(BIN)/calfeed build

# The tests run in one process per core (pytest-xdist); the browser's tests in two groups (tests/conftest.py),
# each kept in one process, which starts Chromium and the served sites once.
PYTEST = $(BIN)/pytest -n auto --dist loadgroup

## test: the linter, then the test suite less its long runs (marker slow); browser tests skip, saying why,
## when Chromium is missing
test: $(VENV)/.test-installed
	$(BIN)/ruff check src tests bench
	$(PYTEST) -m "not slow"

## test-complet: the long runs `make test` leaves out (marker slow); .ci/run runs both
test-complet: $(VENV)/.test-installed
	$(PYTEST) -m slow

clean:
	rm -rf $(VENV) tests/js/node_modules .calfeed .pytest_cache test-artifacts
