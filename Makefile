# TripCare — local stack, tests and tooling. `make help` lists the targets.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.DEFAULT_GOAL := help
.PHONY: help install up down test test-unit test-integration test-e2e test-browser lint contracts clean train-routing eval-routing calibrate-kb export-corrections deploy-check deploy-definitions dlq-replay bench soak chaos chaos-short

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

test-browser: install ## consoles, dashboard and traveller pages in Chromium (/usr/bin/chromium); screenshots to docs/screenshots
	$(BIN)/pytest -q tests/browser

lint: install ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

deploy-check: install ## validate k8s overlays (K8s 1.32 + CRD schemas), compose.yaml and RabbitMQ definitions offline
	$(PY) -m deploy.check

deploy-definitions: install ## regenerate deploy/rabbitmq/definitions.json from contracts/topology.py
	$(PY) -m deploy.definitions > deploy/rabbitmq/definitions.json

dlq-replay: install ## replay a dead-letter queue: make dlq-replay QUEUE=tripcare.routing.ticket.opened [ARGS=--dry-run]
	$(PY) -m runtime.dlq replay --queue $(QUEUE) $(ARGS)

contracts: install ## write JSON Schemas, the AsyncAPI document and the OpenAPI documents to docs/
	$(PY) -m contracts.export docs
	$(PY) -m services.openapi docs/openapi

bench: install ## triage speed, then load the pipeline (own stack): latency, sustained rate, ceiling; writes bench/results/latest.json and appends to docs/benchmarks.md
	$(PY) bench/triage_bench.py --record docs/benchmarks.md
	$(PY) bench/load.py --profile --record docs/benchmarks.md $(ARGS)
	$(PY) bench/notify_bench.py --record docs/benchmarks.md
	$(PY) bench/supplier_bench.py --record docs/benchmarks.md
	$(PY) bench/sla_bench.py --record docs/benchmarks.md

chaos: install ## kill -9, duplicates, poison, store outage and out-of-order scenarios under load (add ARGS=--broker to also restart the shared RabbitMQ)
	$(PY) bench/chaos.py --out bench/results/chaos.json $(ARGS)

soak: install ## ten minutes at a steady 10 contacts/s: RSS of every service per minute (bench/results/soak.json, docs/benchmarks.md)
	$(PY) bench/soak.py --record docs/benchmarks.md $(ARGS)

chaos-short: install ## the chaos suite in under 3 minutes: 10 s store outage, no broker restart (CI)
	$(PY) bench/chaos.py --short

train-routing: install ## rebuild the template corpus and the real-text pools, train and calibrate the triage model, write docs/routing-eval.md
	$(PY) data/routing/build_corpus.py
	$(PY) data/routing/build_real.py
	$(PY) -m services.routing.train --fresh

eval-routing: install ## the committed triage model on the hand-labelled real-text set first, then on the templates' held-out split
	$(PY) -m services.routing.train --eval

calibrate-kb: install ## calibrate the knowledge-base bot's threshold, write docs/routing-kb-eval.md
	$(PY) -m services.routing.kb_eval

export-corrections: install ## append agents' stored corrections to data/routing/corrections.jsonl
	$(PY) -m services.routing.corrections

clean: down ## stop everything and delete local data
	rm -rf .data
