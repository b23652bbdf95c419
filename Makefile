# Two commands set up everything: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the CPU build of torch before the project,
# so pip never pulls a multi-GB CUDA build. Re-running skips the install (stamp file).
# `make serve-venv` checks the light install: a torch-free venv with '.[serve]' answers from a built index.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0

EXTRAS := index,eval,serve,test,ray
SOURCEGRAPH := ../shared/evaldata/sales-realworld/sourcegraph-handbook/content/departments

.PHONY: demo test lint bench eval serve-venv install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet $(TORCH)
	$(BIN)/pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/recommender index corpus
	$(BIN)/python -m recommender.demo

test: $(STAMP)
	$(BIN)/python -m pytest

# What CI checks before the tests: lint and formatting of the whole tree, and the core's types.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

# Answer quality on both labelled libraries, curated against plain search, and the out-of-fold
# gap calibration (README, "How it was measured").
eval: $(STAMP)
	$(BIN)/recommender index corpus
	$(BIN)/recommender eval --scenarios tests/data/scenarios.yaml --as-of 2026-11-27
	$(BIN)/recommender index $(SOURCEGRAPH) --index .recommender/sourcegraph
	$(BIN)/recommender eval --scenarios tests/data/sourcegraph_scenarios.yaml --index .recommender/sourcegraph --audience seller
	$(BIN)/python -m benchmarks.calibrate_gaps

serve-venv: $(STAMP)
	$(BIN)/python -m benchmarks.serve_venv

clean:
	rm -rf $(VENV) .recommender
