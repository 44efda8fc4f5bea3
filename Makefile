# TripCare — local stack, tests and tooling. `make help` lists the targets.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python

.DEFAULT_GOAL := help
.PHONY: help install lock up down test test-unit test-integration test-e2e test-secantus test-browser fuzz lint contracts clean train-routing eval-routing calibrate-kb export-corrections deploy-check deploy-definitions deploy-secrets dlq-replay bench bench-peer soak chaos chaos-short

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml requirements.lock requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q --require-hashes -r requirements-dev.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

install: $(VENV)/.installed ## create .venv and install the locked dependencies (hashes checked)

UV_COMPILE := $(BIN)/uv pip compile pyproject.toml --python-version 3.11 --python-platform linux \
	--generate-hashes --quiet

lock: install ## after editing pyproject.toml: re-resolve requirements.lock and requirements-dev.lock, then `make install`
	$(UV_COMPILE) -o requirements.lock
	$(UV_COMPILE) --extra dev -c requirements.lock -o requirements-dev.lock

up: install ## start RabbitMQ (if needed), nx-27017 and the four services; wait for /readyz
	$(PY) -m deploy.local up

down: ## stop what `make up` started
	$(PY) -m deploy.local down

STORE ?= $(or $(TRIPCARE_TEST_STORE),nx)
export TRIPCARE_TEST_STORE := $(STORE)

test: install ## unit, integration (real RabbitMQ + nx-27017; STORE=secantus: SecantusDB), end-to-end tests and a bounded fuzz run (30 s per service)
	$(BIN)/pytest -q

test-unit: install ## domain and in-memory-broker tests only
	$(BIN)/pytest -q tests/unit

test-integration: install ## tests against the real broker and store (STORE=nx|secantus)
	$(BIN)/pytest -q tests/integration

test-e2e: install ## the happy path over HTTP against four running services (STORE=nx|secantus)
	$(BIN)/pytest -q tests/e2e

# CI's share of SecantusDB: every integration test but the four-process SIGTERM runs and the
# timing-bound SLA replicas test (both pass on it too, in 4 more minutes: make test-integration STORE=secantus).
SECANTUS_SUBSET := tests/integration --ignore=tests/integration/test_shutdown.py --deselect \
	tests/integration/test_sla_scheduler.py::test_breaches_fire_once_on_time_across_replicas_restarts_and_downtime

test-secantus: install ## CI: the store-bound integration tests on SecantusDB (about a minute)
	TRIPCARE_TEST_STORE=secantus timeout 600 $(BIN)/pytest -q $(SECANTUS_SUBSET)

test-browser: install ## consoles, dashboard and traveller pages in Chromium (/usr/bin/chromium); screenshots to docs/screenshots
	$(BIN)/pytest -q tests/browser

fuzz: install ## schemathesis against the four services (own stack, free ports), 300 s each, a new seed each run: FUZZ_SECONDS=… FUZZ_SEED=…
	FUZZ_SECONDS=$${FUZZ_SECONDS:-300} FUZZ_SEED=$${FUZZ_SEED:-random} $(BIN)/pytest -q -s tests/fuzz

lint: install ## ruff (with complexity limits), ruff format, mypy strict, import contracts (lint-imports), size limits (tools/sizes.py)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(PY) tools/sizes.py

deploy-check: install ## validate k8s overlays (K8s 1.32 + CRD schemas), compose.yaml and RabbitMQ definitions offline
	$(PY) -m deploy.check

deploy-definitions: install ## regenerate deploy/rabbitmq/definitions.json (and the k8s base's copy) from contracts/topology.py
	$(PY) -m deploy.definitions > deploy/rabbitmq/definitions.json
	cp deploy/rabbitmq/definitions.json deploy/k8s/base/rabbitmq-definitions.json

deploy-secrets: install ## create a cluster's Secrets with random values (current kubectl context): make deploy-secrets NAMESPACE=tripcare-dev
	@test -n "$(NAMESPACE)" || { echo "NAMESPACE=<the overlay's namespace> needed" >&2; exit 2; }
	$(PY) -m deploy.secrets --namespace $(NAMESPACE) | kubectl create -f -

dlq-replay: install ## replay a dead-letter queue: make dlq-replay QUEUE=tripcare.routing.ticket.opened[.dlq] [ARGS=--dry-run]
	$(PY) -m runtime.dlq replay --queue $(QUEUE) $(ARGS)

contracts: install ## write JSON Schemas, the AsyncAPI document and the OpenAPI documents to docs/
	$(PY) -m contracts.export docs
	$(PY) -m services.openapi docs/openapi

bench: install ## triage speed, then load the pipeline (own stack) and django-helpdesk side by side: latency, sustained rate at p99 <= 300 ms, the ratio; writes bench/results/latest.json and appends to docs/benchmarks.md
	$(PY) bench/triage_bench.py --record docs/benchmarks.md
	$(PY) bench/load.py --profile --peer --p99-limit-ms 300 --record docs/benchmarks.md $(ARGS)
	$(PY) bench/notify_bench.py --record docs/benchmarks.md
	$(PY) bench/supplier_bench.py --record docs/benchmarks.md
	$(PY) bench/sla_bench.py --record docs/benchmarks.md

bench-peer: install ## django-helpdesk 2.6.1 alone (own virtualenv in .data/peer): tickets/s, p50/p99, CPU per ticket at concurrency 1, 8, 32; bench/results/peer.json
	$(PY) bench/peer/run.py --record docs/benchmarks.md $(ARGS)

chaos: install ## kill -9, duplicates, poison, store outage and out-of-order scenarios under load (add ARGS=--broker to also restart the shared RabbitMQ)
	$(PY) bench/chaos.py --out bench/results/chaos.json $(ARGS)

soak: install ## ten minutes at a steady 10 contacts/s: RSS of every service per minute (bench/results/soak.json, docs/benchmarks.md)
	$(PY) bench/soak.py --record docs/benchmarks.md $(ARGS)

chaos-short: install ## the chaos suite in under 3 minutes: 10 s store outage, no broker restart (CI)
	$(PY) bench/chaos.py --short

train-routing: install ## rebuild the template corpus and the real-text pools, train and calibrate the triage model, write docs/routing-eval.md
	$(PY) data/routing/build_corpus.py
	$(PY) data/routing/build_real.py
	$(PY) -m services.routing.tools.train --fresh

eval-routing: install ## the committed triage model on the hand-labelled real-text set first, then on the templates' held-out split
	$(PY) -m services.routing.tools.train --eval

calibrate-kb: install ## calibrate the knowledge-base bot's threshold, write docs/routing-kb-eval.md
	$(PY) -m services.routing.tools.kb_eval

export-corrections: install ## append agents' stored corrections to data/routing/corrections.jsonl
	$(PY) -m services.routing.tools.corrections

clean: down ## stop everything and delete local data
	rm -rf .data
