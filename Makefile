# simkafka: two commands for a fresh machine.
#   make lab    open the course in JupyterLab (simulator; no broker needed)
#   make test   run every test; starts Kafka, RabbitMQ and the three-node cluster if needed, and
#               stops what it started
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.simkafka-installed
LAB_PORT ?= 8888
# Extra flags for jupyter lab; as root (a container) Jupyter Server refuses to start without --allow-root.
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root)
PYTEST_ARGS ?=
# make brokers-up NODES=3 (or brokers-down / brokers-status): the three-node cluster of notebook 10.
NODES ?= 1
CLUSTER := $(if $(filter 3,$(NODES)),kafka-cluster)

.PHONY: env lab student notebooks test test-sim brokers-up brokers-down brokers-status bench bench-brokers fidelity figures lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "simkafka needs Python 3.11 or newer: install it, or run make PYTHON=python3.11 ...")'
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV) || { echo "could not create $(VENV): on Debian, apt-get install python3-venv"; exit 1; }
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[real,lab,test,bench,lite]'
	@touch $(STAMP)

env: $(STAMP)

lab: env
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks --port=$(LAB_PORT) $(LAB_ARGS)

# Student copies of the notebooks (solutions removed) in build/student; make test runs them
# too, with the brokers hidden, so every notebook is tested with and without its brokers.
student: env
	$(VPY) tools/student.py build/student

# Rebuild the notebooks from tools/course (run after editing a notebook's builder).
notebooks: env
	$(VPY) tools/build_notebooks.py

# The whole suite: unit, property, fidelity and broker tests, doctests, and the notebooks and
# their student copies under nbval.
test: env student
	$(VPY) -m simkafka.brokers run --with kafka-cluster -- $(VPY) -m pytest $(PYTEST_ARGS) tests src/simkafka notebooks build/student \
	  --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/nbval.cfg

# The suite without starting brokers (broker tests skip unless SIMKAFKA_REQUIRE_BROKERS=1).
test-sim: env student
	$(VPY) -m pytest $(PYTEST_ARGS) tests src/simkafka notebooks build/student \
	  --nbval-lax --nbval-current-env --nbval-sanitize-with notebooks/nbval.cfg

brokers-up: env
	$(VPY) -m simkafka.brokers up $(CLUSTER)

brokers-down: env
	$(VPY) -m simkafka.brokers down $(CLUSTER)

brokers-status: env
	$(VPY) -m simkafka.brokers status $(CLUSTER)

# The course as a static JupyterLite site in build/lite/ (offline: Pyodide from npm, wheels from
# PyPI). LITE_CDN=1 builds the site to deploy, loading numpy/pandas/matplotlib from Pyodide's CDN.
lite: env
	$(VPY) tools/build_lite.py $(if $(filter 1,$(LITE_CDN)),--cdn)

# Debian's Chromium (as root) and playwright-core for the browser tests; the tests do it too.
browser-deps: env
	$(VPY) tools/browser_deps.py

bench: env
	$(VPY) benchmarks/run.py

# The article's claims on the real brokers (about 3 minutes, millions of records; not in make
# test): throughput as Kafka's log and a RabbitMQ queue grow, and bytes kept per reader. Saves
# src/simkafka/data/broker-claims.json, which notebooks 06 and 07 plot. Needs both brokers up.
bench-brokers: env
	$(VPY) benchmarks/brokers.py

# Every experiment on the simulator and on the real Kafka, side by side (starts Kafka if needed).
fidelity: env
	$(VPY) -m simkafka.brokers run -- $(VPY) -m simkafka.experiments --fidelity

# Every simkafka.viz drawing as PNG in docs/figures/ (simulator; the real brokers too if up).
figures: env
	$(VPY) tools/make_figures.py

lint: env
	$(VPY) -m ruff check src tests benchmarks tools notebooks
	$(VPY) -m ruff format --check src tests benchmarks tools notebooks

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
