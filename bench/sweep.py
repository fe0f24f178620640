"""The table-size sweep: what a deployment goes through, from an empty database up to the main table.

For every state of the table (a fresh database that only the mix grows, then each seeded
size) and every checkout under test (this one, and with --baseline the one it is compared
with, each on its own copy of the same data), `run.py serve` with one worker per core:
  1. the mix under wrk at each connection count, after a warm-up; on a fresh database this
     is what grows it, with plans made when the table was empty;
  2. one request at a time: repeat customers (each sent once unmeasured, so that on the
     fresh database they exist), then new customers.
The service's CPU time per request and the peak RSS of its serving processes are read
with psutil while the mix runs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import re
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
    contacts_after: int = 0
    mix: dict[int, load.LoadResult] = field(default_factory=dict)
    repeat: scaling.Latency | None = None
    new: scaling.Latency | None = None
    peak_rss_mb: list[float] = field(default_factory=list)


def state_label(contacts: int | None) -> str:
    return FRESH if contacts is None else f"{contacts:,} contacts"


def run_state(profile: Profile, *, wrk: str, server_url: str, state: str, template: str | None,
              customers: int, projects: dict[str, Path], tags: load.RunTags, logs: Path) -> list[StateRun]:
    runs = []
    for name, project in projects.items():
        run = StateRun(state, name)
        with serving_copy(project, server_url, template, log_path=log_file(logs, "sweep", state, name)) as (
                port, process, url):
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
            run.repeat, run.new = one_at_a_time(port, customers, profile.sequential_requests, tags.next())
            run.contacts_after = asyncio.run(seed.count_contacts(url))
        runs.append(run)
    return runs


@contextmanager
def serving_copy(project: Path, server_url: str, template: str | None, *,
                 log_path: Path) -> Iterator[tuple[int, psutil.Process, str]]:
    """(port, process, database URL): `project`'s `run.py serve`, one worker per core, on a new
    copy of `template` (an empty database for None) migrated by the checkout itself."""
    asyncio.run(postgres.recreate_database(server_url, postgres.WORK_DATABASE, template=template))
    url = postgres.database_url(server_url, postgres.WORK_DATABASE)
    seed.migrate(project, url)
    with service_process.running_service(project, url, workers=serving_workers(), log_path=log_path) as (
            port, process):
        yield port, process, url


def serving_workers() -> int:
    return len(os.sched_getaffinity(0))


def log_file(logs: Path, *words: str) -> Path:
    """logs/<words as one lower-case, dash-separated name>.log"""
    return logs / (re.sub(r"[^0-9a-z]+", "-", " ".join(words).lower()).strip("-") + ".log")


def one_at_a_time(port: int, customers: int, requests: int, run_tag: int) -> tuple[scaling.Latency, scaling.Latency]:
    draw = random.Random(run_tag)
    repeat = [dict(zip(("email", "phoneNumber"), scaling.known_pair(draw.randint(1, customers)), strict=True))
              for _ in range(requests)]
    new = [{"email": f"s{run_tag}.{i}@new.bench.test", "phoneNumber": f"6{run_tag:09d}{i:06d}"}
           for i in range(requests)]
    scaling.measure(port, "warm-up: every repeat customer once", repeat)
    return scaling.measure(port, "repeat customer", repeat), scaling.measure(port, "new customer", new)
