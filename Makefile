# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run migrate check test bench bench-smoke bench-import clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python run.py serve

migrate: install
	$(BIN)/python run.py migrate

check: install
	$(BIN)/python run.py check

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache

# The benchmark suite (bench/): seeds its own databases on DATABASE_URL's server, or on an
# embedded PostgreSQL when none is set, and writes docs/benchmarks.md.
bench: install
	$(BIN)/python -m bench

# The same pipeline on a small table in seconds, for CI: it must run and print numbers.
bench-smoke: install
	$(BIN)/python -m bench --smoke

# `run.py import` of 1M orders into an empty and into a 1M-contact table (a few minutes).
bench-import: install
	$(BIN)/python -m bench.import_bench
