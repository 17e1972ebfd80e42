# skseq developer commands. Everything runs inside a local virtual environment
# (.venv) that the first command creates, so a fresh machine needs only Python 3.
#
#   make demo    fit a deep model and classical baselines on shipped data
#   make test    lint + the test suite
#   make docs    build the documentation (warnings are errors)
#
# Users with a GPU can choose another torch build, e.g.
#   make test TORCH="torch==2.5.1 --index-url https://download.pytorch.org/whl/cu121"

PYTHON ?= python3
VENV ?= .venv
TORCH ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.skseq-installed

.PHONY: demo test lint format docs benchmark clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# torch first, pinned, so pip never resolves a bare (multi-GB CUDA) torch.
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e ".[test,nowcast,imbalanced,tracking,dask,accelerate,export]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m skseq.demo --output-dir demo_output

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

docs: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[docs]"
	$(BIN)/python -m sphinx -W --keep-going -b html docs docs/_build/html

benchmark: $(STAMP)
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info docs/_build docs/auto_examples docs/generated \
		docs/sg_execution_times.rst demo_output examples/mlflow.db examples/mlruns
