# Roamwise: `make run` serves the shop, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_ARGS ?=

.PHONY: run test lint install migrate demo clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py migrate --noinput --database vault
	$(BIN)/python manage.py createcachetable

demo: migrate
	$(BIN)/python manage.py load_demo_catalog --if-empty
	$(BIN)/python manage.py smdp_inventory --profile-type roamwise-standard --count 200 --top-up-to

run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py serve

test: install
	ROAMWISE_DATA_DIR=$${ROAMWISE_DATA_DIR:-$(CURDIR)/var/test} HUEY_NAME=$${HUEY_NAME:-roamwise-test} \
		$(BIN)/python -m pytest $(TEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy roamwise
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var/test .pytest_cache .mypy_cache .ruff_cache
