"""A pooled connection for one request's database work, within the request's deadline, with
every database failure turned into its 503 problem."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from aiohttp import web

from .db import pooled_connection
from .errors import DATABASE_TOO_SLOW, DATABASE_UNAVAILABLE, RETRY_AFTER_SECONDS, Problem, database_problem
from .keys import POOL, SETTINGS


@asynccontextmanager
async def request_connection(request: web.Request) -> AsyncIterator[asyncpg.Connection]:
    settings = request.app[SETTINGS]
    deadline = asyncio.timeout(settings.request_deadline_ms / 1000)
    try:
        async with deadline:
            async with pooled_connection(request.app[POOL], timeout=settings.acquire_timeout_ms / 1000) as connection:
                yield connection
    except TimeoutError:
        if deadline.expired():
            raise Problem("deadline-exceeded", "The request took too long and was stopped. Try again.",
                          headers={"Retry-After": RETRY_AFTER_SECONDS}) from None
        raise Problem("pool-exhausted", "Every database connection stayed busy for too long. Try again.",
                      headers={"Retry-After": RETRY_AFTER_SECONDS}) from None
    except (*DATABASE_UNAVAILABLE, *DATABASE_TOO_SLOW) as error:  # after TimeoutError, an OSError too
        raise database_problem(error) from None
