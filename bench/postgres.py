"""The PostgreSQL server the bench uses, and the bench's own databases on it.

With DATABASE_URL set, its server is used (its database only for the admin connection);
otherwise an embedded PostgreSQL (pgserver, as the service itself would start) in
.data/bench-postgres, stopped again when the bench ends. Either way the bench creates
and drops only databases whose names start with BENCH_PREFIX, never anything else on the server.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

BENCH_PREFIX = "identity_bench"
# The database the service runs on; each seeded table size is kept as a template to clone it from.
WORK_DATABASE = BENCH_PREFIX


def template_database(contacts: int) -> str:
    return f"{BENCH_PREFIX}_template_{contacts}"


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


async def recreate_database(server_url: str, database: str, *, template: str | None = None) -> None:
    """An empty database, or a copy of `template` (a file copy: seconds for a million contacts)."""
    assert database.startswith(BENCH_PREFIX), database  # never drop anything but our own
    connection = await asyncpg.connect(server_url)
    try:
        # FORCE: a service killed mid-run may have left sessions on it.
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if template is None:
            await connection.execute(f'CREATE DATABASE "{database}"')
        else:
            await connection.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
    finally:
        await connection.close()


async def drop_bench_databases(server_url: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        names = await connection.fetch("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", BENCH_PREFIX)
        for row in names:
            await connection.execute(f'DROP DATABASE IF EXISTS "{row["datname"]}" WITH (FORCE)')
    finally:
        await connection.close()


async def server_version(url: str) -> str:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SELECT version()")
    finally:
        await connection.close()

