SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --warn-undefined-variables --no-builtin-rules

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
TOOLS := .tools
# uv installs exactly what uv.lock pins; it is itself pinned and kept in its own small venv.
UV_VERSION := 0.13.9
UV := $(TOOLS)/uv/bin/uv
BUF := $(TOOLS)/node_modules/.bin/buf
STAMP := $(VENV)/.installed
# Use the machine's Python (never download one) and the lock as it is (never re-resolve).
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
PYTEST_ARGS ?=
# make lock LOCK_ARGS=--upgrade moves every pin to the newest version pyproject.toml allows.
LOCK_ARGS ?=

.PHONY: help install lock run tui test gen gen-check lint fmt typecheck breaking openapi bench bench-smoke k8s-check check clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(UV):
	$(PYTHON) -m venv $(TOOLS)/uv
	$(TOOLS)/uv/bin/pip install -q --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --python $(PYTHON) --quiet
	@touch $@

$(BUF):
	@mkdir -p $(TOOLS)
	cd $(TOOLS) && npm install --silent --no-audit --no-fund @bufbuild/buf@1.75.0 >/dev/null

install: $(STAMP) $(BUF) ## create .venv from uv.lock (the project and its test tools), and buf (idempotent)

lock: | $(UV) ## after editing pyproject.toml's dependencies: re-resolve uv.lock and install it
	$(UV) lock $(LOCK_ARGS)
	$(UV) sync --locked --extra dev --python $(PYTHON) --quiet
	@touch $(STAMP)

run: $(STAMP) ## the whole system on SQLite with a dev PKI (Ctrl-C stops it)
	$(BIN)/agent-runtime up

tui: $(STAMP) ## the admin TUI on the stack that `make run` started (data/endpoints.json)
	$(BIN)/agent-runtime tui

test: install gen-check lint typecheck ## everything CI runs: generated-code drift, lint, mypy, all tests (benchmark smoke runs too)
	$(BIN)/pytest -q $(PYTEST_ARGS)

gen: $(STAMP) ## regenerate Python code from protos/
	$(PY) scripts/gen_protos.py

gen-check: $(STAMP) ## fail if the generated code drifted from protos/
	$(PY) scripts/gen_protos.py --check

lint: $(STAMP) $(BUF) ## buf lint, buf format check, ruff
	$(BUF) lint
	$(BUF) format --diff --exit-code
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(STAMP) $(BUF) ## format protos and Python in place
	$(BUF) format -w
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

typecheck: $(STAMP) ## mypy --strict over the hand-written code (services, svckit, bench/, scripts/)
	$(BIN)/mypy svckit store_svc orchestrator_svc gateway_svc scheduler_svc qmd_svc connectors_svc admin_tui runtime_cli bench scripts

breaking: $(BUF) ## buf breaking against main
	$(BUF) breaking --against '.git#branch=main'

openapi: $(STAMP) ## write the OpenAPI 3.1 document of /api/v1 to openapi.json
	$(PY) -m gateway_svc.openapi > openapi.json

bench: $(STAMP) ## every benchmark (bench/[!_]*.py), each printing ratios against its baseline
	for b in bench/[!_]*.py; do $(PY) -m bench.$$(basename $$b .py); done

bench-smoke: $(STAMP) ## every benchmark with --smoke: seconds each, figures meaningless (make test runs them too)
	for b in bench/[!_]*.py; do $(PY) -m bench.$$(basename $$b .py) --smoke; done

k8s-check: $(STAMP) ## render k8s/overlays/* with kubectl kustomize and validate every object
	$(PY) scripts/k8s_check.py

check: test breaking k8s-check ## everything

clean: ## remove caches (keeps .venv and data/)
	rm -rf .pytest_cache .mypy_cache .ruff_cache
