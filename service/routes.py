"""The route table."""

from aiohttp import web

from . import handlers

ROUTES = [
    web.post("/identify", handlers.post_identify),
]
