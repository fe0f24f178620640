"""A real PostgreSQL for every test.

DATABASE_URL, when set, names a server on which the session creates a database of its
own (dropped at the end); otherwise an embedded PostgreSQL is started in a temporary
folder. The database is migrated once; each test starts from empty tables with ids from 1
(TRUNCATE … RESTART IDENTITY), which keeps the suite fast.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from service.app import create_app
from service.config import Settings
from service.db import SERVING_SETTINGS
from service.embedded import EmbeddedPostgres
from service.migrations import apply_migrations
from service.sql import Statements

from .service_process import postgres_processes
from .slow_clients import gzip_of_zeros

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The tests' own connections are told apart from a service process's in pg_stat_activity.
TEST_SERVER_SETTINGS = {**SERVING_SETTINGS, "application_name": "identity-tests"}
TEST_SUPPRESSION_KEY = "test-suppression-key"
# Every test runs with the default blocked values of migration 0008, as a deployment does, even
# after a test (the OpenAPI fuzzer) deleted some: a copy is kept when the database is migrated.
KEEP_DEFAULT_BLOCKED_VALUES = "CREATE TABLE default_blocked_identifier AS SELECT * FROM blocked_identifier"
EMPTY_EVERY_TABLE = (
    "TRUNCATE contact, identity_event, api_key, erased_identifier, suppression_key_check, guardrail_refusal,"
    " blocked_identifier"
    " RESTART IDENTITY;"
    " INSERT INTO blocked_identifier SELECT * FROM default_blocked_identifier"
)


@pytest.fixture(scope="session")
def server_url(tmp_path_factory) -> str:
    """A URL on the PostgreSQL server the tests may create databases on."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    embedded = EmbeddedPostgres.start(tmp_path_factory.mktemp("embedded-postgres") / "data")
    yield embedded.url
    embedded.stop()


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str) -> Iterator[str]:
    """A new, empty database on the test server, dropped afterwards; yields its URL."""
    import psycopg

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_url(server_url) -> str:
    """A fresh, migrated database for this test session."""
    import psycopg

    with scratch_database(server_url, "identity_test") as url:
        apply_migrations(url, Statements.load())
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(KEEP_DEFAULT_BLOCKED_VALUES)
        yield url


@pytest.fixture
def empty_database_url(server_url) -> str:
    """A database of this test's own, with no schema at all."""
    with scratch_database(server_url, "identity_empty") as url:
        yield url


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings.from_environ({"DATABASE_URL": database_url, "SUPPRESSION_KEY": TEST_SUPPRESSION_KEY})


def settings_with(database_url: str, **values: str) -> Settings:
    return Settings.from_environ({"DATABASE_URL": database_url, "SUPPRESSION_KEY": TEST_SUPPRESSION_KEY, **values})


@pytest.fixture
def service(aiohttp_client, database_url, pool):
    """service(**settings) starts the app with those settings; it returns post(body) -> (status, headers, body)."""

    async def start(**values: str):
        client = await aiohttp_client(create_app(settings_with(database_url, **values), pool=pool))

        async def post(body: dict):
            response = await client.post("/identify", json=body)
            return response.status, response.headers, await response.json(content_type=None)

        post.client = client
        return post

    return start


@pytest.fixture
def statements() -> Statements:
    return Statements.load()


@pytest.fixture
async def pool(database_url):
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=20, server_settings=TEST_SERVER_SETTINGS)
    await pool.execute(EMPTY_EVERY_TABLE)
    yield pool
    await pool.close()


@pytest.fixture
async def client(aiohttp_client, settings, pool):
    return await aiohttp_client(create_app(settings, pool=pool))


@pytest.fixture
def identify(client):
    """POST /identify with a JSON body; returns (status, parsed body)."""

    async def post(body) -> tuple[int, dict]:
        response = await client.post("/identify", json=body)
        return response.status, await response.json(content_type=None)

    return post


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A data directory for an embedded PostgreSQL that a service process starts; any server
    left running in it is killed after the test."""
    yield tmp_path / "pgdata"
    for process in postgres_processes(tmp_path / "pgdata"):
        process.kill()


@pytest.fixture(scope="session")
def gzip_bomb() -> bytes:
    """512 MB of zeros, gzipped to about half a megabyte."""
    return gzip_of_zeros(512)


async def create_key(pool, name: str, scope: str) -> str:
    """A new API key in the database; returns its secret."""
    from service.auth import new_secret, secret_hash

    secret = new_secret()
    await pool.execute(Statements.load().create_api_key.text, name, scope, secret_hash(secret))
    return secret


@pytest.fixture
async def read_headers(pool) -> dict:
    return {"Authorization": f"Bearer {await create_key(pool, 'support', 'read')}"}


@pytest.fixture
async def admin_headers(pool) -> dict:
    return {"Authorization": f"Bearer {await create_key(pool, 'privacy-officer', 'admin')}"}
