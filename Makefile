# TripCare — local stack, tests and tooling. `make help` lists the targets.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.DEFAULT_GOAL := help
.PHONY: help install up down test test-unit test-integration test-e2e lint contracts clean train-routing eval-routing

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

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

train-routing: install ## rebuild the routing corpus, train the triage model, write docs/routing-eval.md
	$(PY) data/routing/build_corpus.py
	$(PY) -m services.routing.train

eval-routing: install ## accuracy and macro-F1 of the committed triage model on the held-out split
	$(PY) -m services.routing.train --eval

clean: down ## stop everything and delete local data
	rm -rf .data
