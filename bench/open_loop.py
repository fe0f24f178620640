"""Latency at fixed request rates (open loop) on the main table, in rounds.

Of every number the bench reports, a p99 at a fixed rate moves most between two runs of
the same build on this shared 2-core machine: four back-to-back runs of one build at 1,000
requests/s measured p99s of 10 to 52 ms, with p50s of 1.6 to 2.8 ms. One run per
checkout would make the A/B a coin toss, so it is measured in rounds: in every round each
checkout gets a new copy of the main table and a newly started `run.py serve` (one worker
per core), in an order swapped from one round to the next, and the report takes the
median over the rounds. Each run first sends the mix for a while at the lowest rate, so
that what is measured is the service at that rate, not its first seconds (a worker's first
requests prepare statements and fill caches) or the aftermath of another load.
In the first round, the checkout under test also gets the mix at the highest rate taken
apart: its repeat customers alone, then its writes alone, each at the rate it has inside
the mix, to show which of them the tail comes from.
wrk is closed-loop; paced_mix.lua turns it into an open loop (see there).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from . import load
from .profiles import Profile
from .sweep import in_turn, log_file, serving_copy


# (what, its rolls in mix.lua, its share of the mix's requests)
MIX_PARTS = (
    ("repeat customers only", (1, 60), 0.6),
    ("writes only (new customers, new information, bridges)", (61, 100), 0.4),
)


@dataclass(frozen=True)
class Part:
    label: str
    rate: int
    result: load.LoadResult


@dataclass(frozen=True)
class RoundRun:
    project: str
    round: int
    by_rate: dict[int, load.LoadResult]


@dataclass(frozen=True)
class Summary:
    """One checkout at one rate over every round: medians, and the p99 of each round."""
    project: str
    rate: int
    rounds: int
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p99_by_round_ms: tuple[float, ...]
    max_ms: float
    failed: int


def run(profile: Profile, *, wrk: str, server_url: str, template: str, customers: int,
        projects: dict[str, Path], tags: load.RunTags, logs: Path) -> tuple[list[RoundRun], list[Part]]:
    """Every round of every checkout, and the parts of the mix (the first checkout's)."""
    runs, parts = [], []
    connections, top_rate = profile.connections[-1], max(profile.open_loop_rates)
    under_test = next(iter(projects))
    for number in range(1, profile.open_loop_rounds + 1):
        for name, project in in_turn(list(projects.items()), number - 1):
            with serving_copy(project, server_url, template,
                              log_path=log_file(logs, "open loop round", str(number), name)) as (port, _, _):
                load.run_wrk(wrk, port, connections=connections, seconds=profile.open_loop_warmup_seconds,
                             customers=customers, run_tag=tags.next(), rate=min(profile.open_loop_rates))
                by_rate = {
                    rate: load.run_wrk(wrk, port, connections=connections, seconds=profile.open_loop_seconds,
                                       customers=customers, run_tag=tags.next(), rate=rate)
                    for rate in profile.open_loop_rates
                }
                if number == 1 and name == under_test:
                    for label, rolls, share in MIX_PARTS:
                        rate = max(1, round(top_rate * share))
                        parts.append(Part(label, rate, load.run_wrk(
                            wrk, port, connections=connections, seconds=profile.open_loop_seconds,
                            customers=customers, run_tag=tags.next(), rate=rate, rolls=rolls)))
            runs.append(RoundRun(name, number, by_rate))
    return runs, parts


def summarize(runs: list[RoundRun]) -> list[Summary]:
    summaries = []
    for project in dict.fromkeys(r.project for r in runs):
        mine = [r for r in runs if r.project == project]
        for rate in mine[0].by_rate:
            results = [r.by_rate[rate] for r in mine]
            summaries.append(Summary(
                project=project, rate=rate, rounds=len(results),
                requests_per_second=statistics.median(x.requests_per_second for x in results),
                p50_ms=statistics.median(x.p50_ms for x in results),
                p90_ms=statistics.median(x.p90_ms for x in results),
                p99_ms=statistics.median(x.p99_ms for x in results),
                p99_by_round_ms=tuple(x.p99_ms for x in results),
                max_ms=statistics.median(x.max_ms for x in results),
                failed=sum(x.failed for x in results),
            ))
    return summaries
