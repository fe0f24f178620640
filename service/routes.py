"""The route table."""

from aiohttp import web

from . import handlers, health, openapi

ROUTES = [
    web.post("/identify", handlers.post_identify),
    web.get("/healthz", health.get_healthz),
    web.get("/readyz", health.get_readyz),
    web.get("/metrics", health.get_metrics),
    web.get("/openapi.json", openapi.get_openapi_document),
]
