# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
# podman, or docker where that is what the machine has.
CONTAINER_TOOL ?= $(shell command -v podman >/dev/null 2>&1 && echo podman || echo docker)
IMAGE ?= identity-service
# Empty: the Containerfile's default, a slim Python 3.11 image.
BASE_IMAGE ?=
# More options for the build, e.g. a CA bundle mounted for the build only (see README, Deploy).
IMAGE_BUILD_FLAGS ?=
PYZ ?= dist/identity-service.pyz

.PHONY: install install-dev run migrate check test image dist bench bench-smoke bench-import clean

# What serving needs, and the project itself as an editable package (.venv/bin/identity-service).
$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps --editable .
	touch $@

# Test and build tools on top.
$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/identity-service serve

migrate: install
	$(BIN)/identity-service migrate

check: install
	$(BIN)/identity-service check

# Includes the image and .pyz tests (tens of seconds each); PYTEST_ARGS='-m "not deploy"' leaves them out.
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The container image (Containerfile); BASE_IMAGE=... builds on another Python 3.11 image.
image:
	$(CONTAINER_TOOL) build $(if $(filter podman,$(notdir $(firstword $(CONTAINER_TOOL)))),--format docker) \
		$(if $(BASE_IMAGE),--build-arg BASE_IMAGE=$(BASE_IMAGE)) $(IMAGE_BUILD_FLAGS) -t $(IMAGE) -f Containerfile .

# One file: the service, its dependencies and the embedded PostgreSQL, for any Python 3.11.
dist: install-dev
	$(BIN)/python packaging/build_pyz.py $(PYZ)

clean:
	rm -rf $(VENV) .pytest_cache build dist *.egg-info

# The benchmark suite (bench/): seeds its own databases on DATABASE_URL's server, or on an
# embedded PostgreSQL when none is set, and writes docs/benchmarks.md; then the import's
# benchmark (bench-import, below), which prints its table. BENCH_BASELINE is the
# commit the A/B compares with (the last one before identify became one database call);
# `make bench BENCH_BASELINE=` runs without the A/B.
BENCH_BASELINE ?= 98f44b7
BASELINE_DIR := .data/bench-baseline
bench: install
ifneq ($(BENCH_BASELINE),)
	rm -rf $(BASELINE_DIR) && git worktree prune
	git worktree add --detach $(BASELINE_DIR) $(BENCH_BASELINE)
	$(BIN)/python -m bench --baseline $(BASELINE_DIR) --command-line "make bench"
	git worktree remove --force $(BASELINE_DIR)
else
	$(BIN)/python -m bench
endif
	$(BIN)/python -m bench.import_bench --orders $(IMPORT_BENCH_ORDERS)

# The same pipeline on a small table in seconds, for CI: it must run and print numbers.
bench-smoke: install
	$(BIN)/python -m bench --smoke
	$(BIN)/python -m bench.import_bench --orders 5000

# `run.py import` of 10,000, 100,000 and 1M orders into an empty table, into a table of as
# many contacts, and more (about ten minutes; `make bench` ends with it too).
IMPORT_BENCH_ORDERS ?= 10000 100000 1000000
bench-import: install
	$(BIN)/python -m bench.import_bench --orders $(IMPORT_BENCH_ORDERS)
