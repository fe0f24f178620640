"""Serving: the app in this process, or in N worker processes that share the port.

With several workers, this process is their parent and serves nothing itself. It
resolves the database once (the configured one, or the embedded PostgreSQL, which it
starts and later stops), applies the migrations once, then runs the workers: each is
`python -m service.worker` (service/worker.py), the same app as a single process with a
pool of its own, told the database's URL through `DATABASE_URL` so that none starts an
embedded server.

The workers share the port through SO_REUSEPORT, each binding a listening socket of its
own, rather than through one socket bound here and inherited. With one shared socket,
every idle worker wakes up for each new connection and asyncio accepts up to a whole
backlog at a time, so a burst of connections (a load balancer's pool, a benchmark's
keep-alive connections) can all land on one worker. With SO_REUSEPORT, Linux spreads
connections across the workers' sockets by a hash of their addresses (other systems may
not). The cost: any process of the same user may join the port, so a second service
started by mistake would silently take part of the traffic; the parent refuses to start
when the port is already in use.

A worker that dies unexpectedly is restarted, after a delay that doubles (1 s up to
30 s) while its replacements keep dying within 30 s, so a crash loop (the database
unreachable at start-up, say) neither spins nor stops the other workers, which go on
serving. SIGTERM or SIGINT (Ctrl-C) to the parent sends one SIGTERM to each worker,
waits for them (each finishes its requests in flight), kills any still running after
30 s, stops the embedded PostgreSQL if it started one, and exits 0 (1 if a worker had
to be killed). A worker whose parent disappears stops by itself.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import tempfile

import psycopg
from prometheus_client.multiprocess import mark_process_dead

from .app import create_app
from .config import Settings
from .db import database
from .event_loop import use_uvloop
from .http_server import run_app
from .layout import IMPORT_DIR
from .migrations import apply_migrations
from .sql import Statements

log = logging.getLogger(__name__)

# A worker's requests are bounded by REQUEST_DEADLINE_MS; one still running after this
# long is stuck, not busy. Well above SHUTDOWN_TIMEOUT_SECONDS (service/http_server.py),
# so a worker is never killed mid-shutdown.
WORKER_STOP_TIMEOUT_SECONDS = 30
FIRST_RESTART_DELAY_SECONDS = 1
LONGEST_RESTART_DELAY_SECONDS = 30
# A worker that ran at least this long before dying was healthy: its replacement starts
# after the first delay again.
HEALTHY_RUN_SECONDS = 30


def serve(settings: Settings) -> int:
    """Serve with `settings.workers` processes until SIGINT or SIGTERM; returns the exit status.
    One worker is this process itself, with no parent in between."""
    use_uvloop()
    if settings.workers == 1:
        status = serve_in_this_process(settings)
    else:
        status = asyncio.run(serve_with_workers(settings))
    log.info("service stopped (exit status %d)", status)
    return status


def serve_in_this_process(settings: Settings) -> int:
    """The app on HOST:PORT in this process, which finds or starts the database itself."""
    run_app(create_app(settings), settings,
            announce=lambda: log.info("serving on http://%s:%s (Ctrl-C stops)", settings.host, settings.port))
    return 0


async def serve_with_workers(settings: Settings) -> int:
    workers = settings.workers
    if settings.port == 0:
        log.error("PORT=0 would give each of the %d workers a different port: set PORT, or use one worker", workers)
        return 2
    try:
        ensure_port_is_free(settings.host, settings.port)
    except OSError as error:
        log.error("cannot serve on %s:%s: %s", settings.host, settings.port, error)
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with database(settings) as database_url:
        statements = Statements.load()
        await asyncio.to_thread(apply_migrations, database_url, statements)
        await asyncio.to_thread(warn_if_pools_may_exceed_the_connection_limit, database_url, statements, settings)
        # Every worker keeps its metrics in files here, so that /metrics, whichever worker
        # answers it, adds up all of them (prometheus-client's multiprocess mode).
        with tempfile.TemporaryDirectory(prefix="identity-metrics-") as metrics_dir:
            environment = {**os.environ, "DATABASE_URL": database_url, "PROMETHEUS_MULTIPROC_DIR": metrics_dir}
            listening = [asyncio.Event() for _ in range(workers)]
            announcement = asyncio.ensure_future(announce_when_every_worker_listens(settings, listening))
            stopped_cleanly = await asyncio.gather(
                *(keep_worker_running(number, environment, stop, listening[number - 1])
                  for number in range(1, workers + 1))
            )
            announcement.cancel()
    return 0 if all(stopped_cleanly) else 1


async def announce_when_every_worker_listens(settings: Settings, listening: list[asyncio.Event]) -> None:
    for worker_listens in listening:
        await worker_listens.wait()
    log.info("serving on http://%s:%s with %d workers (Ctrl-C stops)", settings.host, settings.port, len(listening))


def warn_if_pools_may_exceed_the_connection_limit(database_url: str, statements: Statements,
                                                   settings: Settings) -> None:
    """One worker per CPU on a big machine can ask for more connections than PostgreSQL
    allows; the pools would then fail to grow under load, as 503s."""
    with psycopg.connect(database_url) as connection:
        (limit,) = connection.execute(statements.connection_limit.text).fetchone()
    wanted = settings.workers * settings.pool_max_size
    if wanted > limit:
        log.warning("%d workers × DB_POOL_MAX_SIZE %d = %d connections, more than the %d PostgreSQL allows "
                    "(max_connections less superuser_reserved_connections): lower WORKERS or DB_POOL_MAX_SIZE, "
                    "or raise max_connections", settings.workers, settings.pool_max_size, wanted, limit)


def ensure_port_is_free(host: str, port: int) -> None:
    """Raises OSError if anything listens on HOST:PORT, SO_REUSEPORT sockets included: a bind
    without SO_REUSEPORT fails against them, where the workers' binds would succeed."""
    for family, kind, protocol, _, address in socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        with socket.socket(family, kind, protocol) as probe:
            # As asyncio's servers do: a previous run's connections in TIME_WAIT do not count.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            probe.bind(address)


