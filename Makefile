# Two commands set up everything: `make demo` and `make test`.
# Each creates .venv when it is missing and installs the CPU build of torch before the project,
# so pip never pulls a multi-GB CUDA build. Re-running skips the install (stamp file).
# `make serve-venv` checks the light install: a torch-free venv with '.[serve]' answers from a built index.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TORCH := torch==2.13.0

EXTRAS := index,eval,serve,test

.PHONY: demo test bench serve-venv install clean

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

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

serve-venv: $(STAMP)
	$(BIN)/python -m benchmarks.serve_venv

clean:
	rm -rf $(VENV) .recommender
