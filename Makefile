# ybss front door. `make run` brings up the local stack and every service; `make test` runs the suite
# against the real Kafka and MongoDB-compatible server. Everything installs itself on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
STACK := bash deploy/local/stack.sh
# Keep the built SecantusDB server between clones on one machine (CI runs here too); a new machine builds it.
export YBSS_STACK_CACHE_DIR ?= $(HOME)/.cache/ybss-stack
# The Makefile is the local front door: services here run in local mode, on the development keys `make up` makes
# (deploy/local/.work/keys). Anywhere else the environment defaults to production and refuses those keys.
export YBSS_ENVIRONMENT ?= local

.PHONY: venv install up down status run test pytest test-unit bench bench-registries bench-city bench-city-reads demo fuzz topics clean browser

venv: $(STAMP) $(NODE_STAMP) browser

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e '.[test]'
	@touch $(STAMP)

# The AsyncAPI parser that validates contracts/asyncapi/*.json in the tests (package.json, pinned by its lock).
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $(NODE_STAMP)

# Debian's Chromium for the offline-pages test (tests/browser), driven by Playwright; installed when missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

install: venv
	$(STACK) install

up: venv
	$(STACK) up
	$(PY) -m services.kernel.operations.cli topics
	$(PY) -m services.kernel.operations.cli dev-keys

down:
	-@test -x $(PY) && $(PY) -m services.kernel.operations.cli stop || true
	$(STACK) down

status:
	$(STACK) status
	-@test -x $(PY) && $(PY) -m services.kernel.operations.cli status || true

run: up
	$(PY) -m services.kernel.operations.cli run --stop-stack

test: up
	@$(MAKE) --no-print-directory pytest

# A populated platform to look around in: a demo town of 2,000 persons loaded into the services `make run` started
# in another terminal (or started here in the background; `make down` stops them). Again: nothing is added.
demo: up
	$(PY) -m services.kernel.operations.cli city demo

# The suite on an already running stack. pytest's exit 5 ("no tests ran") is a failure, said in words: make turns
# every failing status into its own 2, so CI could not tell it apart otherwise.
pytest: venv
	@$(PY) -m pytest -q -p no:cacheprovider --durations=15 $(PYTEST_ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests (exit 5); that is a failure" >&2; fi; \
	exit $$status

test-unit: venv
	YBSS_KEEP_TEST_DATA=1 $(PY) -m pytest -q -p no:cacheprovider tests/unit

# Pipeline (sustained steps, same-work baselines), a one-million-event rebuild and the command API: about
# five minutes here (bench/README.md); results in bench/results/*.json, headline figures in summary.json.
bench: up
	$(PY) bench/run.py
	$(PY) bench/buildings.py
	@test -f bench/parser_f1.py && $(PY) bench/parser_f1.py || true
	@# The audit-figures projection applied per batch vs per event, same events, alternating rounds (≈1 min).
	$(PY) -m bench.figures_apply
	@# The read models an initial load feeds, each alone through the live runner, the code of 90c1578 (before
	@# they applied per batch) beside the working tree, alternating rounds (≈3 min; bench/README.md).
	$(PY) -m bench.projections_apply
	@# The person feed publisher alone, tailing a load: CPU per 1,000 events and idle, the code of 1483d28 (before
	@# it worked per poll) beside the working tree, alternating rounds (≈3 min; bench/README.md).
	$(PY) -m bench.feeds_publish
	@# A town of 500 persons (≈1,400 records) keeps `make bench` in minutes: the issue's 50,000-person city takes
	@# hours through the registries' HTTP commands (≈10-20 records/s here) until the city loader sends through a
	@# bulk path (bench/README.md). YBSS_BENCH_CITY_PERSONS=50000 make bench runs it.
	YBSS_BENCH_CITY_PERSONS=$${YBSS_BENCH_CITY_PERSONS:-500} $(PY) bench/city.py

# The real city (480,000 persons; YBSS_BENCH_CITY_PERSONS sets another size): generated, loaded through the
# registries' commands, checked against its ground truth, then the supervisor's and officer's questions timed
# (bench/results/city.json, bench/README.md). Hours through today's HTTP commands on 2 cores. Its reads alone at
# the city's size: `make bench-city-reads` (below).
bench-city: up
	$(PY) bench/city.py

# The supervisor's figures and 查人知住 at the city's size (YBSS_BENCH_CITY_PERSONS, default 480,000) without the
# HTTP load: the registries' application services in process make the events, `ybss rebuild` builds the read
# models, the audit and person services answer over HTTP (bench/results/city-reads.json, bench/README.md). At the
# default size start the stack with a larger database cache first: `make down; YBSS_MONGO_CACHE_SIZE=6G make up`.
bench-city-reads: up
	$(PY) -m bench.city_reads

# Benchmarks at a million persons take a few minutes each, mostly loading; kept apart so `make bench` stays
# under 10 minutes. Registration rate and lookup by ID number; 查人知住 lookup latency.
bench-registries: up
	$(PY) bench/person_api.py
	$(PY) bench/whereabouts.py

fuzz: up  ## every context; CONTEXTS="person house" narrows it
	bash scripts/fuzz_api.sh

clean: down
	rm -rf deploy/local/.work

# deploy/k8s: regenerate the per-context manifests after changing contracts/contexts.py (tests/deploy checks them),
# regenerate the vendored CRD schemas, or run only the deploy tests (no stack needed). Tools: deploy/k8s/tools.sh.
.PHONY: loc-per-feature
loc-per-feature: venv  ## issue 21's measure: code lines per feature before kernel v3 (18ac9c1^) and now
	$(PY) scripts/loc_per_feature.py 18ac9c1^ HEAD

.PHONY: k8s-manifests k8s-schemas test-deploy
K8S_TOOLS = eval "$$(PYTHON=$(PY) bash deploy/k8s/tools.sh)"
k8s-manifests: venv
	@$(K8S_TOOLS) && PYTHONPATH=$$K8S_PYTHONPATH $(PY) deploy/k8s/generate.py
k8s-schemas: venv
	@$(K8S_TOOLS) && PYTHONPATH=$$K8S_PYTHONPATH $(PY) deploy/k8s/schemas/regenerate.py
test-deploy: venv
	$(PY) -m pytest -q -p no:cacheprovider tests/deploy

# requirements.lock (every runtime dependency pinned with hashes; the image installs it) after changing
# pyproject.toml's dependencies: tests/deploy fails until the lock agrees with pyproject and the venv.
PIP_TOOLS := $(HOME)/.cache/ybss-tools/pip-tools-7.6.2
.PHONY: lock
lock:
	@test -x $(PIP_TOOLS)/bin/pip-compile || ($(PYTHON) -m venv $(PIP_TOOLS) && $(PIP_TOOLS)/bin/pip install -q pip-tools==7.6.2)
	$(PIP_TOOLS)/bin/pip-compile -q --generate-hashes --strip-extras --allow-unsafe --no-emit-index-url \
	    --no-emit-find-links --output-file requirements.lock pyproject.toml
