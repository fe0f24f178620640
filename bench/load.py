"""Runs wrk with mix.lua against a server and reads back what done() printed."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MIX_SCRIPT = Path(__file__).with_name("mix.lua")
PACED_MIX_SCRIPT = Path(__file__).with_name("paced_mix.lua")
WRK_THREADS = 2  # one per core; more only adds context switches on this machine


@dataclass(frozen=True)
class LoadResult:
    connections: int
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    requests: int
    # CPU time the service spent per request, when measured: steadier than req/s on a
    # shared machine, and what an event loop or JSON library change can move.
    service_cpu_ms_per_request: float | None = None

    @property
    def failed(self) -> int:
        """Answers that were not 2xx, and requests lost to socket errors."""
        return self.non_2xx + self.socket_errors


class RunTags:
    """Distinct 9-digit tags for every wrk or pgbench run, so new values never repeat."""

    def __init__(self) -> None:
        self._base = int(time.time()) % 10**7 * 100
        self._count = 0

    def next(self) -> int:
        self._count += 1
        return self._base + self._count % 100


def run_wrk(wrk: str, port: int, *, connections: int, seconds: int, customers: int, run_tag: int,
            rate: int | None = None, rolls: tuple[int, int] = (1, 100)) -> LoadResult:
    """The mix as fast as `connections` allow (closed loop), or at `rate` requests/s in all
    (open loop, paced_mix.lua); only its kinds whose rolls are in `rolls` (see mix.lua)."""
    threads = min(WRK_THREADS, connections)
    script, arguments = MIX_SCRIPT, [str(customers), str(run_tag)]
    if rate is not None:
        script, arguments = PACED_MIX_SCRIPT, [*arguments, str(rate), str(threads)]
    command = [
        wrk, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
        "-s", str(script), f"http://127.0.0.1:{port}/identify", "--", *arguments,
    ]
    env = {**os.environ, "BENCH_MIX_LUA": str(MIX_SCRIPT), "BENCH_MIX_ROLLS": "-".join(map(str, rolls))}
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, env=env)
    lines = [line for line in result.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stdout[-1000:]} {result.stderr[-1000:]}")
    numbers = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    return LoadResult(
        connections=connections,
        requests_per_second=round(numbers["requests"] / (numbers["duration_us"] / 1e6), 1),
        p50_ms=numbers["p50_us"] / 1000,
        p90_ms=numbers["p90_us"] / 1000,
        p99_ms=numbers["p99_us"] / 1000,
        max_ms=numbers["max_us"] / 1000,
        non_2xx=numbers["non_2xx"],
        socket_errors=numbers["socket_errors"],
        requests=numbers["requests"],
    )
