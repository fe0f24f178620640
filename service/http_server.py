"""Serving the app over HTTP, within limits no client can push it past.

Both ways of serving (one process, service/serve.py; or workers, service/worker.py) run
`run_app` here, so both apply the same limits:

- the soft limit on open files is raised to the hard limit at start-up, and the process
  keeps at most MAX_CONNECTIONS client connections open (lowered to fit that limit); one
  more is answered `503 too-many-connections` and closed at once, and counted in /metrics,
  rather than failing requests at random for want of file descriptors;
- a connection has CLIENT_HEADER_TIMEOUT_MS to send a request's headers (aiohttp's
  keep-alive timer, which also closes a connection idle that long between requests), and a
  request CLIENT_BODY_TIMEOUT_MS for its body (service/request_body.py);
- aiohttp's parser rejects what is not HTTP (a malformed request line, a bad header, a
  made-up method): the client gets a short `400 malformed-request` problem+json that never
  echoes its bytes, and the log one WARNING line, without a traceback;
- no answer names the server's software or version.

aiohttp's `web.run_app` builds the protocol objects itself, always as its own
`RequestHandler`. This module builds on its public pieces instead: `web.AppRunner` (its
`setup()`, its `server`, the connection manager that a handler reports to, and
`cleanup()`, which stops the app gracefully), a subclass of
`aiohttp.web_protocol.RequestHandler` overriding its documented `handle_error` and
asyncio's `connection_made`/`connection_lost`, and asyncio's `loop.create_server` with
that subclass as the protocol factory. The settings aiohttp does offer
(`keepalive_timeout`, `lingering_time`, `auto_decompress`) go through the application's
`handler_args`, so that tests serving the app with aiohttp's test server get them too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import orjson
from aiohttp import hdrs, web
from aiohttp.web_protocol import RequestHandler

from .config import Settings
from .errors import PROBLEM_CONTENT_TYPE, PROBLEMS, RETRY_AFTER_SECONDS, TYPE_PREFIX, Problem, problem_response
from .observability import METRICS

log = logging.getLogger(__name__)
access_log = logging.getLogger("service.access")

# How long a stopping process lets requests in flight finish (aiohttp's default is 60 s).
SHUTDOWN_TIMEOUT_SECONDS = 20
# After answering a request whose body was not read to its end (a 413, a 408), aiohttp
# reads and discards the rest for this long, so that the client sees the answer rather
# than a reset; then it closes. Short: a slow client must not keep its connection long.
LINGERING_SECONDS = 2
# File descriptors each process keeps for itself beyond its client connections and its
# database pool: listening sockets, logs, the event loop, metric files.
RESERVED_FILES = 64
# Answers name no software and no version.
SERVER_NAME = "identity-service"


def handler_options(settings: Settings) -> dict:
    """aiohttp's own per-connection settings, as `web.Application(handler_args=...)` takes them."""
    return {
        "keepalive_timeout": settings.client_header_timeout_ms / 1000,
        "lingering_time": LINGERING_SECONDS,
        # Bodies are inflated by service/request_body.py, within the size limit.
        "auto_decompress": False,
    }


