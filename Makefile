# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
PG_URL ?= postgresql://postgres@127.0.0.1:5432/corebank
REDIS ?= redis://127.0.0.1:6379/1

.PHONY: install run serve test test-fast lint schema bench bench-eod mutate lock clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $@

# Quick start: embedded SQLite, Celery tasks in-process, demo data and one login per role.
run: install
	mkdir -p "$${VAR_DIR:-var}"
	DEBUG=1 $(PY) manage.py migrate --noinput
	DEBUG=1 $(PY) manage.py collectstatic --noinput --verbosity 0
	DEBUG=1 STAFF_2FA_EXEMPT_DEMO_USERS=1 $(PY) manage.py seed_demo
	# Served with DEBUG off: staff never see Django's debug pages (tracebacks, URL lists), but the
	# back office's own 403/404/500 pages; static files come from the collected copy (WhiteNoise).
	DEBUG=0 SECRET_KEY=$${SECRET_KEY:-make-run-local-only-not-a-secret} STAFF_2FA_EXEMPT_DEMO_USERS=1 \
		$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The whole suite on PostgreSQL and Redis (DATABASE_URL / REDIS_URL override the defaults), in two
# runs that share nothing twice: the engine's tests without the back office installed
# (tests/engine_settings.py; tests marked `backoffice` wait for the second run), then everything
# else under the full settings, leaving out what the first run ran (-m "not engine"). Both run; the
# target fails when either does.
test: install
	export DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} REDIS_URL=$${REDIS_URL:-$(REDIS)}; status=0; \
		$(VENV)/bin/pytest --ds=tests.engine_settings tests/core_banking $(PYTEST_ARGS) || status=$$?; \
		$(VENV)/bin/pytest -m "not engine" $(PYTEST_ARGS) || status=$$((status ? status : $$?)); \
		exit $$status

lint: install
	$(VENV)/bin/ruff check .

# Regenerate the checked-in OpenAPI document; tests/core_banking/common/test_openapi_snapshot.py
# fails (with the diff) while docs/openapi.yaml differs from what the code generates.
schema: install
	DJANGO_SETTINGS_MODULE=backoffice.settings.test $(PY) manage.py spectacular --validate --fail-on-warn \
		--file docs/openapi.yaml

bench: install
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(PY) -m bench $(BENCH_ARGS)

# End-of-day interest accrual over 1,000,000 accounts on real Celery workers (bench/eod.py).
bench-eod: install
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(PY) -m bench.eod $(BENCH_ARGS)

# Mutation testing of the money arithmetic (tools/mutate.py; not part of `make test`): each module
# against only the tests that exercise it, one mutant at a time; fails under 95 % killed. Its test
# database is test_corebank_mutate (MUTATE_DATABASE_URL overrides); the summary goes to var/mutate/.
mutate: install
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(PY) -m tools.mutate $(MUTATE_ARGS)

# Re-pin the lock file after changing the ranges in pyproject.toml.
lock:
	rm -rf var/lockenv && $(PYTHON) -m venv var/lockenv
	var/lockenv/bin/pip install --quiet --upgrade pip
	var/lockenv/bin/pip install --quiet '.[dev]' && var/lockenv/bin/pip uninstall -y -q corebank
	var/lockenv/bin/pip freeze --exclude-editable | grep -v '^corebank' > requirements.lock
	rm -rf var/lockenv

clean:
	rm -rf $(VENV) var/static build *.egg-info
