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
