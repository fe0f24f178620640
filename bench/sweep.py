"""The table-size sweep: what a deployment goes through, from an empty database up to the main table.

For every state of the table (a fresh database that only the mix grows, then each seeded
size) and every checkout under test (this one, and with --baseline the one it is compared
with, each on its own copy of the same data, kept until the bench ends), `run.py serve` with
one worker per core runs the mix under wrk at each connection count, after a warm-up; on a
fresh database this is what grows it, with plans made when the table was empty. The
service's CPU time per request and the peak RSS of its serving processes are read with
psutil while the mix runs.

Then one request at a time, on every table as its mix left it: repeat customers (each sent
once unmeasured, so that on the fresh database they exist), then new customers. A few
hundred sequential requests take a second or two, and a minute in which this shared
machine is slow would decide a comparison of tables measured minutes apart, so they are
measured in rounds that each visit every table and checkout (a service started again on
it), in an order reversed from one round to the next, and reported as medians.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import re
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from . import load, postgres, scaling, seed, service_process
from .profiles import Profile

FRESH = "fresh"


@dataclass
class StateRun:
    state: str
    project: str
    project_dir: Path
    # The database this state's mix left behind, and the customers its mix draws from.
    database: str
    customers: int
    contacts_after: int = 0
    mix: dict[int, load.LoadResult] = field(default_factory=dict)
    # One request at a time, each round of one_at_a_time_rounds.
    repeat_rounds: list[scaling.Latency] = field(default_factory=list)
    new_rounds: list[scaling.Latency] = field(default_factory=list)
    peak_rss_mb: list[float] = field(default_factory=list)

    @property
    def repeat(self) -> scaling.Latency:
        return _median_over_rounds(self.repeat_rounds)

    @property
    def new(self) -> scaling.Latency:
        return _median_over_rounds(self.new_rounds)


def state_label(contacts: int | None) -> str:
    return FRESH if contacts is None else f"{contacts:,} contacts"


def run_state(profile: Profile, *, wrk: str, server_url: str, state: str, template: str | None,
              customers: int, projects: dict[str, Path], tags: load.RunTags, logs: Path) -> list[StateRun]:
    runs = []
    for name, project in projects.items():
        run = StateRun(state, name, project, database=_words(postgres.WORK_DATABASE, state, name, separator="_"),
                       customers=customers)
        # PostgreSQL cuts longer names, and two cut names could meet.
        assert len(run.database.encode()) <= 63, f"database name too long: {run.database}"
        with serving_copy(project, server_url, template, database=run.database,
                          log_path=log_file(logs, "sweep", state, name)) as (port, process, url):
            with service_process.PeakMemory(process) as memory:
                load.run_wrk(wrk, port, connections=profile.connections[0], seconds=profile.warmup_seconds,
                             customers=customers, run_tag=tags.next())
                for connections in profile.connections:
                    cpu_before = service_process.cpu_seconds(process)
                    result = load.run_wrk(wrk, port, connections=connections, seconds=profile.load_seconds,
                                          customers=customers, run_tag=tags.next())
                    cpu_ms = (service_process.cpu_seconds(process) - cpu_before) * 1000
                    run.mix[connections] = dataclasses.replace(
                        result, service_cpu_ms_per_request=round(cpu_ms / max(result.requests, 1), 3))
            run.peak_rss_mb = memory.serving_processes_peak_mb(serving_workers())
            run.contacts_after = asyncio.run(seed.count_contacts(url))
        runs.append(run)
    return runs


def one_at_a_time_rounds(profile: Profile, runs: list[StateRun], *, server_url: str, tags: load.RunTags,
                         logs: Path) -> None:
    """Fill in every run's repeat and new latencies: profile.sequential_rounds rounds over all of
    them, each on its own database as its mix left it."""
    for number in range(profile.sequential_rounds):
        for run in in_turn(runs, number):
            url = postgres.database_url(server_url, run.database)
            with service_process.running_service(
                    run.project_dir, url, workers=serving_workers(),
                    log_path=log_file(logs, "one at a time", run.state, run.project)) as (port, _):
                repeat, new = one_at_a_time(port, run.customers, profile.sequential_requests, tags.next())
            run.repeat_rounds.append(repeat)
            run.new_rounds.append(new)


@contextmanager
def serving_copy(project: Path, server_url: str, template: str | None, *, log_path: Path,
                 database: str = postgres.WORK_DATABASE) -> Iterator[tuple[int, psutil.Process, str]]:
    """(port, process, database URL): `project`'s `run.py serve`, one worker per core, on a new
    copy of `template` (an empty database for None), `database`, migrated by the checkout itself."""
    asyncio.run(postgres.recreate_database(server_url, database, template=template))
    url = postgres.database_url(server_url, database)
    seed.migrate(project, url)
    with service_process.running_service(project, url, workers=serving_workers(), log_path=log_path) as (
            port, process):
        yield port, process, url


def serving_workers() -> int:
    return len(os.sched_getaffinity(0))


def in_turn(items: list, number: int) -> list:
    """`items` in order for round 0, reversed for round 1, and so on: so that drift of the
    machine during a round favours neither end."""
    return items[::-1] if number % 2 else items


def log_file(logs: Path, *words: str) -> Path:
    """logs/<words as one lower-case, dash-separated name>.log"""
    return logs / (_words(*words, separator="-") + ".log")


def _words(*words: str, separator: str) -> str:
    return re.sub(r"[^0-9a-z]+", separator, " ".join(words).lower()).strip(separator)


def one_at_a_time(port: int, customers: int, requests: int, run_tag: int) -> tuple[scaling.Latency, scaling.Latency]:
    draw = random.Random(run_tag)
    repeat = [dict(zip(("email", "phoneNumber"), scaling.known_pair(draw.randint(1, customers)), strict=True))
              for _ in range(requests)]
    new = [{"email": f"s{run_tag}.{i}@new.bench.test", "phoneNumber": f"6{run_tag:09d}{i:06d}"}
           for i in range(requests)]
    scaling.measure(port, "warm-up: every repeat customer once", repeat, blocked_customers=True)
    return (scaling.measure(port, "repeat customer", repeat, blocked_customers=True),
            scaling.measure(port, "new customer", new))


def _median_over_rounds(rounds: list[scaling.Latency]) -> scaling.Latency:
    """p50 and p99 each the median of the rounds' values."""
    return scaling.Latency(
        rounds[-1].label, sum(x.requests for x in rounds), statistics.median(x.p50_ms for x in rounds),
        statistics.median(x.p99_ms for x in rounds), rounds[-1].contacts_answered)
