# Recovery Commons: `make run` serves the demo, `make test` runs lint and the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DOMAINS := core recovery volunteers donations residents preparedness

.PHONY: run test lint format install messages vendor clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/commons db upgrade
	$(BIN)/commons demo
	$(BIN)/commons serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extract every translatable string, one catalog per domain (core also holds platform/).
CATALOGS := core recovery volunteers donations residents preparedness
messages: $(STAMP)
	@for d in $(CATALOGS); do \
	  src="$$d"; \
	  [ "$$d" = core ] && src="core platform"; \
	  $(BIN)/pybabel extract --no-location --sort-output -F babel.cfg -k lazy_gettext -k lazy_pgettext:1c,2 -k _ \
	    -o platform/translations/$$d.pot $$src >/dev/null && \
	  if [ -f platform/translations/zh_Hans/LC_MESSAGES/$$d.po ]; then \
	    $(BIN)/pybabel update --no-fuzzy-matching -D $$d -l zh_Hans -d platform/translations \
	      -i platform/translations/$$d.pot; \
	  else \
	    $(BIN)/pybabel init -D $$d -l zh_Hans -d platform/translations \
	      -i platform/translations/$$d.pot; \
	  fi; \
	done

# Front-end files come from pinned npm packages and are committed under static/vendor.
vendor:
	npm ci --no-audit --no-fund
	mkdir -p static/vendor/htmx static/vendor/htmx-ext-sse static/vendor/leaflet/images
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE static/vendor/htmx/
	cp node_modules/htmx-ext-sse/dist/sse.min.js node_modules/htmx-ext-sse/LICENSE static/vendor/htmx-ext-sse/
	cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css node_modules/leaflet/LICENSE static/vendor/leaflet/
	cp node_modules/leaflet/dist/images/* static/vendor/leaflet/images/

bench: $(STAMP)
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) commons.db commons.db-wal commons.db-shm var
