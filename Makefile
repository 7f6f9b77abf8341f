# One command per task; the same locally and in CI (.ci/run).
#   make demo   set everything up, then watch a real leak being found
#   make test   set everything up, then run the suite
#   make lint   ruff + mypy (strict on the package)
#   make bench  benchmark against gc.collect(), objgraph, pympler, guppy3; monitor overhead
#   make eval   hunt every scenario; print recall, retainer-path accuracy, false alarms
# Another Python: make test PYTHON=python3.13 VENV=.venv-3.13

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PYTEST_ARGS ?= -n 2

.PHONY: setup demo test lint bench eval clean graphviz chromium

$(STAMP): pyproject.toml setup.py leakhunt/_walker.c leakhunt/_graph.h
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; install Python >= 3.10 or pass PYTHON=..."; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@$(PY) -c "import leakhunt; print('leakhunt', leakhunt.__version__, 'installed in $(VENV); heap walker:', leakhunt.walker_name())"
	@touch $(STAMP)

graphviz:
	@sh scripts/ensure-graphviz.sh

# the HTML report's browser test (tests/test_html_browser.py)
chromium:
	@sh scripts/ensure-chromium.sh

setup: $(STAMP) graphviz chromium

demo: setup
	@$(PY) scripts/demo.py

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(PY) -m ruff check leakhunt tests scenarios bench scripts
	$(PY) -m ruff format --check leakhunt tests scenarios bench scripts
	$(PY) -m mypy

bench: setup
	$(PY) bench/bench_snapshot.py --out docs/benchmarks.md
	$(PY) bench/bench_retainers.py --out docs/benchmarks-retainers.md
	$(PY) bench/bench_hunt.py --out docs/benchmarks-hunt.md
	$(PY) bench/bench_monitor.py --out docs/benchmarks-monitor.md

eval: setup
	$(PY) scripts/eval.py

clean:
	rm -rf $(VENV) build *.egg-info leakhunt/*.so .pytest_cache .mypy_cache .ruff_cache leakhunt-snapshots
