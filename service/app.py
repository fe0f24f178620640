"""The application factory."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from .auth import require_api_key
from .config import Settings
from .console import load_assets
from .db import pool_context
from .errors import problem_middleware
from .http_server import handler_options, name_no_server_software
from .keys import CONSOLE_ASSETS, OPENAPI_DOCUMENT, POOL, REQUIRED_SCOPES, SETTINGS, STATEMENTS
from .observability import METRICS, Metrics, observe_requests, pool_gauges_context
from .openapi import load_document
from .request_body import MAX_BODY_BYTES
from .routes import ROUTES, required_scopes
from .sql import Statements


def create_app(settings: Settings, *, pool: asyncpg.Pool | None = None) -> web.Application:
    """The service. With `pool`, it uses that pool (already on a migrated database) and leaves
    it open; without, it finds or starts the database, migrates it and owns its pool."""
    app = web.Application(middlewares=[observe_requests, problem_middleware, require_api_key],
                          client_max_size=MAX_BODY_BYTES, handler_args=handler_options(settings))
    app.on_response_prepare.append(name_no_server_software)
    app[SETTINGS] = settings
    app[METRICS] = Metrics()
    app[STATEMENTS] = Statements.load()
    app[OPENAPI_DOCUMENT] = load_document()
    app[CONSOLE_ASSETS] = load_assets()
    app[REQUIRED_SCOPES] = required_scopes(settings)
    if pool is None:
        app.cleanup_ctx.append(pool_context)
    else:
        app[POOL] = pool
    app.cleanup_ctx.append(pool_gauges_context)
    app.add_routes(ROUTES)
    return app
