"""What the service tells operators: Prometheus metrics and one access log line per request.

Metrics live in a registry per application (no process globals), so two apps in one
process (tests) count separately. When several worker processes serve one port,
PROMETHEUS_MULTIPROC_DIR (set by the parent, see service/serve.py) makes prometheus-client
keep the values in files there, and /metrics adds up every worker's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from .keys import POOL, REQUEST_ID
from .logs import is_a_phone_number, mask_identifiers

REQUEST_ID_HEADER = "X-Request-ID"
_ACCEPTABLE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
# How often each worker writes its pool gauges (a scrape also refreshes the worker it reaches).
POOL_GAUGES_REFRESH_SECONDS = 1.0
# Latency buckets in seconds: the service answers in milliseconds; the tail is what matters.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

access_log = logging.getLogger("service.access")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "identity_http_requests", "HTTP requests answered, by route, method and status",
            ["route", "method", "status"], registry=self.registry,
        )
        self.latency = Histogram(
            "identity_http_request_duration_seconds", "Time to answer an HTTP request, by route",
            ["route"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )
        self.outcomes = Counter(
            "identity_identify_outcomes", "Identify requests answered, by what they did to the data",
            ["outcome"], registry=self.registry,
        )
        self.retries = Counter(
            "identity_identify_retries", "Write transactions tried again after meeting a concurrent change",
            registry=self.registry,
        )
        self.guardrail_refusals = Counter(
            "identity_guardrail_refusals", "Merges or new contacts refused because a customer would exceed a cap",
            ["cap"], registry=self.registry,
        )
        self.connections_refused = Counter(
            "identity_http_connections_refused", "Client connections refused because MAX_CONNECTIONS were open",
            registry=self.registry,
        )
        self.pool_size = Gauge(
            "identity_db_pool_connections", "Connections open in the pool", registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.pool_in_use = Gauge(
            "identity_db_pool_connections_in_use", "Pool connections lent to requests", registry=self.registry,
            multiprocess_mode="livesum",
        )

    def observe_pool(self, pool: asyncpg.Pool) -> None:
        size = pool.get_size()
        self.pool_size.set(size)
        self.pool_in_use.set(size - pool.get_idle_size())

    def exposition(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", Metrics)


def route_label(request: web.Request) -> str:
    """The route's template, never the raw path: unknown paths must not create new series."""
    route = request.match_info.route
    if route.resource is None:
        return "unmatched"
    return route.resource.canonical


def audit_request_id(request_id: str) -> str:
    """The request id as the audit trail keeps it: whole, so that a client finds the events of its
    own request or ticket (`dsr-2026-0042`, a UUID), unless all of it is a phone number, which
    the trail must not hold (`5551234567` is kept as `***67`)."""
    return mask_identifiers(request_id) if is_a_phone_number(request_id) else request_id


def request_id_of(request: web.Request) -> str:
    offered = request.headers.get(REQUEST_ID_HEADER, "")
    return offered if _ACCEPTABLE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


@web.middleware
async def observe_requests(request: web.Request, handler) -> web.StreamResponse:
    """Outermost middleware: sees every answer, error answers included."""
    started = time.perf_counter()
    request_id = request_id_of(request)
    request[REQUEST_ID] = audit_request_id(request_id)
    response = await handler(request)
    duration = time.perf_counter() - started
    response.headers[REQUEST_ID_HEADER] = request_id
    metrics = request.app[METRICS]
    route = route_label(request)
    metrics.requests.labels(route, request.method, str(response.status)).inc()
    metrics.latency.labels(route).observe(duration)
    access_log.info(
        "%s %s %s", request.method, request.path, response.status,
        extra={"request_id": request_id, "method": request.method, "path": request.path,
               "status": response.status, "duration_ms": round(duration * 1000, 3)},
    )
    return response


async def pool_gauges_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx, after the pool's: every worker refreshes its own pool gauges, since a
    scrape reaches only one of them. Once a second rather than per request: counting the
    pool's connections walks all of them, a cost every request paid."""

    async def refresh_forever() -> None:
        while True:
            app[METRICS].observe_pool(app[POOL])
            await asyncio.sleep(POOL_GAUGES_REFRESH_SECONDS)

    refreshing = asyncio.create_task(refresh_forever())
    try:
        yield
    finally:
        refreshing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refreshing
