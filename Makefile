# supportcall: `make run` serves the product, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= demo-password
# A request's body and response get at most this long (daphne's own limit; the
# request's head has SUPPORTCALL_HTTP_HEADER_TIMEOUT, see supportcall/request_deadline.py).
DAPHNE_ARGS ?= --http-timeout 60

.PHONY: run run-turn run-cluster test setup browsers lint typecheck bench bench-quick clean lock upgrade \
	check-lock check-migrations messages

# Exactly the locked versions (requirements/, made by `make lock`), checked against their
# hashes, then the project itself. Changing a lock or pyproject.toml reinstalls.
$(VENV)/.installed: requirements/runtime.txt requirements/test.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements/test.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# The local key comes with the install, so manage.py and mypy work in a checkout.
setup: $(VENV)/.installed .secret_key

# Regenerate the locks from pyproject.toml, keeping the locked versions where allowed.
lock: setup
	$(PY) requirements/lock.py

# Move the locks to the newest versions pyproject.toml allows, install them, run the suite.
upgrade: setup
	$(PY) requirements/lock.py --upgrade
	$(MAKE) test

# Fails when pyproject.toml changed without `make lock` (no network, no venv needed).
check-lock:
	$(PYTHON) requirements/lock.py --check

# The key that signs tokens and sessions for `make run`: random, made once, never committed.
.secret_key:
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@.tmp && mv $@.tmp $@
	@echo "made a new SECRET_KEY in $@"

# The port it serves on: PORT if given (refused at once if taken), else 8000 or, when
# something else listens there, the next free one; every line printed names that port.
run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@port=$$($(PY) -c 'import socket, sys; \
	ports = range(8000, 8100) if sys.argv[2] == "file" else [int(sys.argv[1])]; \
	free = [p for p in ports if socket.socket().connect_ex((sys.argv[3], p)) != 0]; \
	print(free[0] if free else "")' $(PORT) '$(origin PORT)' $(HOST)); \
	if [ -z "$$port" ]; then echo "port $(PORT) on $(HOST) is taken; try make run PORT=<another>" >&2; exit 1; fi; \
	$(PY) manage.py demo_data --password $(DEMO_PASSWORD) --port $$port && \
	echo && \
	echo "  supportcall on http://$(HOST):$$port/" && \
	echo "    demo page     http://$(HOST):$$port/" && \
	echo "    agents        http://$(HOST):$$port/agent/   alice, bob (password $(DEMO_PASSWORD)) in queue support@$${SUPPORTCALL_DOMAIN:-support.example.com}" && \
	echo "    supervisor    sam (password $(DEMO_PASSWORD)): an agent and staff, who also sees the team view" && \
	echo "    admin         http://$(HOST):$$port/admin/   (admin / $(DEMO_PASSWORD))" && \
	echo "    health        http://$(HOST):$$port/api/v1/health" && \
	echo "    WebSocket     ws://$(HOST):$$port/ws/v1/calls" && \
	echo "  answer as alice:  $(PY) -m supportcall.client answer --server http://$(HOST):$$port --username alice --password $(DEMO_PASSWORD)" && \
	echo "  call as visitor:  $(PY) -m supportcall.client call --server http://$(HOST):$$port --site demo" && \
	echo && \
	exec $(VENV)/bin/daphne $(DAPHNE_ARGS) -b $(HOST) -p $$port supportcall.asgi:application

# A local coturn beside `make run` (Debian: apt-get install coturn), on 127.0.0.1 only, with
# a secret made once in .turn_secret (like .secret_key) and the config that
# docs/deployment.md explains, made in .turn/. It prints what to give `make run`.
TURN_PORT ?= 3478
.turn_secret:
	@umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_hex(32))" > $@.tmp && mv $@.tmp $@
	@echo "made a new TURN secret in $@"

