"""Every change POST /identify makes is an event in identity_event, written in its own transaction:
ids only, the customer (primary) after the change, and the request's X-Request-ID."""

from __future__ import annotations

import pytest


@pytest.fixture
def post(client):
    async def post(body: dict, request_id: str) -> dict:
        response = await client.post("/identify", json=body, headers={"X-Request-ID": request_id})
        assert response.status == 200
        return await response.json()

    return post


async def events(pool) -> list[tuple]:
    rows = await pool.fetch("SELECT kind, contact_ids, customer_id, request_id FROM identity_event ORDER BY id")
    return [(row["kind"], list(row["contact_ids"]), row["customer_id"], row["request_id"]) for row in rows]


async def test_a_new_customer_is_a_created_primary_event(post, pool):
    await post({"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"}, "checkout-1")

    assert await events(pool) == [("created_primary", [1], 1, "checkout-1")]


async def test_new_information_is_a_created_secondary_event_of_its_primary(post, pool):
    await post({"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"}, "checkout-1")

    await post({"email": "mcfly@hillvalley.edu", "phoneNumber": "123456"}, "checkout-2")

    assert (await events(pool))[1:] == [("created_secondary", [2], 1, "checkout-2")]


async def test_a_repeat_customer_writes_no_event(post, pool):
    await post({"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"}, "checkout-1")

    await post({"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"}, "checkout-2")
    await post({"email": None, "phoneNumber": "123456"}, "checkout-3")

    assert [event[3] for event in await events(pool)] == ["checkout-1"]


async def test_a_bridge_is_a_merged_event_and_a_relinked_event_per_moved_secondary(post, pool):
    await post({"email": "george@hillvalley.edu", "phoneNumber": "919191"}, "a")
    await post({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"}, "b")
    await post({"email": "biff@hillvalley.edu", "phoneNumber": "717171"}, "c")  # 3, secondary of 2

    await post({"email": "george@hillvalley.edu", "phoneNumber": "717171"}, "bridge")

    assert [event for event in await events(pool) if event[3] == "bridge"] == [
        ("merged", [2, 1], 1, "bridge"),
        ("relinked", [3, 2], 1, "bridge"),
    ]


async def test_events_hold_no_email_or_phone_even_when_the_request_id_is_a_phone_number(post, pool):
    await post({"email": "george@hillvalley.edu", "phoneNumber": "919191"}, "919191")
    await post({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"}, "1-717-171-7171")

    rows = "\n".join(row[0] for row in await pool.fetch("SELECT t::text FROM identity_event AS t"))
    assert "hillvalley" not in rows and "919191" not in rows and "717171" not in rows


async def test_events_keep_a_client_request_id_whole_when_it_is_not_a_phone_number(post, pool):
    ids = ["dsr-2026-0042", "550e8400-e29b-41d4-a716-446655440000", "order-123456"]
    for number, request_id in enumerate(ids):
        await post({"email": f"customer{number}@hillvalley.edu"}, request_id)

    assert await pool.fetchval("SELECT array_agg(request_id ORDER BY id) FROM identity_event") == ids
