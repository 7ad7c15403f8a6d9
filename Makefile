# Two commands matter: `make run` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
# Two processes: the suite takes half the time on the two cores of a CI machine.
PYTEST_ARGS ?= -n 2 --dist loadgroup

.PHONY: run test lint format install install-dev translations messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: $(VENV)/.installed
	$(BIN)/pybabel compile -d app/translations

messages: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --project metodcabinet --version 0.1.0 -o app/translations/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete -i app/translations/messages.pot -d app/translations

run: install translations
	$(FLASK) db upgrade
	@test -f instance/.demo-seeded || ($(FLASK) seed-demo | tee instance/.demo-logins && touch instance/.demo-seeded)
	$(FLASK) reindex
	@echo ""
	@echo "Сайт: http://$(HOST):$(PORT)/   (Ctrl+C — остановить)"
	@cat instance/.demo-logins 2>/dev/null | sed -n '/Демо-учётные/,$$p'
	INDEX_WORKER_THREAD=1 $(FLASK) run --host $(HOST) --port $(PORT) --no-reload

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: install-dev translations lint
	env -u TEST_DATABASE_URL $(BIN)/python -m pytest $(PYTEST_ARGS)
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "=== again on PostgreSQL: $$TEST_DATABASE_URL ==="; \
		$(BIN)/python -m pytest $(PYTEST_ARGS); \
	fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
