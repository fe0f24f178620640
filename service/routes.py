"""The route table."""

from aiohttp import web

from . import handlers, health

ROUTES = [
    web.post("/identify", handlers.post_identify),
    web.get("/healthz", health.get_healthz),
    web.get("/readyz", health.get_readyz),
    web.get("/metrics", health.get_metrics),
]
