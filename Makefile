# TripCare — local stack, tests and tooling. `make help` lists the targets.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.DEFAULT_GOAL := help
.PHONY: help install up down test test-unit test-integration test-e2e lint contracts clean

help: ## list targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed ## create .venv and install pinned dependencies

up: install ## start RabbitMQ (if needed), nx-27017 and the four services; wait for /readyz
	$(PY) -m deploy.local up

down: ## stop what `make up` started
	$(PY) -m deploy.local down

test: install ## unit, integration (real RabbitMQ + nx-27017) and end-to-end tests
	$(BIN)/pytest -q

test-unit: install ## domain and in-memory-broker tests only
	$(BIN)/pytest -q tests/unit

test-integration: install ## tests against the real broker and store
	$(BIN)/pytest -q tests/integration

test-e2e: install ## the happy path over HTTP against four running services
	$(BIN)/pytest -q tests/e2e

lint: install ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

contracts: install ## write JSON Schemas and the AsyncAPI document to docs/
	$(PY) -m contracts.export docs

clean: down ## stop everything and delete local data
	rm -rf .data
