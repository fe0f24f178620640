"""`run.py check` finds every kind of broken data, names the contacts, and exits 1."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from service.check import violations_in
from service.sql import Statements

from .service_process import PROJECT_ROOT

# Each case: rows to insert as (email, phone_number, linked_id, created_at, deleted_at),
# ids 1, 2, … in that order, and the one violation they must produce.
BROKEN_DATA = {
    "two primaries share an email": (
        [("a@x.io", "1", None, "2024-01-01", None), ("a@x.io", "2", None, "2024-01-02", None)],
        ("identifier shared by several primaries", [1, 2]),
    ),
    "primary younger than its secondary": (
        [("a@x.io", "1", None, "2024-01-02", None), ("b@x.io", "2", 1, "2024-01-01", None)],
        ("primary is not the oldest of its cluster", [1, 2]),
    ),
    "secondary linked to a deleted primary": (
        [("a@x.io", "1", None, "2024-01-01", "2024-02-01"), ("b@x.io", "2", 1, "2024-01-02", None)],
        ("linked to a missing or deleted contact", [2, 1]),
    ),
    "duplicate row bringing nothing new": (
        [("a@x.io", "1", None, "2024-01-01", None), ("a@x.io", "1", 1, "2024-01-02", None)],
        ("duplicate that brings no new identifier", [2, 1]),
    ),
}


async def insert(pool, rows) -> None:
    await pool.executemany(
        "INSERT INTO contact (email, phone_number, linked_id, created_at, deleted_at)"
        " VALUES ($1, $2, $3, $4::text::timestamptz, $5::text::timestamptz)",
        rows,
    )


async def violations(pool) -> list[tuple[str, list[int]]]:
    async with pool.acquire() as connection:
        return await violations_in(connection, Statements.load())


async def test_sound_data_has_no_violations(identify, pool):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "717171"})
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "555"})

    assert await violations(pool) == []


@pytest.mark.parametrize("case", BROKEN_DATA, ids=list(BROKEN_DATA))
async def test_broken_data_is_reported_with_the_contacts_at_fault(pool, case):
    rows, expected = BROKEN_DATA[case]
    await insert(pool, rows)

    assert expected in await violations(pool)


async def test_chain_deeper_than_one_link_is_reported(pool):
    await insert(pool, [("a@x.io", "1", None, "2024-01-01", None), ("b@x.io", "2", 1, "2024-01-02", None)])
    await insert(pool, [("c@x.io", "3", 2, "2024-01-03", None)])

    assert ("linked to a secondary", [3, 2]) in await violations(pool)


async def test_cycle_of_links_is_reported_as_having_no_primary(pool):
    await insert(pool, [("a@x.io", "1", None, "2024-01-01", None), ("b@x.io", "2", 1, "2024-01-02", None)])
    await pool.execute("UPDATE contact SET linked_id = 2 WHERE id = 1")

    found = await violations(pool)

    assert ("no primary (a cycle of links)", [1]) in found
    assert ("no primary (a cycle of links)", [2]) in found


async def test_run_py_check_prints_violations_and_exits_1(pool, database_url):
    await insert(pool, BROKEN_DATA["two primaries share an email"][0])

    result = subprocess.run([sys.executable, "run.py", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            env={**os.environ, "DATABASE_URL": database_url}, timeout=60)

    assert result.returncode == 1
    assert "identifier shared by several primaries: 1, 2" in result.stdout
    assert "1 violation(s)" in result.stdout
