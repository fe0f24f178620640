"""Probes and metrics for operators: /healthz, /readyz, /metrics."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from .db import pooled_connection
from .errors import RETRY_AFTER_SECONDS, Problem
from .keys import POOL, SETTINGS, STATEMENTS
from .migrations import migration_ids
from .observability import METRICS


async def get_healthz(request: web.Request) -> web.Response:
    """The process is up and its event loop answers; says nothing about the database."""
    return web.json_response({"status": "ok"})


async def get_readyz(request: web.Request) -> web.Response:
    """Ready for traffic: the database answers and every migration in migrations/ is applied."""
    statements = request.app[STATEMENTS]
    try:
        timeout = request.app[SETTINGS].acquire_timeout_ms / 1000
        async with asyncio.timeout(timeout), pooled_connection(request.app[POOL], timeout=timeout) as connection:
            rows = await connection.fetch(statements.applied_migrations.text)
    except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        raise Problem("not-ready", f"The database does not answer ({type(error).__name__}).",
                      headers={"Retry-After": RETRY_AFTER_SECONDS}) from None
    pending = sorted(migration_ids() - {row["migration_id"] for row in rows})
    if pending:
        raise Problem("not-ready", f"Migrations not applied yet: {', '.join(pending)}.",
                      headers={"Retry-After": RETRY_AFTER_SECONDS})
    return web.json_response({"status": "ready"})


async def get_metrics(request: web.Request) -> web.Response:
    metrics = request.app[METRICS]
    metrics.observe_pool(request.app[POOL])
    return web.Response(body=metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST})