async def name_no_server_software(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: replaces aiohttp's `Server: Python/3.11 aiohttp/3.x`."""
    response.headers[hdrs.SERVER] = SERVER_NAME


def raise_open_files_limit() -> int:
    """Raises the soft limit on open files to the hard limit; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        except (ValueError, OSError) as error:
            log.warning("could not raise the open files limit from %d to %d: %s", soft, hard, error)
            return soft
    log.info("open files limit: soft %s (was %s), hard %s", _limit(hard), _limit(soft), _limit(hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _limit(value: int) -> str:
    return "unlimited" if value == resource.RLIM_INFINITY else str(value)


def connection_cap(settings: Settings) -> int:
    """MAX_CONNECTIONS, lowered so that connections, the pool and the process's own files
    all fit under the soft limit on open files."""
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return settings.max_connections
    fitting = max(soft - settings.pool_max_size - RESERVED_FILES, 1)
    if fitting < settings.max_connections:
        log.warning("MAX_CONNECTIONS %d lowered to %d to fit the open files limit of %d",
                    settings.max_connections, fitting, soft)
        return fitting
    return settings.max_connections


@dataclass
class OpenConnections:
    cap: int
    count_refusal: Callable[[], None]
    open: int = 0


def _refusal_bytes() -> bytes:
    problem = PROBLEMS["too-many-connections"]
    body = orjson.dumps({"type": TYPE_PREFIX + "too-many-connections", "title": problem.title,
                         "status": problem.status,
                         "detail": "The service has as many connections open as it allows; try again shortly."})
    head = (f"HTTP/1.1 {problem.status} Service Unavailable\r\nContent-Type: {PROBLEM_CONTENT_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\nRetry-After: {RETRY_AFTER_SECONDS}\r\nConnection: close\r\n"
            f"Server: {SERVER_NAME}\r\n\r\n")
    return head.encode() + body


_REFUSAL = _refusal_bytes()


class GuardedRequestHandler(RequestHandler):
    """aiohttp's protocol for one connection, with a cap on open connections and quiet
    answers to what its parser rejects."""

    def __init__(self, manager: web.Server, *, connections: OpenConnections, **options) -> None:
        super().__init__(manager, **options)
        self._connections = connections
        self._admitted = False

    def connection_made(self, transport) -> None:
        connections = self._connections
        if connections.open >= connections.cap:
            connections.count_refusal()
            transport.write(_REFUSAL)
            transport.close()
            return
        connections.open += 1
        self._admitted = True
        super().connection_made(transport)

    def connection_lost(self, exc: BaseException | None) -> None:
        if not self._admitted:
            return
        self._admitted = False
        self._connections.open -= 1
        super().connection_lost(exc)

    def handle_error(self, request, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        if status != 400:
            return super().handle_error(request, status, exc, message)
        # The parser's message quotes the client's bytes; the name of its error says enough.
        reason = type(exc).__name__ if exc is not None else "unknown"
        access_log.warning("malformed request from %s refused: %s", request.remote, reason,
                           extra={"status": 400, "reason": reason})
        response = problem_response(Problem(
            "malformed-request", "The request is not valid HTTP/1.1 (request line, method or headers); it was not read.",
        ))
        response.headers[hdrs.SERVER] = SERVER_NAME
        response.force_close()
        return response


@contextlib.asynccontextmanager
async def serving(app: web.Application, settings: Settings, *, reuse_port: bool = False,
                  handle_signals: bool = False) -> AsyncIterator[asyncio.AbstractServer]:
    """The app served on HOST:PORT until the block ends, then stopped gracefully."""
    runner = web.AppRunner(app, handle_signals=handle_signals, shutdown_timeout=SHUTDOWN_TIMEOUT_SECONDS,
                           access_log=None)
    await runner.setup()
    try:
        metrics = app[METRICS]
        connections = OpenConnections(cap=connection_cap(settings), count_refusal=metrics.connections_refused.inc)
        loop = asyncio.get_running_loop()
        options = {"loop": loop, "access_log": None, **handler_options(settings)}
        server = await loop.create_server(
            lambda: GuardedRequestHandler(runner.server, connections=connections, **options),
            settings.host, settings.port, reuse_port=reuse_port,
        )
        try:
            yield server
        finally:
            server.close()
    finally:
        await runner.cleanup()


def run_app(app: web.Application, settings: Settings, *, announce: Callable[[], None], reuse_port: bool = False,
            handle_signals: bool = True) -> None:
    """Serve until SIGINT or SIGTERM (with `handle_signals`) or a `web.GracefulExit`, then stop
    gracefully, as `web.run_app` does."""
    raise_open_files_limit()

    async def serve_forever() -> None:
        async with serving(app, settings, reuse_port=reuse_port, handle_signals=handle_signals):
            announce()
            await asyncio.Future()

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    main = loop.create_task(serve_forever())
    try:
        loop.run_until_complete(main)
    except (web.GracefulExit, KeyboardInterrupt):
        pass
    finally:
        if not main.done():
            main.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                loop.run_until_complete(main)
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()
