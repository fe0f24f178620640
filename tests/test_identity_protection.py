"""Protecting the identity graph: blocked values are treated as absent, a change that would take a
customer over a cap is refused, a value refused often enough is blocked on its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest

from service.app import create_app

from .conftest import PROJECT_ROOT, settings_with


async def default_blocked_values(pool) -> list[tuple[str, str]]:
    rows = await pool.fetch("SELECT kind, value FROM blocked_identifier WHERE source = 'default' ORDER BY kind, value")
    return [(row["kind"], row["value"]) for row in rows]


async def test_every_default_blocked_value_is_ignored_and_not_stored(service, pool):
    post = await service()
    blocked = await default_blocked_values(pool)
    assert len(blocked) >= 8

    for n, (kind, value) in enumerate(blocked):
        field = "email" if kind == "email" else "phoneNumber"
        body = {"email": value, "phoneNumber": f"55501{n}"} if kind == "email" else \
            {"email": f"buyer{n}@hillvalley.edu", "phoneNumber": value}
        status, headers, answer = await post(body)

        assert status == 200
        assert headers["Identity-Ignored"] == field
        assert value not in answer["contact"]["emails"] + answer["contact"]["phoneNumbers"]
    assert await pool.fetchval("SELECT count(*) FROM contact WHERE email = ANY ($1) OR phone_number = ANY ($1)",
                               [value for _, value in blocked]) == 0


async def test_a_blocked_email_does_not_glue_two_customers(service):
    post = await service()

    _, _, first = await post({"email": "test@test.com", "phoneNumber": "5550101"})
    _, _, second = await post({"email": "test@test.com", "phoneNumber": "5550102"})

    assert first["contact"]["primaryContactId"] != second["contact"]["primaryContactId"]


async def test_only_blocked_values_is_a_422_naming_the_field(service, pool):
    post = await service()

    status, headers, problem = await post({"email": "Test@Test.com", "phoneNumber": None})

    assert status == 422
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Identity-Ignored"] == "email"
    assert problem["type"] == "urn:identity-service:problem:blocked-identifier"
    assert problem["field"] == "email"
    assert "blocked" in problem["detail"]
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0


async def test_two_blocked_values_name_both_in_the_header(service):
    post = await service()

    status, headers, problem = await post({"email": "none@none.com", "phoneNumber": "000-000-0000"})

    assert (status, headers["Identity-Ignored"], problem["field"]) == (422, "email, phoneNumber", "email")


async def customer_emails(pool) -> list[int]:
    """The number of distinct emails of every customer, largest first."""
    rows = await pool.fetch(
        "SELECT count(DISTINCT email) AS emails FROM contact WHERE deleted_at IS NULL"
        " GROUP BY coalesce(linked_id, id) ORDER BY 1 DESC")
    return [row["emails"] for row in rows]


async def test_a_junk_phone_with_500_distinct_emails_builds_no_giant_customer(service, pool):
    post = await service()

    for n in range(500):
        status, _, _ = await post({"email": f"buyer{n}@shop.test", "phoneNumber": "4155550199"})
        assert status == 200

    sizes = await customer_emails(pool)
    assert max(sizes) == 50
    assert sum(sizes) == 500 - 3  # the three refused requests created nothing; after them the phone is blocked


@pytest.mark.parametrize(("cap", "setting", "first_over"), [
    ("MAX_EMAILS_PER_CUSTOMER", {"MAX_EMAILS_PER_CUSTOMER": "3"},
     lambda n: {"email": f"e{n}@shop.test", "phoneNumber": "5550100"}),
    ("MAX_PHONES_PER_CUSTOMER", {"MAX_PHONES_PER_CUSTOMER": "3"},
     lambda n: {"email": "one@shop.test", "phoneNumber": f"555010{n}"}),
    ("MAX_CONTACTS_PER_CUSTOMER", {"MAX_CONTACTS_PER_CUSTOMER": "3"},
     lambda n: {"email": f"e{n}@shop.test" if n % 2 else "one@shop.test", "phoneNumber": f"555010{n // 2}"}),
])
async def test_each_cap_admits_the_customer_up_to_it_and_refuses_one_more(service, pool, cap, setting, first_over):
    post = await service(**setting)
    answers = [await post(first_over(n)) for n in range(3)]
    assert all(status == 200 and "Identity-Guardrail" not in headers for status, headers, _ in answers)
    contacts_before = await pool.fetchval("SELECT count(*) FROM contact")

    status, headers, answer = await post(first_over(3))

    assert status == 200
    assert headers["Identity-Guardrail"] == cap
    assert answer == answers[-1][2]
    assert await pool.fetchval("SELECT count(*) FROM contact") == contacts_before


async def test_a_merge_over_a_cap_answers_the_customer_of_the_oldest_contact_matched(service, pool):
    post = await service(MAX_EMAILS_PER_CUSTOMER="3")
    await post({"email": "doc@hillvalley.edu", "phoneNumber": "5550100"})
    _, _, older = await post({"email": "emmett@hillvalley.edu", "phoneNumber": "5550100"})
    await post({"email": "marty@hillvalley.edu", "phoneNumber": "5550200"})
    _, _, newer = await post({"email": "mcfly@hillvalley.edu", "phoneNumber": "5550200"})

    status, headers, answer = await post({"email": "mcfly@hillvalley.edu", "phoneNumber": "5550100"})

    assert headers["Identity-Guardrail"] == "MAX_EMAILS_PER_CUSTOMER"
    assert answer == older
    assert newer["contact"]["primaryContactId"] == 3
    assert await pool.fetchval("SELECT count(*) FROM contact WHERE linked_id IS NULL") == 2


async def test_a_refusal_is_counted_in_metrics_and_recorded_in_the_audit_trail(service, pool):
    post = await service(MAX_PHONES_PER_CUSTOMER="1")
    await post({"email": "doc@hillvalley.edu", "phoneNumber": "5550100"})

    await post({"email": "doc@hillvalley.edu", "phoneNumber": "5550101"})

    metrics = await (await post.client.get("/metrics")).text()
    assert 'identity_guardrail_refusals_total{cap="MAX_PHONES_PER_CUSTOMER"} 1.0' in metrics
    event = await pool.fetchrow("SELECT kind, contact_ids, customer_id FROM identity_event ORDER BY id DESC LIMIT 1")
    assert (event["kind"], list(event["contact_ids"]), event["customer_id"]) == ("guardrail_refused", [1], 1)


async def test_a_value_refused_auto_block_after_times_is_blocked_with_source_auto(service, pool, caplog):
    post = await service(MAX_EMAILS_PER_CUSTOMER="1", AUTO_BLOCK_AFTER="3")
    await post({"email": "first@shop.test", "phoneNumber": "5550100"})
    for n in range(3):
        _, headers, _ = await post({"email": f"next{n}@shop.test", "phoneNumber": "5550100"})
        assert headers["Identity-Guardrail"] == "MAX_EMAILS_PER_CUSTOMER"

    status, headers, answer = await post({"email": "later@shop.test", "phoneNumber": "5550100"})

    assert await pool.fetchval("SELECT source FROM blocked_identifier WHERE kind = 'phone' AND value = '5550100'") \
        == "auto"
    assert (status, headers["Identity-Ignored"]) == (200, "phoneNumber")
    assert answer["contact"]["emails"] == ["later@shop.test"]
    assert any("after 3 guardrail refusals" in record.getMessage() for record in caplog.records)
    assert not any("5550100" in record.getMessage() for record in caplog.records)


async def test_concurrent_load_with_low_caps_keeps_check_clean(aiohttp_client, database_url, pool):
    settings = settings_with(database_url, MAX_EMAILS_PER_CUSTOMER="4", MAX_PHONES_PER_CUSTOMER="4",
                             MAX_CONTACTS_PER_CUSTOMER="6", AUTO_BLOCK_AFTER="1000")
    client = await aiohttp_client(create_app(settings, pool=pool))
    requests = [{"email": f"e{n % 13}@shop.test", "phoneNumber": f"555{n % 7}"} for n in range(300)]
    refused = []

    async def worker(offset: int) -> None:
        for request in requests[offset::8]:
            response = await client.post("/identify", json=request)
            assert response.status == 200
            refused.append("Identity-Guardrail" in response.headers)

    await asyncio.gather(*(worker(offset) for offset in range(8)))

    assert any(refused)
    assert max(await customer_emails(pool)) <= 4
    check = subprocess.run([sys.executable, "run.py", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                           env={**os.environ, "DATABASE_URL": database_url}, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
