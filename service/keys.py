"""Every piece of state the application carries, as typed `web.AppKey`s."""

from __future__ import annotations

import asyncpg
from aiohttp import web

from .config import Settings
from .sql import Statements

SETTINGS = web.AppKey("settings", Settings)
STATEMENTS = web.AppKey("statements", Statements)
POOL = web.AppKey("pool", asyncpg.Pool)
OPENAPI_DOCUMENT = web.AppKey("openapi_document", bytes)
# The console's files by name (service/console.py).
CONSOLE_ASSETS = web.AppKey("console_assets", dict)
# Where the database URL came from, for the start-up log line: the settings, or (in a
# worker) the parent process, which may have started the embedded PostgreSQL.
DATABASE_ORIGIN = web.AppKey("database_origin", str)
# The scope each protected handler needs ("read" or "admin"), built from the settings.
REQUIRED_SCOPES = web.AppKey("required_scopes", dict)
# The X-Request-ID of the request (its own, or one made up) as the audit trail records it
# (observability.audit_request_id: whole, unless it is a phone number).
REQUEST_ID = web.RequestKey("request_id", str)