async def keep_worker_running(number: int, environment: dict[str, str], stop: asyncio.Event,
                              listening: asyncio.Event) -> bool:
    """Run worker `number` until `stop`, restarting it when it dies; returns whether it then
    stopped cleanly. `listening` is set when the worker first says it listens."""
    loop = asyncio.get_running_loop()
    quick_deaths = 0
    while not stop.is_set():
        started_at = loop.time()
        worker = await start_worker(environment)
        log.info("worker %d started: pid %d", number, worker.pid)
        exited = asyncio.ensure_future(wait_for_exit(worker, listening))
        stopping = asyncio.ensure_future(stop.wait())
        await asyncio.wait({exited, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not exited.done():
            return await stop_worker(number, worker, exited)
        worker.stdin.close()
        # Its connection gauges must stop counting; its counters stay in the totals.
        mark_process_dead(worker.pid, environment["PROMETHEUS_MULTIPROC_DIR"])
        quick_deaths = quick_deaths + 1 if loop.time() - started_at < HEALTHY_RUN_SECONDS else 0
        delay = min(FIRST_RESTART_DELAY_SECONDS * 2 ** max(quick_deaths - 1, 0), LONGEST_RESTART_DELAY_SECONDS)
        log.error("worker %d (pid %d) exited unexpectedly (%s); starting another in %d s",
                  number, worker.pid, describe_exit(worker.returncode), delay)
        try:
            await asyncio.wait_for(stop.wait(), delay)
        except TimeoutError:
            pass
    return True


async def wait_for_exit(worker: asyncio.subprocess.Process, listening: asyncio.Event) -> int:
    """The worker's exit status, once it has exited; sets `listening` when it says so on its
    standard output (service/worker.py), which stays silent after that."""
    if await worker.stdout.readline():
        listening.set()
    return await worker.wait()


async def start_worker(environment: dict[str, str]) -> asyncio.subprocess.Process:
    # stdin is the worker's lifeline: it reads end-of-file when this process is gone,
    # however it went. cwd makes `-m service.worker` importable wherever the service was started,
    # from a checkout, a virtualenv or the .pyz (whose packages are unpacked in one folder).
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "service.worker", cwd=IMPORT_DIR, env=environment,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )


async def stop_worker(number: int, worker: asyncio.subprocess.Process, exited: asyncio.Future) -> bool:
    try:
        worker.send_signal(signal.SIGTERM)
    except ProcessLookupError:  # it died just now; wait() below collects it
        pass
    try:
        await asyncio.wait_for(asyncio.shield(exited), WORKER_STOP_TIMEOUT_SECONDS)
    except TimeoutError:
        log.error("worker %d (pid %d) still running %d s after SIGTERM: killing it",
                  number, worker.pid, WORKER_STOP_TIMEOUT_SECONDS)
        worker.kill()
        await exited
    worker.stdin.close()
    # Killed by our SIGTERM: it was still starting, before its handler, so nothing was in flight.
    if worker.returncode in (0, -signal.SIGTERM):
        return True
    log.error("worker %d (pid %d) stopped badly (%s)", number, worker.pid, describe_exit(worker.returncode))
    return False


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        return f"killed by {signal.Signals(-returncode).name}"
    return f"exit status {returncode}"
