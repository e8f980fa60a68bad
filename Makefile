# Roamwise: `make run` serves the shop, `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Serving needs the package alone; the tests and the dev tools come on top.
SERVE_STAMP := $(VENV)/.installed-serve
DEV_STAMP := $(VENV)/.installed-dev
TEST_ARGS ?=
# The demo network partner's key, for the usage simulator that `make run` starts.
DEMO_USAGE_KEY ?= rwp_demo_network_partner_key_not_for_production
# The stand-ins `make run` serves, each as its own process (ADR 0018): the
# payment processor on 8001, the SM-DP+ on 8002, the network partner on 8003,
# the eSIM wholesalers Airalo on 8004 and eSIM Access on 8005 (ADR 0020).
DEMO_SIMULATORS ?= gateway,smdp,network,airalo,esimaccess

.PHONY: run test lint audit install install-serve migrate demo clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

# uv (from the package index, like everything else) installs the same releases
# as pip in a fraction of the time: about 30 s instead of 2.5 minutes on CI (ADR 0019).
$(SERVE_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet "uv>=0.9,<1"
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e .
	@touch $(SERVE_STAMP)

$(DEV_STAMP): $(SERVE_STAMP)
	$(BIN)/uv pip install --python $(BIN)/python --quiet -e ".[test,dev]"
	@touch $(DEV_STAMP)

install-serve: $(SERVE_STAMP)

install: $(DEV_STAMP)

# `make run` names its stand-ins: the settings point the shop at them.
run: export SIMULATORS ?= $(DEMO_SIMULATORS)
demo: export SIMULATORS ?= $(DEMO_SIMULATORS)

migrate: install-serve
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py migrate --noinput --database vault
	@if [ -n "$$EU_DATABASE_URL" ]; then $(BIN)/python manage.py migrate --noinput --database eu; fi
	$(BIN)/python manage.py createcachetable
	$(BIN)/python manage.py policy_load

demo: migrate
	$(BIN)/python manage.py load_demo_catalog --if-empty
	$(BIN)/python manage.py smdp_inventory --profile-type roamwise-standard --count 200 --top-up-to
	@# The shop's list of the operator's ICCIDs at the SM-DP+ (ADR 0006), from the
	@# stand-in's batch file; esim_stock refuses an empty one, so a failed first half stops here.
	$(BIN)/python manage.py smdp_batch_file --profile-type roamwise-standard \
		| $(BIN)/python manage.py esim_stock - --profile-type roamwise-standard
	$(BIN)/python manage.py usage_partner_create demo-network --name "Demo network" \
		--iccid-prefix 8944990 --key $(DEMO_USAGE_KEY) --if-missing
	@# The wholesalers' catalogues, and plans supplied through each (docs/suppliers.md).
	$(BIN)/python manage.py supplier_demo
	@# The stand-ins, on record as screened and bound to confidentiality (SHR-07).
	$(BIN)/python manage.py partner_vetting --demo
	@# A pricing rule to preview and apply, and the code SUMMER10 (docs/features.md).
	$(BIN)/python manage.py selling_demo

run: demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py serve --simulate-usage-key $(DEMO_USAGE_KEY)

# Parallel pytest-xdist workers, one a core (ADR 0019); TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= auto
test: install
	ROAMWISE_DATA_DIR=$${ROAMWISE_DATA_DIR:-$(CURDIR)/var/test} HUEY_NAME=$${HUEY_NAME:-roamwise-test} \
		$(BIN)/python -m pytest -n $(TEST_WORKERS) $(TEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy roamwise
	$(BIN)/lint-imports

# Known vulnerabilities with a fixed release fail; see scripts/dependency_audit.py.
audit: install
	$(BIN)/python scripts/dependency_audit.py

clean:
	rm -rf $(VENV) var/test .pytest_cache .mypy_cache .ruff_cache

# Longer fuzzing on demand (ADR 0017): every parser of outside input with the
# "fuzz" hypothesis profile, and schemathesis over the whole API, stateful too.
FUZZ_EXAMPLES ?= 2000
API_FUZZ_EXAMPLES ?= 500

.PHONY: fuzz faults
fuzz: install
	ROAMWISE_DATA_DIR=$${ROAMWISE_DATA_DIR:-$(CURDIR)/var/fuzz} HUEY_NAME=$${HUEY_NAME:-roamwise-fuzz} \
		FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) API_FUZZ_EXAMPLES=$(API_FUZZ_EXAMPLES) \
		$(BIN)/python bench/fuzz.py $(TEST_ARGS)

# The scale-out run (scripts/scale.py, docs/deployment.md): HAProxy in front of
# three web instances, two job consumers and a scheduler on PostgreSQL and
# Redis, one web instance and one consumer killed mid-run, then the tally.
SCALE_SECONDS ?= 120

.PHONY: scale
scale: install-serve
	SCALE_SECONDS=$(SCALE_SECONDS) $(BIN)/python scripts/scale.py $(SCALE_ARGS)

# Fault injection with PostgreSQL and a Redis server of its own (bench/faults.py).
faults: install
	$(BIN)/python bench/faults.py $(FAULTS_ARGS)
