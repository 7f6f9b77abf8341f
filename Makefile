# One command per task; the same locally and in CI (.ci/run).
#   make demo   set up leakhunt (no dev tools, no browser), then watch a real leak being found
#   make test   set everything up (dev tools, Graphviz, Chromium, Prometheus), then run the suite
#   make lint   ruff + mypy (strict on the package) + the import boundaries of design.md
#   make bench  benchmark against gc.collect(), objgraph, pympler, guppy3; monitor overhead;
#               diff/report/graph on two 1M-object graph snapshots; background snapshots
#               (pause, copy-on-write) against Node (make bench-large: 20M)
#   make eval   hunt every scenario; print recall, retainer-path accuracy, false alarms
#   make fuzz   10,000 mutated files per reader (snapshot, graph, timeline, V8); figures to docs/fuzzing.md
#   make test-all   the suite on every supported Python (3.10 to 3.13), as CI runs it
# Another Python: make test PYTHON=python3.13 VENV=.venv-3.13

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
CORE := $(VENV)/.installed-core
DEV := $(VENV)/.installed-dev
SOURCES := pyproject.toml setup.py $(wildcard leakhunt/capture/*.c leakhunt/capture/*.h leakhunt/files/*.c leakhunt/analysis/*.c)
PYTEST_ARGS ?= -n 2
PIP := $(PY) -m pip install --quiet --disable-pip-version-check
VERSIONS ?= 3.10 3.11 3.12 3.13

.PHONY: setup demo test test-all lint bench bench-large bench-v8 eval fuzz clean graphviz chromium prometheus v8-oracles tools

$(VENV)/bin/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "make: $(PYTHON) not found; install Python >= 3.10 or pass PYTHON=..."; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# leakhunt and what it needs to run (and draw timelines): what `make demo` uses
$(CORE): $(VENV)/bin/python $(SOURCES)
	$(PIP) -e '.[plot]'
	@$(PY) -c "import leakhunt; print('leakhunt', leakhunt.__version__, 'installed in $(VENV); heap walker:', leakhunt.walker_name())"
	@touch $(CORE)

# plus the test, lint and benchmark tools. With a C compiler here, the
# compiled extensions must build (a failed optional build would leave an old
# one in place, or test the pure-Python twins instead, without a word).
$(DEV): $(CORE)
	$(if $(shell command -v cc 2>/dev/null),LEAKHUNT_REQUIRE_EXTENSIONS=1) $(PIP) -e '.[dev]'
	@touch $(DEV)

graphviz:
	@sh scripts/ensure-graphviz.sh

# the HTML report's browser test (tests/browser/test_html_browser.py)
chromium:
	@sh scripts/ensure-chromium.sh

# the real Prometheus server scraping `leakhunt run --prometheus` (tests/integration/test_prometheus.py)
prometheus:
	@sh scripts/ensure-prometheus.sh

# Node.js, memlab and Chrome DevTools' heap-snapshot worker (tests/v8), cached in .cache/
v8-oracles:
	@sh scripts/ensure-v8-oracles.sh

# gdb: 'leakhunt snapshot PID' attaches with it (tests/cli/test_attach.py);
# node: the outside anchor of bench/bench_background.py
tools:
	@sh scripts/ensure-tool.sh gdb gdb "attaching to an unprepared process"
	@sh scripts/ensure-tool.sh node nodejs "the Node anchor of the background benchmark"

setup: $(DEV) graphviz chromium prometheus v8-oracles tools

demo: $(CORE) graphviz
	@sh scripts/ensure-tool.sh node nodejs "the Node.js part of the demo"
	@$(PY) scripts/demo.py

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

test-all:
	@for v in $(VERSIONS); do \
		py=$$(sh scripts/find-python.sh $$v) || exit 1; \
		$(MAKE) --no-print-directory test PYTHON=$$py VENV=.venv-$$v || exit 1; \
	done

lint: setup
	$(PY) -m ruff check leakhunt tests scenarios bench scripts examples
	$(PY) -m ruff format --check leakhunt tests scenarios bench scripts examples
	$(PY) -m mypy
	$(PY) scripts/check_imports.py

bench: setup
	$(PY) bench/bench_snapshot.py --out docs/benchmarks.md
	$(PY) bench/bench_retainers.py --out docs/benchmarks-retainers.md
	$(PY) bench/bench_hunt.py --out docs/benchmarks-hunt.md
	$(PY) bench/bench_monitor.py --out docs/benchmarks-monitor.md
	$(PY) bench/bench_analysis.py --objects 1000000 --out docs/benchmarks-analysis.md
	$(PY) bench/bench_background.py --sizes 1000000 --out docs/benchmarks-background.md

# the 20M-object tier of issue 10 (minutes, ~10 GB of RAM at its peak)
bench-large: setup
	$(PY) bench/bench_analysis.py --objects 20000000 --out docs/benchmarks-analysis-large.md
	$(PY) bench/bench_background.py --sizes 1000000,3400000 --out docs/benchmarks-background.md

# V8 files at scale: the seed's Node service writes a ~230 MB snapshot triple (needs node)
bench-v8: setup
	$(PY) bench/bench_v8.py --memlab --out docs/benchmarks-v8.md

eval: setup
	$(PY) scripts/eval.py

FUZZ_COUNT ?= 10000
fuzz: setup
	$(PY) scripts/fuzz.py --count $(FUZZ_COUNT) --out docs/fuzzing.md

clean:
	rm -rf $(VENV) .venv-3.* build *.egg-info leakhunt/*.so leakhunt/*/*.so .pytest_cache .mypy_cache .ruff_cache leakhunt-snapshots
