"""Remove an identifier (unmerge) and erase a customer: admin scope, locked as /identify,
audited, idempotent, 409 when the contact is not live."""

from __future__ import annotations

import hashlib
import hmac
import re

import pytest

from .assertions import assert_problem
from .conftest import TEST_SUPPRESSION_KEY


@pytest.fixture
def remove(client, admin_headers):
    async def remove(contact_id, body):
        response = await client.post(f"/customers/{contact_id}/remove-identifier", json=body, headers=admin_headers)
        return response, await response.json(content_type=None)

    return remove


@pytest.fixture
def erase(client, admin_headers):
    async def erase(contact_id):
        response = await client.delete(f"/customers/{contact_id}", headers=admin_headers)
        return response, await response.json(content_type=None)

    return erase


@pytest.fixture
async def wrongly_joined(identify):
    """Two people joined by one shared phone: marty (1, 3) and jennifer (2)."""
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "555"})
    await identify({"email": "jennifer@hillvalley.edu", "phoneNumber": "555"})
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "888"})


def primaries(body) -> list[int]:
    return [customer["contact"]["primaryContactId"] for customer in body["customers"]]


async def test_removing_the_shared_phone_splits_two_people_into_two_customers(remove, wrongly_joined):
    response, body = await remove(2, {"phoneNumber": "555"})

    assert response.status == 200
    assert [customer["contact"] for customer in body["customers"]] == [
        {"primaryContactId": 1, "emails": ["marty@hillvalley.edu"], "phoneNumbers": ["888"],
         "secondaryContactIds": [3]},
        {"primaryContactId": 2, "emails": ["jennifer@hillvalley.edu"], "phoneNumbers": [],
         "secondaryContactIds": []},
    ]


async def test_removal_is_audited_by_contact_ids(remove, wrongly_joined, pool):
    last_event_before = await pool.fetchval("SELECT max(id) FROM identity_event")

    await remove(1, {"phoneNumber": "555"})

    events = await pool.fetch("SELECT kind, contact_ids, customer_id, request_id FROM identity_event"
                              " WHERE id > $1 ORDER BY id", last_event_before)
    assert [(event["kind"], list(event["contact_ids"]), event["customer_id"]) for event in events] == [
        ("identifier_removed", [1], 1), ("relinked", [2, 1], 2), ("identifier_removed", [2], 2),
    ]
    assert all(event["request_id"] for event in events)


async def test_events_carry_the_request_id(client, admin_headers, wrongly_joined, pool):
    last_event_before = await pool.fetchval("SELECT max(id) FROM identity_event")

    await client.post("/customers/1/remove-identifier", json={"phoneNumber": "555"},
                      headers={**admin_headers, "X-Request-ID": "ticket-4242"})

    assert set(await pool.fetchval("SELECT array_agg(DISTINCT request_id) FROM identity_event WHERE id > $1",
                                   last_event_before)) == {"ticket-4242"}


async def test_a_contact_left_with_nothing_new_is_deleted(identify, remove, pool):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "111"})
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "222"})
    await identify({"email": "emmett@hillvalley.edu", "phoneNumber": "222"})
    await remove(1, {"phoneNumber": "222"})
    await identify({"email": None, "phoneNumber": "999"})
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "999"})

    response, body = await remove(1, {"phoneNumber": "999"})

    assert primaries(body) == [1]
    # 2 (doc, 222) was left with doc, which 1 holds already; 4 held only 999.
    assert await pool.fetch("SELECT id, email, phone_number, linked_id FROM contact ORDER BY id") == [
        (1, "doc@hillvalley.edu", "111", None), (3, "emmett@hillvalley.edu", None, None)]
    assert await pool.fetch("SELECT contact_ids FROM identity_event WHERE kind = 'contact_deleted'") == [
        ([2],), ([4],)]


async def test_removal_is_idempotent(remove, wrongly_joined, pool):
    _, first = await remove(1, {"phoneNumber": "555"})
    events = await pool.fetchval("SELECT count(*) FROM identity_event")

    response, again = await remove(1, {"phoneNumber": "555"})

    assert response.status == 200
    assert again["customers"] == first["customers"][:1]
    assert await pool.fetchval("SELECT count(*) FROM identity_event") == events


async def test_removal_and_erasure_of_a_contact_that_is_not_live_are_409(remove, erase, identify):
    await identify({"email": "doc@hillvalley.edu"})
    await remove(1, {"email": "doc@hillvalley.edu"})

    for response, body in (await remove(1, {"email": "doc@hillvalley.edu"}), await erase(1), await erase(7)):
        assert_problem(response.status, response.headers, body, status=409, kind="contact-not-live")


@pytest.mark.parametrize(("body", "kind"), [
    ({"email": "doc@hillvalley.edu", "phoneNumber": "111"}, "invalid-body"), ({}, "missing-identifier"),
    ({"email": "nope"}, "invalid-field"),
])
async def test_removal_needs_exactly_one_valid_identifier(remove, identify, pool, body, kind):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "111"})
    events_before = await pool.fetchval("SELECT count(*) FROM identity_event")

    response, answer = await remove(1, body)

    assert_problem(response.status, response.headers, answer, status=400, kind=kind)
    assert await pool.fetchval("SELECT count(*) FROM identity_event") == events_before


