"""Bad input gets a clear 4xx problem+json answer naming what is wrong, and writes nothing."""

from __future__ import annotations

import json

import pytest

from .assertions import assert_problem, contact_count

INVALID_BODIES = [
    # (id, raw body, problem kind, field)
    ("not json", b"{email: 'x'}", "invalid-json", None),
    ("truncated json", b'{"email": "a@b.c"', "invalid-json", None),
    ("empty body", b"", "invalid-json", None),
    ("invalid utf-8", b'{"email": "\xff@b.c"}', "invalid-json", None),
    ("very deep nesting", b"[" * 30_000 + b"]" * 30_000, "invalid-json", None),
    ("array body", b'["a@b.c"]', "invalid-body", None),
    ("string body", b'"a@b.c"', "invalid-body", None),
    ("number body", b"123456", "invalid-body", None),
    ("null body", b"null", "invalid-body", None),
    ("empty object", b"{}", "missing-identifier", None),
    ("both null", b'{"email": null, "phoneNumber": null}', "missing-identifier", None),
    ("both blank", b'{"email": "  ", "phoneNumber": " "}', "missing-identifier", None),
    ("email boolean", b'{"email": true}', "invalid-field", "email"),
    ("email number", b'{"email": 12}', "invalid-field", "email"),
    ("email array", b'{"email": ["a@b.c"]}', "invalid-field", "email"),
    ("email object", b'{"email": {"a": "b"}}', "invalid-field", "email"),
    ("email without at", b'{"email": "lorraine.hillvalley.edu"}', "invalid-field", "email"),
    ("email with two ats", b'{"email": "a@b@c.edu"}', "invalid-field", "email"),
    ("email empty local part", b'{"email": "@hillvalley.edu"}', "invalid-field", "email"),
    ("email empty domain", b'{"email": "lorraine@"}', "invalid-field", "email"),
    ("email inner space", b'{"email": "lor raine@hillvalley.edu"}', "invalid-field", "email"),
    ("email control character", b'{"email": "lorraine\\u0007@hillvalley.edu"}', "invalid-field", "email"),
    ("email 255 characters", json.dumps({"email": "a" * 243 + "@example.com"}).encode(), "invalid-field", "email"),
    ("email NUL", b'{"email": "a\\u0000@b.c"}', "invalid-field", "email"),
    ("phone boolean", b'{"phoneNumber": true}', "invalid-field", "phoneNumber"),
    ("phone fraction", b'{"phoneNumber": 1.5}', "invalid-field", "phoneNumber"),
    ("phone array", b'{"phoneNumber": ["123"]}', "invalid-field", "phoneNumber"),
    ("phone object", b'{"phoneNumber": {"n": "123"}}', "invalid-field", "phoneNumber"),
    ("phone negative", b'{"phoneNumber": -123456}', "invalid-field", "phoneNumber"),
    ("phone huge integer", b'{"phoneNumber": 123456789012345678901}', "invalid-field", "phoneNumber"),
    ("phone letters", b'{"phoneNumber": "12ab34"}', "invalid-field", "phoneNumber"),
    ("phone two pluses", b'{"phoneNumber": "++123"}', "invalid-field", "phoneNumber"),
    ("phone inner plus", b'{"phoneNumber": "12+34"}', "invalid-field", "phoneNumber"),
    ("phone only separators", b'{"phoneNumber": "-()-"}', "invalid-field", "phoneNumber"),
    ("phone 21 digits", b'{"phoneNumber": "123456789012345678901"}', "invalid-field", "phoneNumber"),
    ("phone non-ascii digits", '{"phoneNumber": "١٢٣"}'.encode(), "invalid-field", "phoneNumber"),
    ("phone NUL", b'{"phoneNumber": "12\\u00003"}', "invalid-field", "phoneNumber"),
    ("NUL in an unknown field", b'{"email": "a@b.c", "note": "x\\u0000"}', "invalid-field", None),
]


@pytest.mark.parametrize(("body", "kind", "field"), [case[1:] for case in INVALID_BODIES],
                         ids=[case[0] for case in INVALID_BODIES])
async def test_invalid_body_is_rejected_with_400_naming_the_problem(client, pool, body, kind, field):
    response = await client.post("/identify", data=body, headers={"Content-Type": "application/json"})

    problem = await response.json(content_type=None)
    assert_problem(response.status, response.headers, problem, status=400, kind=kind)
    assert problem.get("field") == field
    if field:
        assert field in problem["detail"] or "NUL" in problem["detail"]
    assert await contact_count(pool) == 0


async def test_email_of_254_characters_is_accepted(identify):
    email = "a" * 242 + "@example.com"

    status, body = await identify({"email": email})

    assert status == 200
    assert body["contact"]["emails"] == [email]


async def test_phone_of_20_digits_is_accepted(identify):
    status, body = await identify({"phoneNumber": "+12345678901234567890"})

    assert status == 200
    assert body["contact"]["phoneNumbers"] == ["+12345678901234567890"]


async def test_body_over_64_kib_is_rejected_with_413(client, pool):
    body = json.dumps({"email": "a@b.c", "padding": "x" * 70_000}).encode()

    response = await client.post("/identify", data=body, headers={"Content-Type": "application/json"})

    assert_problem(response.status, response.headers, await response.json(content_type=None),
                   status=413, kind="payload-too-large")
    assert await contact_count(pool) == 0


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
async def test_other_methods_on_identify_get_405_with_allow(client, method):
    response = await client.request(method, "/identify")

    assert_problem(response.status, response.headers, await response.json(content_type=None),
                   status=405, kind="method-not-allowed")
    assert response.headers["Allow"] == "POST"


@pytest.mark.parametrize("path", ["/", "/identify/", "/contacts", "/identify/1"])
async def test_unknown_path_gets_404_problem(client, path):
    response = await client.post(path, json={"email": "a@b.c"})

    assert_problem(response.status, response.headers, await response.json(content_type=None),
                   status=404, kind="not-found")


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_body_that_is_not_declared_json_gets_415(client, pool, content_type):
    headers = {"Content-Type": content_type} if content_type else {}

    response = await client.post("/identify", data=b'{"email": "a@b.c"}', headers=headers,
                                 skip_auto_headers=["Content-Type"])

    assert_problem(response.status, response.headers, await response.json(content_type=None),
                   status=415, kind="unsupported-media-type")
    assert await contact_count(pool) == 0


async def test_json_with_charset_parameter_is_accepted(client):
    response = await client.post(
        "/identify", data=b'{"email": "a@b.c"}', headers={"Content-Type": "application/json; charset=utf-8"}
    )

    assert response.status == 200


async def test_sql_in_a_value_is_stored_literally(identify, pool):
    email = "robert');drop/**/table/**/contact;--@students.edu"

    status, body = await identify({"email": email})

    assert status == 200
    assert await pool.fetchval("SELECT email FROM contact") == email
