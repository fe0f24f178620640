"""`python -m bench [--smoke]`: seed, load, compare with the ceilings, write the report.

Everything it starts (service processes, the HTTP-ceiling app, an embedded PostgreSQL)
is stopped when it ends, on failure too; the bench databases are dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
import time
from pathlib import Path

from . import load, pgbench_ceiling, postgres, report, scaling, seed, service_process, tools
from .profiles import FULL, SMOKE, Profile
from .round_trips import count_round_trips

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
# run.py check reads every contact with recursive queries: seconds on 10k contacts, minutes
# on a million. The seed is deterministic, so checking the small tables checks the recipe.
CHECK_UP_TO_CONTACTS = 100_000


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # A SIGTERM (timeout, CI) must still stop the service and drop the databases: make it
    # an exception so that every `finally` runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    profile = SMOKE if args.smoke else FULL
    project_dir = Path(args.project).resolve()
    report_path = Path(args.report) if args.report else (
        RESULTS_DIR / "smoke.md" if args.smoke else project_dir / "docs" / "benchmarks.md")
    extra_env = dict(pair.split("=", 1) for pair in args.service_env)
    started = time.monotonic()
    results = run(profile, project_dir, extra_env=extra_env, load_only=args.load_only)
    results["command"] = args.command_line or ("make bench-smoke" if args.smoke else "make bench")
    results["bench_seconds"] = round(time.monotonic() - started)
    section = report.render(results)
    print(section)
    report.write(report_path, section)
    print(f"report written to {report_path}")
    return 0


def run(profile: Profile, project_dir: Path, *, extra_env: dict[str, str], load_only: bool) -> dict:
    wrk = tools.ensure_wrk()
    pgbench = tools.pgbench_path()
    tags = load.RunTags()
    logs = RESULTS_DIR / "logs"
    results: dict = {"profile": profile, "service_env": extra_env, "machine": report.machine(project_dir),
                     "tools": {"wrk": tools.wrk_version(wrk), "pgbench": pgbench}}
    with postgres.postgres_server(project_dir) as server_url:
        main_url = postgres.database_url(server_url, postgres.MAIN_DATABASE)
        small_url = postgres.database_url(server_url, postgres.SMALL_DATABASE)
        try:
            results["postgres"] = asyncio.run(postgres.server_version(server_url))
            results["embedded"] = "DATABASE_URL" not in os.environ
            _step("seeding the main table")
            main_table = _fresh_table(project_dir, server_url, postgres.MAIN_DATABASE, profile.mix_contacts,
                                      profile.scale_sizes)
            results["main_table"] = main_table
            if main_table.contacts <= CHECK_UP_TO_CONTACTS:
                results["main_table_clean"] = seed.check(project_dir, main_url)
            customers = main_table.mix_customers
            if not load_only:
                _step("the small table")
                small_table = _fresh_table(project_dir, server_url, postgres.SMALL_DATABASE,
                                           profile.small_table_contacts, ())
                results["small_table"] = small_table
                results["small_table_clean"] = seed.check(project_dir, small_url)
                _step("counting statements and round trips per request kind")
                # Before any load: the customers used here must not have been merged yet.
                results["costs"] = asyncio.run(count_round_trips(main_url, first_customer=customers // 2,
                                                                 tag=tags.next()))
            worker_counts = [1]
            if service_process.supports_workers(project_dir):
                worker_counts.append(os.cpu_count() or 1)
            results["worker_counts"] = worker_counts
            results["loads"], results["peak_rss_mb"] = {}, {}
            for workers in worker_counts:
                with service_process.running_service(
                    project_dir, main_url, workers=workers, log_path=logs / f"service-{workers}w.log",
                    extra_env=extra_env,
                ) as (port, process):
                    if workers == 1 and not load_only:
                        # One request at a time, before the load has written anything, on both
                        # tables under the same conditions.
                        _step("latency by cluster size and by table size, one request at a time")
                        results["by_cluster"] = scaling.by_cluster_size(port, profile.scale_sizes,
                                                                        profile.sequential_requests)
                        results["by_table"] = _by_table_size(project_dir, small_url, results["small_table"],
                                                             logs, extra_env, profile, tags)
                        results["by_table"] += scaling.by_table_size(
                            port, f"{main_table.contacts:,} contacts", customers, profile.sequential_requests,
                            tags.next())
                    with service_process.PeakMemory(process) as memory:
                        _step(f"{workers} worker(s): warm-up, then the mix at {profile.connections} connections")
                        load.run_wrk(wrk, port, connections=profile.connections[0], seconds=profile.warmup_seconds,
                                     customers=customers, run_tag=tags.next())
                        for connections in profile.connections:
                            cpu_before = service_process.cpu_seconds(process)
                            result = load.run_wrk(
                                wrk, port, connections=connections, seconds=profile.load_seconds,
                                customers=customers, run_tag=tags.next())
                            cpu_ms = (service_process.cpu_seconds(process) - cpu_before) * 1000
                            results["loads"][(workers, connections)] = dataclasses.replace(
                                result, service_cpu_ms_per_request=round(cpu_ms / max(result.requests, 1), 3))
                    results["peak_rss_mb"][workers] = memory.serving_processes_peak_mb(workers)
            if load_only:
                return results
            _step("pgbench ceiling: the sql/ files in the same mix")
            scripts = pgbench_ceiling.write_scripts(project_dir / "sql", RESULTS_DIR / "pgbench")
            results["pgbench"] = {
                connections: pgbench_ceiling.run_pgbench(
                    pgbench, main_url, scripts, clients=connections, seconds=profile.pgbench_seconds,
                    customers=customers, run_tag=tags.next())
                for connections in profile.connections
            }
            _step("HTTP ceiling: aiohttp without a database")
            results["http_ceiling"] = _http_ceiling(wrk, profile, customers, tags)
            return results
        finally:
            for database in postgres.BENCH_DATABASES:
                asyncio.run(postgres.drop_database(server_url, database))


def _fresh_table(project_dir: Path, server_url: str, database: str, contacts: int, scale_sizes: tuple[int, ...]):
    asyncio.run(postgres.recreate_database(server_url, database))
    url = postgres.database_url(server_url, database)
    seed.migrate(project_dir, url)
    return asyncio.run(seed.seed(url, contacts, scale_sizes))


def _by_table_size(project_dir: Path, small_url: str, small_table, logs: Path, extra_env: dict[str, str],
                   profile: Profile, tags: load.RunTags) -> list:
    with service_process.running_service(project_dir, small_url, workers=1, log_path=logs / "service-small.log",
                                         extra_env=extra_env) as (port, _):
        return scaling.by_table_size(port, f"{small_table.contacts:,} contacts", small_table.mix_customers,
                                     profile.sequential_requests, tags.next())


def _http_ceiling(wrk: str, profile: Profile, customers: int, tags: load.RunTags) -> dict:
    port = service_process.free_port()
    command = [sys.executable, "-m", "bench.http_ceiling", str(port)]
    with service_process.running_process(command, cwd=BENCH_DIR.parent, env=dict(os.environ), port=port,
                                         log_path=RESULTS_DIR / "logs" / "http-ceiling.log"):
        load.run_wrk(wrk, port, connections=profile.connections[0], seconds=profile.warmup_seconds,
                     customers=customers, run_tag=tags.next())
        return {
            connections: load.run_wrk(wrk, port, connections=connections, seconds=profile.http_ceiling_seconds,
                                      customers=customers, run_tag=tags.next())
            for connections in profile.connections
        }


def _step(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small table, seconds per step (CI)")
    parser.add_argument("--project", default=str(BENCH_DIR.parent),
                        help="checkout whose run.py and sql/ to bench (default: this one)")
    parser.add_argument("--report", help="markdown file to write (default: docs/benchmarks.md, "
                                         "or bench/results/smoke.md with --smoke)")
    parser.add_argument("--load-only", action="store_true",
                        help="only seed and the wrk mix (for A/B runs of a service change)")
    parser.add_argument("--service-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for the service, e.g. LOG_LEVEL=WARNING")
    parser.add_argument("--command-line", help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    sys.exit(main())
