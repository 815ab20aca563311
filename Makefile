# Two commands from a fresh clone: `make serve` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

VENDOR := service/web/static/vendor/bpmn-js
.PHONY: setup vendor browser serve test lint bench clean translations catalogues

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# bpmn-js for the web UI: from the npm registry (package-lock.json), copied into the static files.
$(VENDOR)/.stamp: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js $(VENDOR)/
	cp -r node_modules/bpmn-js/dist/assets/. $(VENDOR)/
	touch $@

vendor: $(VENDOR)/.stamp

# Debian's Chromium for the browser tests (tests/browser skip with the reason when it is missing).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the browser tests will be skipped"; \
	  else echo "chromium is not installed (apt-get install chromium): the browser tests will be skipped"; fi; }

# The gettext catalogues: `make translations` extracts every marked string and updates the .po files
# (then translate the new msgids); `make catalogues` compiles the .mo files (the app also does at start-up).
POT := service/translations/messages.pot
translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k N_ --no-location --sort-output --omit-header -o $(POT) .
	$(BIN)/pybabel -q update -i $(POT) -d service/translations --no-fuzzy-matching --ignore-obsolete --omit-header

catalogues: $(STAMP)
	$(BIN)/pybabel -q compile -d service/translations

setup: $(STAMP) vendor catalogues

serve: setup
	$(BIN)/advocacy-flow deploy
	$(BIN)/advocacy-flow serve $(ARGS)

test: setup browser
	$(BIN)/python -m pytest -q -p no:cacheprovider $(ARGS)

bench: setup
	$(BIN)/python -m bench.run $(ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache node_modules service/web/static/vendor
