"""The PostgreSQL server the bench uses, and the bench's own databases on it.

With DATABASE_URL set, its server is used (its database only for the admin connection);
otherwise an embedded PostgreSQL (pgserver, as the service itself would start) in
.data/bench-postgres, stopped again when the bench ends. Either way the bench creates
and drops only the databases named below, never anything else on the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

MAIN_DATABASE = "identity_bench"
SMALL_DATABASE = "identity_bench_small"
BENCH_DATABASES = (MAIN_DATABASE, SMALL_DATABASE)


@contextlib.contextmanager
def postgres_server(project_dir: Path) -> Iterator[str]:
    """An admin URL of the server to bench on, for the duration of the block."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    from service.embedded import EmbeddedPostgres

    embedded = EmbeddedPostgres.start(project_dir / ".data" / "bench-postgres")
    try:
        yield embedded.url
    finally:
        embedded.stop()


def database_url(server_url: str, database: str) -> str:
    """The same server and credentials, another database (keeps ?host=/socket for pgserver)."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path="/" + database))


async def recreate_database(server_url: str, database: str) -> None:
    assert database in BENCH_DATABASES, database  # never drop anything but our own
    connection = await asyncpg.connect(server_url)
    try:
        # FORCE: a service killed mid-run may have left sessions on it.
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{database}"')
    finally:
        await connection.close()


async def drop_database(server_url: str, database: str) -> None:
    assert database in BENCH_DATABASES, database
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await connection.close()


async def server_version(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SELECT version()")
    finally:
        await connection.close()


def run(coroutine):
    return asyncio.run(coroutine)
