# Rhythm: `make demo` runs the whole pipeline on the generated demo dataset; `make test` runs the tests.
# Both create .venv and install the project when needed.

VENV    ?= .venv
PYTHON  ?= python3
CORES   ?= $(shell nproc 2>/dev/null || echo 2)
STAMP   := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup setup-openmmlab setup-system demo test test-fast lint dag bench clean

help:
	@echo "make demo       run the whole workflow on the demo dataset (results/demo/)"
	@echo "make test       all tests, integration included"
	@echo "make test-fast  unit tests only: not slow, workflow, slurm or openmmlab (no OpenMMLab build)"
	@echo "make lint       ruff, snakefmt, mypy, the schema check and snakemake --lint"
	@echo "make dag        render the DAG pictures into docs/"
	@echo "make bench      run benchmarks/"
	@echo "make setup-openmmlab  the MMPose/MMDetection/MMCV stack of the landmarks' mmpose backend (make test does it)"
	@echo "make setup-system     Debian's ffmpeg and headless Chromium for the tests (root; make test does it)"

$(STAMP): pyproject.toml constraints.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade "pip>=23"
	# torch first, pinned to the CPU build (constraints.txt); then the project and its test tools
	$(VENV)/bin/python -m pip install -q -c constraints.txt "torch==2.13.0"
	$(VENV)/bin/python -m pip install -q -c constraints.txt -e ".[test,model,slurm,landmarks,lint]"
	@touch $@

setup: $(STAMP)

# MMPose 1.3.2 + MMDetection 3.3.0 + MMCV 2.1.0 (compiled once, then from pip's wheel cache); not for `make demo`
OPENMMLAB := $(VENV)/.openmmlab
$(OPENMMLAB): $(STAMP) envs/install-openmmlab.sh
	bash envs/install-openmmlab.sh $(VENV)
	@touch $@

setup-openmmlab: $(OPENMMLAB)

# Debian's ffmpeg beside the wheel's, and headless Chromium for the browser tests (root and apt-get: CI; elsewhere it says what is missing)
setup-system:
	bash envs/install-system.sh

demo: setup
	snakemake --cores $(CORES)
	@echo; cat results/demo/reports/data_report.txt

test: setup setup-openmmlab setup-system
	pytest -q

# every unit test, without the OpenMMLab build, Snakemake runs or SLURM: the inner loop (under 3 minutes)
test-fast: setup
	pytest -q -m "not slow and not workflow and not slurm and not openmmlab"

# ruff (lint + format check), snakefmt, mypy on src/, the schema's generated blocks, snakemake --lint
lint: setup
	ruff check .
	ruff format --check .
	snakefmt --check Snakefile workflow/
	mypy
	python -m rhythm.pipeline.schema --check
	snakemake --lint

dag: setup
	bash docs/make_dag.sh

bench: setup setup-openmmlab
	@for b in benchmarks/*.py; do echo "== $$b"; python $$b || exit 1; done

clean:
	rm -rf results logs .snakemake
