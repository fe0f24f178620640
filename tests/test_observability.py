"""Health, readiness, metrics and the access log, as an operator sees them."""

from __future__ import annotations

import json
import logging

import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.errors import TYPE_PREFIX
from service.logs import JsonFormatter, mask_identifiers


def samples(metrics_text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(metrics_text)
        for sample in family.samples
    }


async def test_healthz_answers_ok(client):
    response = await client.get("/healthz")

    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_readyz_answers_ready_on_a_migrated_database(client):
    response = await client.get("/readyz")

    assert response.status == 200
    assert await response.json() == {"status": "ready"}


async def test_readyz_answers_503_while_a_migration_is_pending(client, monkeypatch):
    monkeypatch.setattr("service.health.migration_ids", lambda: frozenset({"0001.create-contact", "0002.future"}))

    response = await client.get("/readyz")

    assert response.status == 503
    problem = await response.json(content_type="application/problem+json")
    assert problem["type"] == TYPE_PREFIX + "not-ready"
    assert "0002.future" in problem["detail"]


async def test_readyz_answers_503_when_the_database_is_unreachable(aiohttp_client, settings):
    unreachable = await asyncpg.create_pool("postgresql://postgres@127.0.0.1:1/postgres", min_size=0)
    client = await aiohttp_client(create_app(settings, pool=unreachable))

    response = await client.get("/readyz")

    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    assert (await response.json(content_type="application/problem+json"))["type"] == TYPE_PREFIX + "not-ready"
    await unreachable.close()


async def test_identify_while_the_database_is_unreachable_gets_503_with_retry_after(aiohttp_client, settings):
    unreachable = await asyncpg.create_pool("postgresql://postgres@127.0.0.1:1/postgres", min_size=0)
    client = await aiohttp_client(create_app(settings, pool=unreachable))

    response = await client.post("/identify", json={"email": "doc@hillvalley.edu"})

    assert response.status == 503
    assert response.headers["Retry-After"] == "1"
    problem = await response.json(content_type="application/problem+json")
    assert problem["type"] == TYPE_PREFIX + "database-unavailable"
    await unreachable.close()


async def test_metrics_count_requests_outcomes_and_pool_in_prometheus_format(client):
    await client.post("/identify", json={"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await client.post("/identify", json={"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})
    await client.post("/identify", json={"email": "george@hillvalley.edu", "phoneNumber": "717171"})
    await client.post("/identify", json={"email": "george@hillvalley.edu", "phoneNumber": "555"})
    await client.post("/identify", json={"email": "george@hillvalley.edu"})
    await client.post("/identify", json={})
    await client.get("/no/such/path")

    response = await client.get("/metrics")

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    values = samples(await response.text())
    assert values[("identity_http_requests_total", (("method", "POST"), ("route", "/identify"), ("status", "200")))] == 5
    assert values[("identity_http_requests_total", (("method", "POST"), ("route", "/identify"), ("status", "400")))] == 1
    assert values[("identity_http_requests_total", (("method", "GET"), ("route", "unmatched"), ("status", "404")))] == 1
    for outcome, count in (("created_primary", 2), ("merged", 1), ("created_secondary", 1), ("unchanged", 1)):
        assert values[("identity_identify_outcomes_total", (("outcome", outcome),))] == count
    assert values[("identity_http_request_duration_seconds_count", (("route", "/identify"),))] == 6
    assert ("identity_identify_retries_total", ()) in values
    assert values[("identity_db_pool_connections", ())] >= 1
    assert ("identity_db_pool_connections_in_use", ()) in values


async def test_request_id_is_echoed_when_given(client):
    response = await client.post("/identify", json={"email": "doc@hillvalley.edu"},
                                 headers={"X-Request-ID": "checkout-42"})

    assert response.headers["X-Request-ID"] == "checkout-42"


@pytest.mark.parametrize("offered", [None, "", "has spaces", "x" * 129])
async def test_request_id_is_made_up_when_absent_or_unusable(client, offered):
    headers = {} if offered is None else {"X-Request-ID": offered}

    response = await client.get("/healthz", headers=headers)

    assert len(response.headers["X-Request-ID"]) == 32
    assert response.headers["X-Request-ID"] != offered


async def test_each_request_logs_one_json_line_with_id_method_path_status_and_duration(client, caplog):
    caplog.set_level(logging.INFO, logger="service.access")

    await client.post("/identify", json={"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"},
                      headers={"X-Request-ID": "abc-1"})

    [record] = [record for record in caplog.records if record.name == "service.access"]
    line = json.loads(JsonFormatter().format(record))
    assert {key: line[key] for key in ("request_id", "method", "path", "status")} == {
        "request_id": "abc-1", "method": "POST", "path": "/identify", "status": 200,
    }
    assert line["duration_ms"] > 0


async def test_logs_never_show_emails_or_phone_numbers_in_the_clear(client, caplog):
    caplog.set_level(logging.DEBUG)

    await client.post("/identify", json={"email": "lorraine@hillvalley.edu", "phoneNumber": "5551234567"})
    await client.get("/lorraine@hillvalley.edu/5551234567")

    written = "\n".join(JsonFormatter().format(record) for record in caplog.records)
    assert "lorraine@hillvalley.edu" not in written
    assert "5551234567" not in written
    assert "l***@h***" in written


@pytest.mark.parametrize(("text", "masked"), [
    ("lorraine@hillvalley.edu", "l***@h***"),
    ("email=biff@x.io, phone=+1 (555) 123-4567", "email=b***@x***, phone=***67"),
    ("GET /marty@hillvalley.edu/5551234567", "GET /m***@h***/***67"),
    ("127.0.0.1 aiohttp/3.14.5 took 12 ms", "127.0.0.1 aiohttp/3.14.5 took 12 ms"),
])
def test_masking_hides_identifiers_and_leaves_other_text(text, masked):
    assert mask_identifiers(text) == masked
