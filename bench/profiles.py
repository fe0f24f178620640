"""How big and how long: the full benchmark and the smoke run CI can afford."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    # Seeded table sizes of the sweep, after the fresh database grown by the mix alone. The
    # largest is also the main table: it gets the scaling clusters and the ceilings.
    table_sizes: tuple[int, ...]
    # Customers the mix draws repeat customers from on the fresh database (it creates them).
    fresh_customers: int
    # Sizes of the extra clusters whose identify latency is measured one request at a time.
    scale_sizes: tuple[int, ...]
    connections: tuple[int, ...]
    warmup_seconds: int
    load_seconds: int
    # Fixed request rates of the open-loop runs, on the main table: each checkout is measured
    # in every round (a new copy of the table, a new service), after a warm-up at the lowest rate.
    open_loop_rates: tuple[int, ...]
    open_loop_rounds: int
    open_loop_warmup_seconds: int
    open_loop_seconds: int
    # The long mix over a small customer base, in windows, each followed by a look at the
    # largest customer.
    long_mix_customers: int
    long_mix_windows: int
    long_mix_window_seconds: int
    pgbench_seconds: int
    http_ceiling_seconds: int
    # Sequential requests per latency measurement (p99 needs a few hundred), and the rounds
    # of such measurements over every table of the sweep.
    sequential_requests: int
    sequential_rounds: int


FULL = Profile(
    name="full",
    table_sizes=(10_000, 50_000, 200_000, 1_000_000),
    fresh_customers=10_000,
    scale_sizes=(1, 10, 100, 1_000, 10_000),
    connections=(16, 64),
    warmup_seconds=3,
    load_seconds=10,
    open_loop_rates=(500, 1_000),
    open_loop_rounds=3,
    open_loop_warmup_seconds=5,
    open_loop_seconds=10,
    long_mix_customers=200,
    long_mix_windows=12,
    long_mix_window_seconds=5,
    pgbench_seconds=10,
    http_ceiling_seconds=10,
    sequential_requests=300,
    sequential_rounds=3,
)

SMOKE = Profile(
    name="smoke",
    table_sizes=(1_000, 5_000),
    fresh_customers=1_000,
    scale_sizes=(1, 10, 100),
    connections=(16, 64),
    warmup_seconds=1,
    load_seconds=2,
    open_loop_rates=(200,),
    open_loop_rounds=1,
    open_loop_warmup_seconds=1,
    open_loop_seconds=2,
    long_mix_customers=50,
    long_mix_windows=2,
    long_mix_window_seconds=1,
    pgbench_seconds=2,
    http_ceiling_seconds=1,
    sequential_requests=20,
    sequential_rounds=2,
)
