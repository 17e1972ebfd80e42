# skseq developer commands. Everything runs inside a local virtual environment
# (.venv) that the first command creates, so a fresh machine needs only Python 3.
#
#   make demo    fit a deep model and classical baselines on shipped data
#                (installs only what the demo needs: core, matplotlib, pysteps)
#   make test    lint (ruff, mypy) + the test suite (installs every test extra)
#   make docs    build the documentation (warnings are errors)
#
# torch is installed first, from $(TORCH). The default asks for torch 2.13.0
# with PyTorch's CPU wheel index as an extra index: that index's 2.13.0+cpu
# sorts above PyPI's 2.13.0 (on Linux a multi-GB CUDA build), so pip takes
# the CPU build wherever that index is reachable; where it is not (this
# project's machines, whose own index serves the CPU build), pip warns and
# takes the CPU build from there (--retries 1 keeps the failed lookups short).
# For a GPU build name the index of your CUDA version (see
# https://pytorch.org/get-started/locally/), e.g.
#   make test TORCH="torch --index-url https://download.pytorch.org/whl/cu126"
# TORCH is read only when .venv is created: run `make clean` to change it.

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0 --extra-index-url https://download.pytorch.org/whl/cpu --retries 1
BIN := $(VENV)/bin
# three stamps: the venv with torch; the demo's extras; every test extra. A
# demo-only venv is completed by the first `make test` / `make docs`.
TORCH_STAMP := $(VENV)/.skseq-torch
DEMO_STAMP := $(VENV)/.skseq-demo
STAMP := $(VENV)/.skseq-installed
DEMO_EXTRAS := plot,nowcast
TEST_EXTRAS := test,nowcast,imbalanced,tracking,dask,accelerate,export,io

.PHONY: demo test lint format docs benchmark clean venv

venv: $(STAMP)

$(TORCH_STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned, so pip never resolves a bare (multi-GB CUDA) torch.
	$(BIN)/python -m pip install --quiet $(TORCH)
	touch $(TORCH_STAMP)

$(DEMO_STAMP): $(TORCH_STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[$(DEMO_EXTRAS)]"
	touch $(DEMO_STAMP)

# the full install contains the demo's, so it stamps both
$(STAMP): $(TORCH_STAMP) pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[$(TEST_EXTRAS)]"
	touch $(STAMP) $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python -m skseq.demo --output-dir demo_output

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

docs: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

benchmark: $(STAMP)
	# the skill suite's UCR/UEA sets and MiniRocket come with aeon
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build docs/auto_examples docs/generated \
		docs/sg_execution_times.rst demo_output examples/*/mlflow.db examples/*/mlruns
