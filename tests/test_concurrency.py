"""Whatever the interleaving, the data is what some one-at-a-time order of the requests gives.

Two independent app instances (separate pools, as two service processes would have) share
one database; dozens of clients fire hundreds of requests over a few hot emails and
phone numbers, so first-time creations, new information and merges collide. Then:
  1. every customer has exactly one primary, its oldest contact;
  2. every secondary points straight at a live primary;
  3. the customers are exactly the connected components of the requests' identifiers;
  4. no contact duplicates older ones (every contact brought something new);
  5. per identifier, the answers given for it are nested: a customer only ever grows;
  6. every merge in the audit trail left its loser a secondary of its winner's customer;
and `run.py check` finds nothing.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from service.app import create_app
from service.check import violations_in
from service.db import SERVING_SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 40
REQUESTS = 400
EMAILS = [f"shopper{n}@example.com" for n in range(6)]
PHONES = [f"55500{n}" for n in range(6)]


@pytest.fixture
async def second_pool(database_url, pool):
    second = await asyncpg.create_pool(database_url, min_size=1, max_size=20, server_settings=SERVING_SETTINGS)
    yield second
    await second.close()


@pytest.fixture
async def clients(aiohttp_client, settings, pool, second_pool):
    """Two service instances on the same database, each with its own pool."""
    return [await aiohttp_client(create_app(settings, pool=each)) for each in (pool, second_pool)]


def random_requests(seed: int) -> list[dict]:
    rng = random.Random(seed)
    requests = []
    for _ in range(REQUESTS):
        shape = rng.random()
        email = rng.choice(EMAILS) if shape < 0.8 else None
        phone = rng.choice(PHONES) if shape > 0.2 else None
        requests.append({"email": email, "phoneNumber": phone})
    return requests


async def fire(clients, requests: list[dict]) -> list[tuple[dict, int, dict]]:
    """Send every request from CLIENTS concurrent workers spread over the instances."""
    queue = list(reversed(requests))
    results = []

    async def worker(client):
        while queue:
            request = queue.pop()
            response = await client.post("/identify", json=request)
            results.append((request, response.status, await response.json(content_type=None)))

    await asyncio.gather(*(worker(clients[n % len(clients)]) for n in range(CLIENTS)))
    return results


def connected_components(requests: list[dict]) -> list[frozenset[str]]:
    parent: dict[str, str] = {}

    def find(node: str) -> str:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for request in requests:
        identifiers = [f"email:{request['email']}" if request["email"] else None,
                       f"phone:{request['phoneNumber']}" if request["phoneNumber"] else None]
        present = [identifier for identifier in identifiers if identifier]
        for identifier in present:
            find(identifier)
        if len(present) == 2:
            parent[find(present[0])] = find(present[1])
    groups: dict[str, set[str]] = {}
    for node in parent:
        groups.setdefault(find(node), set()).add(node)
    return sorted(map(frozenset, groups.values()), key=sorted)


async def assert_one_at_a_time_outcome(pool, results):
    assert all(status == 200 for _, status, _ in results), [r for r in results if r[1] != 200][:3]
    rows = await pool.fetch(
        "SELECT id, email, phone_number, linked_id, link_precedence, created_at FROM contact"
        " WHERE deleted_at IS NULL ORDER BY id"
    )
    by_id = {row["id"]: row for row in rows}

    # 2. depth one: every secondary points at a live primary.
    for row in rows:
        if row["linked_id"] is not None:
            assert by_id[row["linked_id"]]["linked_id"] is None, dict(row)

    # 1. one primary per customer, and it is the oldest contact.
    customers: dict[int, list] = {}
    for row in rows:
        customers.setdefault(row["linked_id"] or row["id"], []).append(row)
    for primary_id, members in customers.items():
        oldest = min(members, key=lambda member: (member["created_at"], member["id"]))
        assert oldest["id"] == primary_id, (primary_id, [dict(member) for member in members])

    # 3. customers are the connected components of the requests' identifiers.
    customer_identifiers = sorted(
        (frozenset({f"email:{m['email']}" for m in members if m["email"]}
                   | {f"phone:{m['phone_number']}" for m in members if m["phone_number"]})
         for members in customers.values()),
        key=sorted,
    )
    assert customer_identifiers == connected_components([request for request, _, _ in results])

    # 5. answers for one identifier are nested: a customer seen for it only ever grows.
    seen: dict[str, list[frozenset[int]]] = {}
    for request, _, answer in results:
        contact = answer["contact"]
        members = frozenset([contact["primaryContactId"], *contact["secondaryContactIds"]])
        if request["email"]:
            assert request["email"] in contact["emails"]
            seen.setdefault(f"email:{request['email']}", []).append(members)
        if request["phoneNumber"]:
            assert request["phoneNumber"] in contact["phoneNumbers"]
            seen.setdefault(f"phone:{request['phoneNumber']}", []).append(members)
    for identifier, answers in seen.items():
        for smaller, larger in itertools.pairwise(sorted(answers, key=len)):
            assert smaller <= larger, (identifier, sorted(smaller), sorted(larger))

    # 6. the audit trail agrees: every merged event's loser ended up a secondary in its winner's customer.
    merges = await pool.fetch("SELECT contact_ids FROM identity_event WHERE kind = 'merged'")
    for loser, winner in (row["contact_ids"] for row in merges):
        assert by_id[loser]["linked_id"] is not None, (loser, winner)
        assert (by_id[loser]["linked_id"] or loser) == (by_id[winner]["linked_id"] or winner), (loser, winner)

    # 1, 2 and 4 once more, as a DBA would check them.
    async with pool.acquire() as connection:
        from service.sql import Statements

        assert await violations_in(connection, Statements.load()) == []


@pytest.mark.parametrize("seed", [11, 12, 13])
async def test_concurrent_requests_over_hot_identifiers_leave_a_one_at_a_time_outcome(clients, pool, seed):
    results = await fire(clients, random_requests(seed))

    await assert_one_at_a_time_outcome(pool, results)


async def test_identical_first_time_requests_racing_create_exactly_one_contact(clients, pool):
    request = {"email": "rush@example.com", "phoneNumber": "5551234"}

    results = await fire(clients, [request] * 64)

    assert await pool.fetchval("SELECT count(*) FROM contact") == 1
    assert {answer["contact"]["primaryContactId"] for _, _, answer in results} == {1}
    await assert_one_at_a_time_outcome(pool, results)


async def test_first_time_requests_sharing_a_phone_racing_make_one_customer(clients, pool):
    requests = [{"email": f"family{n}@example.com", "phoneNumber": "5550000"} for n in range(48)]

    results = await fire(clients, requests)

    assert await pool.fetchval("SELECT count(*) FROM contact WHERE linked_id IS NULL") == 1
    await assert_one_at_a_time_outcome(pool, results)


async def test_bridges_in_opposite_directions_racing_leave_one_primary(clients, pool):
    customers = [{"email": f"c{n}@example.com", "phoneNumber": f"100{n}"} for n in range(8)]
    for customer in customers:
        await fire(clients[:1], [customer])
    bridges = [{"email": customers[a]["email"], "phoneNumber": customers[b]["phoneNumber"]}
               for a, b in itertools.permutations(range(8), 2)]
    random.Random(5).shuffle(bridges)

    results = await fire(clients, bridges)

    assert await pool.fetchval("SELECT count(*) FROM contact WHERE linked_id IS NULL") == 1
    await assert_one_at_a_time_outcome(pool, results)


async def test_run_py_check_finds_nothing_after_concurrent_requests(clients, pool, database_url):
    await fire(clients, random_requests(21))

    env = {**os.environ, "DATABASE_URL": database_url}
    check = subprocess.run([sys.executable, "run.py", "check"], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, text=True, timeout=60)

    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 violation(s)" in check.stdout
