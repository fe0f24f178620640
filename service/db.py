"""The database: which one to use, its schema, and the connection pool's lifecycle."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from aiohttp import web

from .config import Settings, describe_database
from .embedded import EmbeddedPostgres
from .errors import ConnectionLost
from .keys import DATABASE_ORIGIN, POOL, SETTINGS, STATEMENTS
from .migrations import apply_migrations

log = logging.getLogger(__name__)

# Every connection the service opens.
SERVER_SETTINGS = {
    "application_name": "identity-service",
    # Recursive gathers of large clusters cross the JIT cost threshold, and JIT compile
    # time (tens of milliseconds) dwarfs their run time.
    "jit": "off",
}
# The pool's connections, which serve requests. Every statement they run is written as index
# probes (fenced LATERAL steps, id arrays); these settings make sure that no statistics can
# plan one otherwise: a table whose statistics say one giant customer holds every row makes a
# scan per step look cheaper than the probes. identify_contact pins the same settings for
# the statements inside it, whoever calls it. Plans are made once per connection
# (force_generic_plan) and kept; tests/test_plans.py and test_customer_plans.py check them in
# the states a table goes through. `identity-service check`, which reads the whole table on
# purpose, runs without them.
SERVING_SETTINGS = {
    **SERVER_SETTINGS,
    "plan_cache_mode": "force_generic_plan",
    "enable_seqscan": "off",
    "enable_mergejoin": "off",
}


@asynccontextmanager
async def database(settings: Settings, *, origin: str = "configured") -> AsyncIterator[str]:
    """The URL of the database to use: the one in the settings (`origin` says who chose it), or
    an embedded one started for the duration of the block. One log line says which."""
    if settings.database_url:
        log.info("using %s (%s)", describe_database(settings.database_url), origin)
        yield settings.database_url
        return
    embedded = await asyncio.to_thread(EmbeddedPostgres.start, settings.embedded_pg_dir)
    log.info("using the embedded PostgreSQL in %s (%s)", embedded.data_dir, describe_database(embedded.url))
    try:
        yield embedded.url
    finally:
        if await asyncio.to_thread(embedded.stop):
            log.info("embedded PostgreSQL stopped")


async def create_pool(database_url: str, settings: Settings) -> asyncpg.Pool:
    return await asyncpg.create_pool(
        database_url,
        min_size=settings.pool_min_size,
        max_size=settings.pool_max_size,
        # Opening a connection to a host that does not answer must fail as fast as waiting
        # for a busy pool does, not after asyncpg's default minute.
        timeout=settings.acquire_timeout_ms / 1000,
        server_settings={**SERVING_SETTINGS, "statement_timeout": str(settings.statement_timeout_ms)},
        reset=keep_session,
    )


async def keep_session(connection: asyncpg.Connection) -> None:
    """The pool's reset on release, minus asyncpg's default reset query (unlock advisory
    locks, close cursors, unlisten, RESET ALL): a round trip per request for state this
    service never leaves behind. Its advisory locks are transaction-level, and asyncpg
    still rolls back an open transaction before calling this."""


@asynccontextmanager
async def pooled_connection(pool: asyncpg.Pool, *, timeout: float) -> AsyncIterator[asyncpg.Connection]:
    """A connection from the pool for one request; a connection that broke is dropped, not reused.

    When the server ends a session mid-transaction, asyncpg can leave the connection's
    protocol stuck (asyncpg issue 784) and raise InternalClientError on the next statement,
    or on the reset that release() runs. The first is an outage for this request; the
    second happens after the request's outcome is settled, so it must not change the answer.
    """
    # asyncio.timeout rather than acquire(timeout=...): on Python 3.11 asyncpg applies that one
    # with a wait_for that starts a task per acquire. release() gets the same bound below.
    async with asyncio.timeout(timeout):
        connection = await pool.acquire()
    try:
        yield connection
    except asyncpg.InternalClientError as error:
        connection.terminate()
        raise ConnectionLost(str(error)) from error
    finally:
        try:
            # Bounded: after a cancelled query, release waits for the server to confirm the cancel.
            await pool.release(connection, timeout=timeout)
        except Exception as error:  # release() has terminated the connection already
            log.warning("dropped a broken database connection: %s: %s", type(error).__name__, error)


async def pool_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: start (or find) the database, migrate it, and hold a pool for the app's life."""
    settings = app[SETTINGS]
    async with database(settings, origin=app.get(DATABASE_ORIGIN, "configured")) as database_url:
        await asyncio.to_thread(apply_migrations, database_url, app[STATEMENTS])
        pool = await create_pool(database_url, settings)
        app[POOL] = pool
        try:
            yield
        finally:
            await pool.close()
