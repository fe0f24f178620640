# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: install run migrate check test bench bench-smoke clean

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
# embedded PostgreSQL when none is set, and writes docs/benchmarks.md. BENCH_BASELINE is the
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

# The same pipeline on a small table in seconds, for CI: it must run and print numbers.
bench-smoke: install
	$(BIN)/python -m bench --smoke
