# Two commands on a fresh machine: `make test` and `make reproduce`. Both create .venv when missing.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Full MNIST beside the repository (CI, developers) is used when present; otherwise ./data and download.
SHARED_DATA := $(wildcard ../shared/data/MNIST/raw)
DATA_ROOT ?= $(if $(SHARED_DATA),../shared/data,data)
OUT ?= reproduced
# quick: every figure in <= 10 min each (the demonstration); cpu: the scale that can test each claim, <= 60 min
# each on a 2-core CPU (experiments without a cpu preset yet are skipped with a note).
PRESET ?= quick
# The experiments come from the one registry (experiments/registry.py); override with EXPERIMENTS="a b".
EXPERIMENTS ?=

.PHONY: test lint lock reproduce report previews benchmarks clean

# Installs the exact versions of requirements.lock (`make lock` regenerates it from requirements-dev.txt).
$(STAMP): requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.lock
	touch $(STAMP)

# Resolve requirements-dev.txt (ranges) around lock-constraints.txt (torch, torchvision) into exact versions
# for Python 3.11 on every platform, with uv.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile requirements-dev.txt --universal --python-version 3.11 \
	  -c lock-constraints.txt -o requirements.lock --quiet

test: $(STAMP)
	@mkdir -p $(DATA_ROOT)
	CONTRASTIVE_DATA=$(abspath $(DATA_ROOT)) $(PY) -m pytest
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

lint: $(STAMP)
	$(PY) -m ruff check . && $(PY) -m ruff format --check .

# Re-trains every committed $(PRESET) preset into $(OUT)/ (never over results/), prints each claim check
# beside the committed reference numbers, and ends with $(OUT)/REPORT.md's verdicts beside the committed ones.
reproduce: $(STAMP)
	@mkdir -p $(DATA_ROOT)
	$(PY) -m datasets preview all --out-dir $(OUT)/previews --data-root $(DATA_ROOT)
	@for e in $(or $(EXPERIMENTS),$$($(PY) run_experiment.py --names)); do \
	  if ! $(PY) run_experiment.py --presets $$e | grep -qx $(PRESET); then echo "$$e: no $(PRESET) preset, skipped"; continue; fi; \
	  $(PY) run_experiment.py $$e --preset $(PRESET) --out $(OUT) --data-root $(DATA_ROOT) --compare-to results || exit $$?; \
	done
	$(PY) run_experiment.py --report --out $(OUT) --compare-to results

# results/REPORT.md: every registered experiment's committed verdicts (NOT RUN where none), from result files only.
report: $(STAMP)
	$(PY) run_experiment.py --report --out results

previews: $(STAMP)
	$(PY) -m datasets preview all --out-dir results/previews --data-root $(DATA_ROOT)

benchmarks: $(STAMP)
	$(PY) benchmarks/bench_datasets.py --data-root $(DATA_ROOT)
	$(PY) benchmarks/bench_losses.py
	$(PY) benchmarks/bench_training.py --data-root $(DATA_ROOT)
	$(PY) benchmarks/bench_kmeans.py
	$(PY) benchmarks/bench_precision.py
	$(PY) benchmarks/bench_methods.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(OUT)