run-turn: setup .turn_secret
	@command -v turnserver >/dev/null || { echo "turnserver is missing: apt-get install coturn" >&2; exit 1; }
	@mkdir -p .turn && umask 077 && $(PY) -m supportcall.coturn --secret-file .turn_secret \
	  --realm localhost --listen 127.0.0.1 --port $(TURN_PORT) --min-port 49160 --max-port 49200 \
	  --allow-peer 127.0.0.1 --userdb .turn/turndb --pidfile .turn/turnserver.pid > .turn/turnserver.conf
	@echo
	@echo "  coturn on 127.0.0.1:$(TURN_PORT) (udp and tcp), config in .turn/turnserver.conf"
	@echo "  run supportcall with it:"
	@echo "    SUPPORTCALL_TURN_SECRET=$$(cat .turn_secret) \\"
	@echo "    SUPPORTCALL_TURN_URLS=turn:127.0.0.1:$(TURN_PORT)?transport=udp,turn:127.0.0.1:$(TURN_PORT)?transport=tcp \\"
	@echo "    SUPPORTCALL_ICE_TRANSPORT_POLICY=relay make run     # relay: every call goes through it"
	@echo
	exec turnserver -c .turn/turnserver.conf

# Two daphne processes on the local PostgreSQL and Redis, as in production.
CLUSTER_DB ?= supportcall
CLUSTER_ENV = DATABASE_URL=postgres://postgres@127.0.0.1:5432/$(CLUSTER_DB) REDIS_URL=redis://127.0.0.1:6379/0

run-cluster: setup
	$(PY) -c "import psycopg; c = psycopg.connect('postgres://postgres@127.0.0.1:5432/postgres', autocommit=True); \
	c.execute(\"CREATE DATABASE $(CLUSTER_DB)\") if not c.execute(\"SELECT 1 FROM pg_database WHERE datname = '$(CLUSTER_DB)'\").fetchone() else None"
	$(CLUSTER_ENV) $(PY) manage.py migrate --noinput
	$(CLUSTER_ENV) $(PY) manage.py collectstatic --noinput --verbosity 0
	$(CLUSTER_ENV) $(PY) manage.py demo_data --password $(DEMO_PASSWORD) --port 8000
	@echo
	@echo "  supportcall on http://$(HOST):8000/ and http://$(HOST):8001/ (PostgreSQL $(CLUSTER_DB), Redis db 0)"
	@echo "  stop with Ctrl-C; kill -TERM one daphne to see its clients resume on the other"
	@echo
	$(CLUSTER_ENV) $(VENV)/bin/daphne $(DAPHNE_ARGS) -b $(HOST) -p 8001 supportcall.asgi:application & \
	  trap 'kill -TERM $$!' EXIT INT TERM; \
	  $(CLUSTER_ENV) $(VENV)/bin/daphne $(DAPHNE_ARGS) -b $(HOST) -p 8000 supportcall.asgi:application

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy supportcall bench

# Issue 9's targets against floors measured in the same run (docs/performance.md): the
# server on core 0, the load on core 1; local PostgreSQL and Redis (db 12). Long: about an
# hour at the speeds issue 9 reports (estimated, not yet timed). Run it on a quiet machine.
# BENCH_ARGS adds options: make bench BENCH_ARGS="--scenario relay --repeat 5".
BENCH_ARGS ?=
bench: setup
	$(PY) -m bench $(BENCH_ARGS)

# The same at tiny sizes, to check the harness in a minute or two (numbers mean little).
bench-quick: setup
	$(PY) -m bench --quick $(BENCH_ARGS)

# The dashboard's, sign-in pages' and admin's catalogues (supportcall/locale/): collect
# what the templates, Python and dashboard scripts mark into the .po files, then compile
# the .mo files, which are committed (so `make run` needs no GNU gettext). Needs it here:
# apt-get install gettext. tests/test_django_catalogues.py fails when they fall behind.
MESSAGES_ARGS = -l de -l fr -l es -l ar --no-location --ignore=.venv --ignore=staticfiles \
	--ignore=tests --ignore=bench --ignore=artifacts --ignore=docs --ignore=requirements
messages: setup
	$(PY) manage.py makemessages -d django $(MESSAGES_ARGS)
	$(PY) manage.py makemessages -d djangojs $(MESSAGES_ARGS) --ignore=static/supportcall/widget \
		--ignore=static/supportcall/widget.js --ignore=static/supportcall/phone.js \
		--ignore=static/supportcall/chat.js --ignore=static/supportcall/quality.js
	$(PY) manage.py compilemessages --ignore=.venv

# Fails when a model changed without its migration.
check-migrations: setup
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
