# supportcall: `make run` serves the product, `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PASSWORD ?= demo-password

.PHONY: run test setup browsers lint typecheck bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py demo_data --password $(DEMO_PASSWORD) --port $(PORT)
	@echo
	@echo "  supportcall on http://$(HOST):$(PORT)/"
	@echo "    demo page     http://$(HOST):$(PORT)/"
	@echo "    admin         http://$(HOST):$(PORT)/admin/   (admin / $(DEMO_PASSWORD))"
	@echo "    health        http://$(HOST):$(PORT)/api/v1/health"
	@echo "    WebSocket     ws://$(HOST):$(PORT)/ws/v1/calls"
	@echo "    agents        alice, bob (password $(DEMO_PASSWORD)) in queue support@$${SUPPORTCALL_DOMAIN:-support.example.com}"
	@echo "  answer as alice:  $(PY) -m supportcall.client answer --server http://$(HOST):$(PORT) --username alice --password $(DEMO_PASSWORD)"
	@echo "  call as visitor:  $(PY) -m supportcall.client call --server http://$(HOST):$(PORT) --site demo"
	@echo
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) supportcall.asgi:application

test: setup
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: setup
	$(VENV)/bin/mypy supportcall

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
