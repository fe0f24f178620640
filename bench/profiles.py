"""How big and how long: the full benchmark and the smoke run CI can afford."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Profile:
    name: str
    # Contacts in ordinary customers of the main table (the scaling clusters come on top).
    mix_contacts: int
    # Contacts of the small table, compared with the main one for the cost of table size.
    small_table_contacts: int
    # Sizes of the extra clusters whose identify latency is measured one request at a time.
    scale_sizes: tuple[int, ...]
    connections: tuple[int, ...]
    warmup_seconds: int
    load_seconds: int
    pgbench_seconds: int
    http_ceiling_seconds: int
    # Sequential requests per latency measurement (p99 needs a few hundred).
    sequential_requests: int


FULL = Profile(
    name="full",
    mix_contacts=1_000_000,
    small_table_contacts=10_000,
    scale_sizes=(1, 10, 100, 1_000, 10_000),
    connections=(16, 64),
    warmup_seconds=5,
    load_seconds=20,
    pgbench_seconds=20,
    http_ceiling_seconds=10,
    sequential_requests=300,
)

SMOKE = Profile(
    name="smoke",
    mix_contacts=5_000,
    small_table_contacts=1_000,
    scale_sizes=(1, 10, 100),
    connections=(16, 64),
    warmup_seconds=1,
    load_seconds=2,
    pgbench_seconds=2,
    http_ceiling_seconds=1,
    sequential_requests=20,
)
