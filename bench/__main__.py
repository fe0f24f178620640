"""`python -m bench [--smoke] [--baseline DIR]`: seed, sweep, load, compare, write the report.

Everything it starts (service processes, the HTTP-ceiling app, an embedded PostgreSQL)
is stopped when it ends, on failure too; the bench databases are dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import long_mix, open_loop, pgbench_ceiling, postgres, report, scaling, seed, service_process, sweep, tools
from .load import RunTags, run_wrk
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
    baseline_dir = Path(args.baseline).resolve() if args.baseline else None
    report_path = Path(args.report) if args.report else (
        RESULTS_DIR / "smoke.md" if args.smoke else project_dir / "docs" / "benchmarks.md")
    started = time.monotonic()
    results = run(profile, project_dir, baseline_dir)
    results["command"] = args.command_line or ("make bench-smoke" if args.smoke else "make bench")
    results["bench_seconds"] = round(time.monotonic() - started)
    section = report.render(results)
    print(section)
    report.write(report_path, section)
    print(f"report written to {report_path}")
    return 0


def run(profile: Profile, project_dir: Path, baseline_dir: Path | None) -> dict:
    wrk = tools.ensure_wrk()
    pgbench = tools.pgbench_path()
    tags = RunTags()
    logs = RESULTS_DIR / "logs"
    projects = {_commit(project_dir): project_dir}
    if baseline_dir is not None:
        projects[_commit(baseline_dir) + " (baseline)"] = baseline_dir
    results: dict = {"profile": profile, "machine": report.machine(project_dir), "projects": list(projects),
                     "tools": {"wrk": tools.wrk_version(wrk), "pgbench": pgbench}}
    with postgres.postgres_server(project_dir) as server_url:
        work_url = postgres.database_url(server_url, postgres.WORK_DATABASE)
        try:
            results["postgres"] = asyncio.run(postgres.server_version(server_url))
            results["embedded"] = "DATABASE_URL" not in os.environ
            largest = max(profile.table_sizes)
            tables = {}
            for contacts in profile.table_sizes:
                _step(f"seeding {contacts:,} contacts")
                tables[contacts] = _seeded_template(project_dir, server_url, contacts,
                                                    profile.scale_sizes if contacts == largest else ())
            results["tables"] = tables
            results["tables_clean"] = {contacts: seed.check(project_dir, table.database_url)
                                       for contacts, table in tables.items() if contacts <= CHECK_UP_TO_CONTACTS}
            main_table = tables[largest]

            _step("the main table: cost per request, latency by cluster size, ceilings")
            asyncio.run(postgres.recreate_database(server_url, postgres.WORK_DATABASE,
                                                   template=postgres.template_database(largest)))
            seed.migrate(project_dir, work_url)
            # Before any load: the customers used here must not have been merged yet.
            results["costs"] = asyncio.run(count_round_trips(work_url, first_customer=main_table.mix_customers // 2,
                                                             tag=tags.next()))
            with service_process.running_service(project_dir, work_url, workers=1,
                                                 log_path=logs / "by-cluster.log") as (port, _):
                results["by_cluster"] = scaling.by_cluster_size(port, profile.scale_sizes, profile.sequential_requests)
            scripts = pgbench_ceiling.write_scripts(project_dir / "sql", RESULTS_DIR / "pgbench")
            results["pgbench"] = {
                connections: pgbench_ceiling.run_pgbench(
                    pgbench, work_url, scripts, clients=connections, seconds=profile.pgbench_seconds,
                    customers=main_table.mix_customers, run_tag=tags.next())
                for connections in profile.connections
            }
            results["http_ceiling"] = _http_ceiling(wrk, profile, main_table.mix_customers, tags)

            states = [(sweep.FRESH, None, profile.fresh_customers)] + [
                (sweep.state_label(contacts), postgres.template_database(contacts), table.mix_customers)
                for contacts, table in tables.items()
            ]
            results["sweep"] = []
            for number, (state, template, customers) in enumerate(states):
                _step(f"sweep: {state}")
                # Alternate which checkout goes first, so that drift of the machine favours neither.
                ordered = dict(sweep.in_turn(list(projects.items()), number))
                results["sweep"] += sweep.run_state(
                    profile, wrk=wrk, server_url=server_url, state=state, template=template, customers=customers,
                    projects=ordered, tags=tags, logs=logs)
            _step("one request at a time, in rounds over every table of the sweep")
            sweep.one_at_a_time_rounds(profile, results["sweep"], server_url=server_url, tags=tags, logs=logs)

            _step("open loop: the mix at fixed rates on the main table")
            rounds, results["open_loop_parts"] = open_loop.run(
                profile, wrk=wrk, server_url=server_url, template=postgres.template_database(largest),
                customers=main_table.mix_customers, projects=projects, tags=tags, logs=logs)
            results["open_loop"] = open_loop.summarize(rounds)

            _step("the long mix over a small customer base")
            results["long_mix"] = long_mix.run(profile, wrk=wrk, server_url=server_url, project=project_dir,
                                               tags=tags, logs=logs)
            return results
        finally:
            asyncio.run(postgres.drop_bench_databases(server_url))


def _seeded_template(project_dir: Path, server_url: str, contacts: int, scale_sizes: tuple[int, ...]):
    database = postgres.template_database(contacts)
    asyncio.run(postgres.recreate_database(server_url, database))
    url = postgres.database_url(server_url, database)
    seed.migrate(project_dir, url)
    return asyncio.run(seed.seed(url, contacts, scale_sizes))


def _http_ceiling(wrk: str, profile: Profile, customers: int, tags: RunTags) -> dict:
    port = service_process.free_port()
    command = [sys.executable, "-m", "bench.http_ceiling", str(port)]
    with service_process.running_process(command, cwd=BENCH_DIR.parent, env=dict(os.environ), port=port,
                                         log_path=RESULTS_DIR / "logs" / "http-ceiling.log"):
        run_wrk(wrk, port, connections=profile.connections[0], seconds=profile.warmup_seconds,
                customers=customers, run_tag=tags.next())
        return {
            connections: run_wrk(wrk, port, connections=connections, seconds=profile.http_ceiling_seconds,
                                 customers=customers, run_tag=tags.next())
            for connections in profile.connections
        }


def _commit(project_dir: Path) -> str:
    result = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=project_dir, capture_output=True, text=True)
    return result.stdout.strip() or project_dir.name


def _step(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small tables, seconds per step (CI)")
    parser.add_argument("--project", default=str(BENCH_DIR.parent),
                        help="checkout whose run.py and sql/ to bench (default: this one)")
    parser.add_argument("--baseline", metavar="DIR",
                        help="another checkout (e.g. `git worktree add /tmp/base HEAD~3`) to run through the "
                             "same sweep, each on its own copy of the same data, for an A/B in one run")
    parser.add_argument("--report", help="markdown file to write (default: docs/benchmarks.md, "
                                         "or bench/results/smoke.md with --smoke)")
    parser.add_argument("--command-line", help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    sys.exit(main())
