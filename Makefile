# Two commands on a fresh machine: `make magic` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: magic test setup lint typecheck pytest bench gifs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# `make magic max_log_level=debug scenario=sandstorm-minority seed=3`: each knob is optional and
# passed on as it is given; desert-paxos checks it (a bad one is told, and make stops).
MAGIC_KNOBS = $(if $(max_log_level),--log-level '$(max_log_level)') \
	$(if $(scenario),--scenario '$(scenario)') $(if $(seed),--seed '$(seed)')

magic: setup
	$(BIN)/desert-paxos magic $(strip $(MAGIC_KNOBS))

LINTED := $(wildcard src tests benchmarks)

lint: setup
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

typecheck: setup
	$(BIN)/mypy --strict src

pytest: setup
	$(BIN)/python -m pytest

test: lint typecheck pytest

bench: setup
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python benchmarks/run.py

# The README's animations, drawn by the project from its own runs.
gifs: setup
	@tmp=$$(mktemp -d) && for s in calm-day sandstorm-minority leader-collapses; do \
	  $(BIN)/desert-paxos run $$s --trace $$tmp/$$s.jsonl --log-level quiet >/dev/null && \
	  $(BIN)/desert-paxos export $$tmp/$$s.jsonl --gif docs/$$s.gif || exit 1; \
	done; rm -rf $$tmp

clean:
	rm -rf $(VENV) build dist .mypy_cache .pytest_cache .ruff_cache
