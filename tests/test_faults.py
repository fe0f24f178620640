"""When the database is slow, busy or gone, requests end fast in a 503 problem+json, nothing
acknowledged is lost, and the service recovers by itself."""

from __future__ import annotations

import asyncio
import contextlib
import time

import asyncpg
import pytest

from service.app import create_app
from service.check import violations_in
from service.config import Settings
from service.db import create_pool
from service.embedded import EmbeddedPostgres
from service.errors import TYPE_PREFIX
from service.migrations import apply_migrations
from service.sql import Statements


def settings_with(database_url: str, **overrides: str) -> Settings:
    return Settings.from_environ({"DATABASE_URL": database_url, **overrides})


@contextlib.asynccontextmanager
async def identifier_held(database_url: str, email: str):
    """Hold the advisory lock a request for `email` needs, as a slow concurrent writer would."""
    connection = await asyncpg.connect(database_url)
    await connection.execute("SELECT pg_advisory_lock(hashtextextended('email:' || $1::text, 0))", email)
    try:
        yield
    finally:
        await connection.close()


async def app_client(aiohttp_client, settings: Settings, database_url: str):
    pool = await create_pool(database_url, settings)
    return await aiohttp_client(create_app(settings, pool=pool)), pool


async def assert_503(response, kind: str):
    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    problem = await response.json(content_type="application/problem+json")
    assert problem["type"] == TYPE_PREFIX + kind


async def test_statement_timeout_ends_in_503_and_writes_nothing(aiohttp_client, database_url, pool):
    settings = settings_with(database_url, DB_STATEMENT_TIMEOUT_MS="200")
    client, service_pool = await app_client(aiohttp_client, settings, database_url)

    async with identifier_held(database_url, "slow@example.com"):
        started = time.monotonic()
        response = await client.post("/identify", json={"email": "slow@example.com"})

    await assert_503(response, "database-timeout")
    assert time.monotonic() - started < 2
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0
    await service_pool.close()


async def test_request_deadline_ends_in_503_and_the_connection_is_reusable(aiohttp_client, database_url, pool):
    settings = settings_with(database_url, REQUEST_DEADLINE_MS="300", DB_STATEMENT_TIMEOUT_MS="10000",
                             DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="1")
    client, service_pool = await app_client(aiohttp_client, settings, database_url)

    async with identifier_held(database_url, "slow@example.com"):
        started = time.monotonic()
        response = await client.post("/identify", json={"email": "slow@example.com"})
        elapsed = time.monotonic() - started
    after = await client.post("/identify", json={"email": "slow@example.com"})

    await assert_503(response, "deadline-exceeded")
    assert elapsed < 2
    assert after.status == 200
    assert await pool.fetchval("SELECT count(*) FROM contact") == 1
    await service_pool.close()


async def test_pool_acquire_timeout_ends_in_503(aiohttp_client, database_url):
    settings = settings_with(database_url, DB_ACQUIRE_TIMEOUT_MS="200", DB_POOL_MIN_SIZE="1", DB_POOL_MAX_SIZE="1")
    client, service_pool = await app_client(aiohttp_client, settings, database_url)

    async with service_pool.acquire():
        started = time.monotonic()
        response = await client.post("/identify", json={"email": "busy@example.com"})

    await assert_503(response, "pool-exhausted")
    assert time.monotonic() - started < 2
    await service_pool.close()


class Outage:
    """An embedded PostgreSQL of the test's own, to stop and start under load."""

    def __init__(self, data_dir):
        self.embedded = EmbeddedPostgres.start(data_dir)

    def stop_server(self) -> None:
        from pgserver._commands import pg_ctl

        server = self.embedded._server
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=server.pgdata, user=server.system_user)

    def start_server(self) -> None:
        self.embedded._server.ensure_postgres_running()


@pytest.fixture
def outage(tmp_path):
    outage = Outage(tmp_path / "pgdata")
    apply_migrations(outage.embedded.url, Statements.load())
    yield outage
    outage.start_server()
    outage.embedded.stop()


async def test_database_outage_gets_fast_503s_then_recovers_without_losing_acknowledged_contacts(
    aiohttp_client, outage
):
    url = outage.embedded.url
    settings = settings_with(url, DB_POOL_MIN_SIZE="4", DB_POOL_MAX_SIZE="8")
    client, service_pool = await app_client(aiohttp_client, settings, url)
    answered: list[tuple[dict, int, dict, float]] = []
    phase = {"running": True}

    async def shopper(number: int):
        for sequence in range(100_000):
            if not phase["running"]:
                return
            request = {"email": f"s{number}-{sequence}@example.com", "phoneNumber": f"{number}00{sequence % 7}"}
            started = time.monotonic()
            response = await client.post("/identify", json=request)
            answered.append((request, response.status, await response.json(content_type=None),
                             time.monotonic() - started))
            await asyncio.sleep(0.005)

    async def ok_since(moment: int) -> bool:
        return any(status == 200 for _, status, _, _ in answered[moment:])

    shoppers = [asyncio.create_task(shopper(number)) for number in range(8)]
    await asyncio.sleep(0.5)
    await asyncio.to_thread(outage.stop_server)
    await asyncio.sleep(1.5)
    during_outage = len(answered)
    await asyncio.to_thread(outage.start_server)
    deadline = time.monotonic() + 20
    while not await ok_since(during_outage) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    phase["running"] = False
    await asyncio.gather(*shoppers)

    statuses = {status for _, status, _, _ in answered}
    assert statuses == {200, 503}, statuses
    assert max(elapsed for _, _, _, elapsed in answered) < 2.5
    for _, status, body, _ in answered:
        if status == 503:
            assert body["type"] in {TYPE_PREFIX + "database-unavailable", TYPE_PREFIX + "pool-exhausted"}
    assert await ok_since(during_outage), "the service did not recover after the database came back"

    async with service_pool.acquire() as connection:
        stored = {(row["email"], row["phone_number"]) for row in await connection.fetch(
            "SELECT email, phone_number FROM contact WHERE deleted_at IS NULL")}
        assert await violations_in(connection, Statements.load()) == []
    acknowledged = {(request["email"], request["phoneNumber"]) for request, status, _, _ in answered if status == 200}
    assert acknowledged <= stored
    await service_pool.close()
