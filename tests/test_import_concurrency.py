"""An import running while /identify is under concurrent load leaves the invariants whole.

The import locks the contact table against writers (sql/import_lock_contacts.sql);
/identify's writes wait for it and its reads go on. Into an empty table it locks out
readers too (sql/import_lock_empty_tables.sql), and everything waits. Afterwards the
customers must be exactly the connected components of everything that was written,
requests and imported orders alike, with one primary each, its oldest contact, and
`run.py check` must find nothing.
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from service.check import violations_in
from service.config import Settings
from service.import_progress import ImportProgress
from service.importer import IMPORT_SERVER_SETTINGS, ImportRules, RejectsFile, import_orders
from service.order_file import read_orders

from .test_concurrency import (  # noqa: F401  (clients and second_pool are fixtures)
    EMAILS, PHONES, PROJECT_ROOT, clients, connected_components, fire, random_requests, second_pool)
from .watched_connection import WatchedConnection

ORDERS = 2000
HISTORY_CUSTOMERS = 500


@pytest.fixture
def settings(database_url) -> Settings:
    """Timeouts far above what the import makes a write wait here. With the defaults, a write
    queued behind the import and the hot identifiers' other writes may answer 503, and
    whether it had committed would then be unknown to the test. No cap is reached: the hot
    identifiers join a hundred customers of the file into one, and the components expected
    are those of everything sent (the caps have tests of their own)."""
    return Settings.from_environ({"DATABASE_URL": database_url, "REQUEST_DEADLINE_MS": "60000",
                                  "DB_STATEMENT_TIMEOUT_MS": "60000", "DB_ACQUIRE_TIMEOUT_MS": "60000",
                                  "MAX_EMAILS_PER_CUSTOMER": "100000", "MAX_PHONES_PER_CUSTOMER": "100000",
                                  "MAX_CONTACTS_PER_CUSTOMER": "100000"})


def random_order_file(seed: int) -> tuple[str, list[dict]]:
    """Orders of customers of their own, a few of them with one of the requests' hot
    identifiers, dated in the past."""
    rng = random.Random(seed)
    orders, lines = [], ["email,phoneNumber,createdAt"]
    for _ in range(ORDERS):
        customer = rng.randrange(HISTORY_CUSTOMERS)
        email = rng.choice(EMAILS) if rng.random() < 0.02 else f"history{customer}@example.com"
        phone = rng.choice(PHONES) if rng.random() < 0.02 else f"77700{customer + rng.randrange(2)}"
        if rng.random() < 0.2:
            email, phone = (None, phone) if rng.random() < 0.5 else (email, None)
        moment = datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randrange(10**6))
        orders.append({"email": email, "phoneNumber": phone})
        lines.append(f"{email or ''},{phone or ''},{moment.isoformat()}")
    return "\n".join(lines) + "\n", orders


async def wait_for_some_contacts(pool) -> None:
    for _ in range(200):  # bounded: 10 s at most
        if await pool.fetchval("SELECT count(*) FROM contact") >= 3:
            return
        await asyncio.sleep(0.05)


async def import_during_load(clients, pool, database_url, statements, settings,
                             seed: int, *, into_empty_table: bool = False) -> tuple[list, list[dict]]:
    """Fire random requests at both instances and, once they have written, import a file;
    or, into_empty_table, import the file into the empty table and fire the requests once
    the import holds its lock on it. Returns the requests' results and the file's orders."""
    text, orders = random_order_file(seed)
    connection = await asyncpg.connect(database_url, server_settings=IMPORT_SERVER_SETTINGS)
    load = None

    async def start_the_load():
        nonlocal load
        load = asyncio.create_task(fire(clients, random_requests(seed)))

    try:
        if into_empty_table:
            importing = WatchedConnection(connection, statements.import_lock_empty_tables.text, after=start_the_load)
        else:
            importing = connection
            await start_the_load()
            await wait_for_some_contacts(pool)
        await import_orders(importing, statements,
                            read_orders(io.StringIO(text, newline=""), datetime.now(timezone.utc), ""),
                            RejectsFile(io.StringIO()), rules=ImportRules.from_settings(settings), dry_run=False,
                            progress=ImportProgress(None, io.StringIO()))
        assert load is not None, "the import never took the lock of an empty table"
        return await load, orders
    finally:
        await connection.close()


@pytest.mark.parametrize("seed", [41, 42])
async def test_import_during_concurrent_identify_load_leaves_one_customer_per_component(
        clients, pool, database_url, statements, settings, seed):
    results, orders = await import_during_load(clients, pool, database_url, statements, settings, seed)

    await assert_one_customer_per_component(pool, statements, results, orders)


@pytest.mark.parametrize("seed", [44, 45])
async def test_identify_load_waiting_for_an_import_into_an_empty_table_leaves_one_customer_per_component(
        clients, pool, database_url, statements, settings, seed):
    results, orders = await import_during_load(clients, pool, database_url, statements, settings, seed,
                                               into_empty_table=True)

    await assert_one_customer_per_component(pool, statements, results, orders)


async def assert_one_customer_per_component(pool, statements, results: list, orders: list[dict]) -> None:
    """Every request answered, the customers are the connected components of everything
    written, and `check` finds nothing."""
    assert all(status == 200 for _, status, _ in results), [result for result in results if result[1] != 200][:3]
    rows = await pool.fetch("SELECT id, email, phone_number, linked_id FROM contact WHERE deleted_at IS NULL")
    customers: dict[int, set[str]] = {}
    for row in rows:
        identifiers = customers.setdefault(row["linked_id"] or row["id"], set())
        identifiers |= {f"email:{row['email']}"} if row["email"] else set()
        identifiers |= {f"phone:{row['phone_number']}"} if row["phone_number"] else set()
    requests = [request for request, _, _ in results]
    assert sorted(map(frozenset, customers.values()), key=sorted) == connected_components(requests + orders)
    async with pool.acquire() as checking:
        assert await violations_in(checking, statements) == []


async def test_run_py_check_finds_nothing_after_an_import_under_load(clients, pool, database_url, statements,
                                                                      settings):
    await import_during_load(clients, pool, database_url, statements, settings, 43)

    env = {**os.environ, "DATABASE_URL": database_url}
    check = subprocess.run([sys.executable, "run.py", "check"], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=60)

    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 violation(s)" in check.stdout
