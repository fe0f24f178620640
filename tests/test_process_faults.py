"""The service process itself stopping: killed with SIGKILL under load, or asked to stop with
SIGTERM while requests are in flight."""

from __future__ import annotations

import asyncio
import signal
import socket
import threading

import aiohttp
import asyncpg
import pytest

from service.check import violations_in
from service.sql import Statements

from .test_embedded_start import Service


@pytest.fixture
def service(tmp_path, database_url, pool):
    """The service on the test database (emptied by the `pool` fixture)."""
    running = Service(tmp_path / "unused-pgdata", database_url=database_url)
    yield running
    if running.process.poll() is None:
        running.kill()


async def test_sigkill_under_load_loses_no_acknowledged_contact_and_leaves_nothing_half_merged(
    service, tmp_path, database_url, pool
):
    acknowledged: list[tuple[dict, dict]] = []

    async def shopper(session: aiohttp.ClientSession, number: int) -> None:
        for sequence in range(10_000):
            # New customers, and bridges between them, so merges are in flight when the kill lands.
            request = {"email": f"s{number}-{sequence}@example.com",
                       "phoneNumber": f"{number}{sequence // 2:04d}"}
            try:
                async with session.post(f"http://127.0.0.1:{service.port}/identify", json=request) as response:
                    if response.status == 200:
                        acknowledged.append((request, await response.json()))
            except aiohttp.ClientError:
                return

    async with aiohttp.ClientSession() as session:
        shoppers = [asyncio.create_task(shopper(session, number)) for number in range(16)]
        await asyncio.sleep(1.0)
        await asyncio.to_thread(service.kill)
        await asyncio.gather(*shoppers)

    assert len(acknowledged) > 50
    async with pool.acquire() as connection:
        assert await violations_in(connection, Statements.load()) == []
        for request, answer in acknowledged:
            contact = answer["contact"]
            stored = await connection.fetch(
                "SELECT email, phone_number FROM contact WHERE id = ANY($1::bigint[])",
                [contact["primaryContactId"], *contact["secondaryContactIds"]],
            )
            assert request["email"] in {row["email"] for row in stored}
            assert request["phoneNumber"] in {row["phone_number"] for row in stored}

    restarted = Service(tmp_path / "unused-pgdata", database_url=database_url)
    status, _ = restarted.identify(b'{"email": "after@example.com"}')
    returncode, _ = restarted.stop(signal.SIGTERM)
    assert (status, returncode) == (200, 0)


async def test_sigterm_finishes_requests_in_flight_stops_accepting_and_exits_0(service, database_url, pool):
    holder = await asyncpg.connect(database_url)
    await holder.execute("SELECT pg_advisory_lock(hashtextextended('email:' || $1::text, 0))", "slow@example.com")
    in_flight: dict = {}
    request = threading.Thread(
        target=lambda: in_flight.update(answer=service.identify(b'{"email": "slow@example.com"}')))
    request.start()
    await asyncio.sleep(0.5)

    service.process.send_signal(signal.SIGTERM)
    await asyncio.sleep(0.5)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", service.port), timeout=0.5).close()
    await holder.close()
    request.join(timeout=10)
    output, _ = service.process.communicate(timeout=30)

    assert in_flight["answer"][0] == 200
    assert service.process.returncode == 0, output
    assert await pool.fetchval("SELECT count(*) FROM contact WHERE email = 'slow@example.com'") == 1
    assert await pool.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'identity-service' AND datname = $1",
        database_url.rsplit("/", 1)[1],
    ) == 0
