# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run serve test bench train clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,flower]"
	touch $(STAMP)

# Starts an embedded Redis and a worker, pushes the example articles through the queue,
# prints their labelled paragraphs and shuts everything down again.
run: $(STAMP)
	$(BIN)/parasift run --demo

# The same service, left running until Ctrl-C (Flower on :5555 when installed).
serve: $(STAMP)
	$(BIN)/parasift run

test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python -m bench.accuracy
	$(BIN)/python -m bench.throughput

# The shipped model: `make train VERSION=0.8.0` (its version goes into the manifest).
VERSION ?= $(shell date +%Y.%m.%d)
train: $(STAMP)
	$(BIN)/parasift train ../shared/data classifier/labels/wcxb-dev-extra.jsonl -o classifier/models/default --version $(VERSION)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