async def test_erasure_removes_every_value_from_the_whole_database(erase, wrongly_joined, pool):
    response, body = await erase(2)

    assert response.status == 200
    assert body == {"erased": {"primaryContactId": 1, "contactIds": [1, 2, 3]}}
    everything = await every_row_of_every_table(pool)
    for value in ("marty", "jennifer", "hillvalley"):
        assert value not in everything
    for phone in ("555", "888"):  # as a value of its own, not inside a hash's hex digits
        assert not re.search(rf"(?<![0-9a-f]){phone}(?![0-9a-f])", everything)
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0


async def every_row_of_every_table(pool) -> str:
    tables = await pool.fetch(
        "SELECT quote_ident(table_name) AS name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
    rows = []
    for table in tables:
        rows += [row[0] for row in await pool.fetch(f"SELECT t::text FROM {table['name']} AS t")]
    return "\n".join(rows)


async def test_erasure_keeps_an_erased_event_and_the_keyed_hashes_of_the_values(erase, wrongly_joined, pool):
    await erase(3)

    assert await pool.fetchrow("SELECT kind, contact_ids, customer_id FROM identity_event"
                               " ORDER BY id DESC LIMIT 1") == ("erased", [1, 2, 3], 1)
    expected = {hmac.new(TEST_SUPPRESSION_KEY.encode(), identifier.encode(), hashlib.sha256).digest()
                for identifier in ("email:marty@hillvalley.edu", "email:jennifer@hillvalley.edu",
                                   "phone:555", "phone:888")}
    assert {row[0] for row in await pool.fetch("SELECT identifier_hmac FROM erased_identifier")} == expected


async def test_identify_after_erasure_is_a_new_customer(erase, identify, wrongly_joined):
    await erase(1)

    status, body = await identify({"email": "marty@hillvalley.edu", "phoneNumber": "555"})

    assert status == 200
    assert body["contact"]["primaryContactId"] == 4
    assert body["contact"]["secondaryContactIds"] == []


async def test_changes_need_the_admin_scope(client, read_headers, wrongly_joined, pool):
    removal = await client.post("/customers/1/remove-identifier", json={"phoneNumber": "555"}, headers=read_headers)
    erasure = await client.delete("/customers/1", headers=read_headers)

    assert (removal.status, erasure.status) == (403, 403)
    assert await pool.fetchval("SELECT count(*) FROM contact") == 3


async def test_erasing_a_customer_with_more_values_than_the_lock_table_holds_is_a_clear_503_writing_nothing(
        erase, pool):
    # Well over what PostgreSQL's shared lock table holds: max_locks_per_transaction per server
    # process (connections, autovacuum and other workers) and prepared transaction.
    lock_table_slots = await pool.fetchval(
        "SELECT current_setting('max_locks_per_transaction')::int"
        " * (current_setting('max_connections')::int + current_setting('autovacuum_max_workers')::int"
        "    + current_setting('max_worker_processes')::int + current_setting('max_wal_senders')::int"
        "    + current_setting('max_prepared_transactions')::int + 1)")
    contacts = 2 * lock_table_slots  # each with its own email and phone: four times the table
    await pool.execute(
        "WITH first AS (INSERT INTO contact (email, phone_number) VALUES ('giant0@lock.test', '70') RETURNING id)"
        " INSERT INTO contact (email, phone_number, linked_id)"
        " SELECT 'giant' || k || '@lock.test', '7' || k, first.id FROM first, generate_series(1, $1::int - 1) AS k",
        contacts)

    response, body = await erase(1)

    assert_problem(response.status, response.headers, body, status=503, kind="customer-too-large-to-lock")
    assert "max_locks_per_transaction" in body["detail"]
    assert await pool.fetchval("SELECT count(*) FROM contact WHERE deleted_at IS NULL") == contacts
    assert await pool.fetchval("SELECT count(*) FROM erased_identifier") == 0


async def test_erasing_with_another_suppression_key_than_the_list_was_written_with_is_a_503_erasing_nothing(
        erase, wrongly_joined, pool):
    other_key_check = hmac.new(b"another key", b"suppression-key-check", hashlib.sha256).digest()
    await pool.execute("INSERT INTO suppression_key_check (key_check) VALUES ($1)", other_key_check)

    response, body = await erase(1)

    assert_problem(response.status, response.headers, body, status=503, kind="suppression-key-mismatch")
    assert await pool.fetchval("SELECT count(*) FROM contact") == 3
    assert await pool.fetchval("SELECT count(*) FROM erased_identifier") == 0


async def test_the_first_erasure_records_which_key_the_list_is_written_with(erase, wrongly_joined, pool):
    await erase(1)

    assert await pool.fetchval("SELECT key_check FROM suppression_key_check") == hmac.new(
        TEST_SUPPRESSION_KEY.encode(), b"suppression-key-check", hashlib.sha256).digest()
