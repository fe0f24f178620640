"""The long mix over a small customer base: bridges glue customers together as time goes on,
until most requests land on one giant customer. How does latency grow with it?

A fresh database, `run.py serve`, and the mix drawing repeat customers from only a few
hundred; after each window of load, the size of the largest customer.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from . import load, seed
from .profiles import Profile
from .sweep import serving_copy


@dataclass(frozen=True)
class Window:
    seconds_from_start: int
    largest_customer: int
    result: load.LoadResult


def run(profile: Profile, *, wrk: str, server_url: str, project: Path, tags: load.RunTags, logs: Path) -> list[Window]:
    windows = []
    with serving_copy(project, server_url, None, log_path=logs / "long-mix.log") as (port, _, url):
        for number in range(1, profile.long_mix_windows + 1):
            result = load.run_wrk(wrk, port, connections=profile.connections[0],
                                  seconds=profile.long_mix_window_seconds,
                                  customers=profile.long_mix_customers, run_tag=tags.next())
            windows.append(Window(number * profile.long_mix_window_seconds,
                                  asyncio.run(seed.largest_customer(url)), result))
    return windows
