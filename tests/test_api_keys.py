"""API keys: Bearer secrets checked by scope in one place; 401 and 403 as problem+json."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from service.app import create_app
from service.config import Settings

from .assertions import assert_problem
from .conftest import PROJECT_ROOT, TEST_SUPPRESSION_KEY, create_key


async def get(client, path, headers=None):
    response = await client.get(path, headers=headers or {})
    return response, await response.json(content_type=None)


async def test_customer_endpoint_without_a_key_is_401_with_www_authenticate(client):
    response, body = await get(client, "/customers/1")

    assert_problem(response.status, response.headers, body, status=401, kind="missing-api-key")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_unknown_key_is_401(client):
    response, body = await get(client, "/customers/1", {"Authorization": "Bearer idk_not-a-key"})

    assert_problem(response.status, response.headers, body, status=401, kind="unknown-api-key")
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


async def test_other_authorization_scheme_counts_as_no_key(client, read_headers):
    secret = read_headers["Authorization"].removeprefix("Bearer ")

    response, body = await get(client, "/customers/1", {"Authorization": f"Basic {secret}"})

    assert_problem(response.status, response.headers, body, status=401, kind="missing-api-key")


async def test_revoked_key_is_401(client, pool, statements, read_headers):
    await pool.execute(statements.revoke_api_key.text, "support")

    response, body = await get(client, "/customers/1", read_headers)

    assert_problem(response.status, response.headers, body, status=401, kind="revoked-api-key")


async def test_read_key_on_an_admin_endpoint_is_403(client, read_headers):
    response = await client.delete("/customers/1", headers=read_headers)
    body = await response.json(content_type=None)

    assert_problem(response.status, response.headers, body, status=403, kind="insufficient-scope")
    assert 'scope="admin"' in response.headers["WWW-Authenticate"]


async def test_admin_key_includes_read(client, identify, admin_headers):
    await identify({"email": "lorraine@hillvalley.edu", "phoneNumber": "123456"})

    response, body = await get(client, "/customers/1", admin_headers)

    assert response.status == 200
    assert body["contact"]["primaryContactId"] == 1


async def test_identify_needs_no_key_by_default(identify):
    status, _ = await identify({"email": "lorraine@hillvalley.edu"})

    assert status == 200


async def keyed_client(aiohttp_client, pool, database_url, **settings):
    environ = {"DATABASE_URL": database_url, "SUPPRESSION_KEY": TEST_SUPPRESSION_KEY, **settings}
    return await aiohttp_client(create_app(Settings.from_environ(environ), pool=pool))


async def test_identify_needs_a_key_when_the_setting_says_so(aiohttp_client, pool, database_url, read_headers):
    client = await keyed_client(aiohttp_client, pool, database_url, IDENTIFY_API_KEY_REQUIRED="true")
    request = {"email": "lorraine@hillvalley.edu"}

    without = await client.post("/identify", json=request)
    with_key = await client.post("/identify", json=request, headers=read_headers)

    assert without.status == 401
    assert with_key.status == 200
    assert await pool.fetchval("SELECT count(*) FROM contact") == 1


async def test_metrics_need_a_key_when_the_setting_says_so(aiohttp_client, pool, database_url, read_headers):
    client = await keyed_client(aiohttp_client, pool, database_url, METRICS_API_KEY_REQUIRED="true")

    assert (await client.get("/metrics")).status == 401
    assert (await client.get("/metrics", headers=read_headers)).status == 200
    assert (await client.get("/healthz")).status == 200


async def test_metrics_and_probes_are_open_by_default(client):
    for path in ("/metrics", "/healthz", "/readyz", "/openapi.json"):
        assert (await client.get(path)).status == 200, path


async def test_key_use_is_noted_at_most_once_a_minute(client, pool, read_headers):
    await get(client, "/customers/1", read_headers)
    first = await pool.fetchval("SELECT last_used_at FROM api_key WHERE name = 'support'")

    await get(client, "/customers/1", read_headers)

    assert first is not None
    assert await pool.fetchval("SELECT last_used_at FROM api_key WHERE name = 'support'") == first


async def test_only_the_hash_of_a_secret_is_stored(pool, read_headers):
    secret = read_headers["Authorization"].removeprefix("Bearer ")

    stored = await pool.fetchval("SELECT t::text FROM api_key AS t")

    assert secret not in stored
    assert secret.encode().hex() not in stored


async def test_secret_never_appears_in_the_logs(client, read_headers, caplog):
    secret = read_headers["Authorization"].removeprefix("Bearer ")
    with caplog.at_level(logging.DEBUG):
        await get(client, "/customers/1", read_headers)
        await get(client, "/customers/1", {"Authorization": f"Bearer {secret}x"})

    assert caplog.records
    assert secret not in caplog.text


def run_py(database_url, *arguments):
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "run.py", "keys", *arguments], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


async def test_run_py_keys_create_prints_a_secret_that_works_once_list_never_shows_it(client, database_url):
    created = run_py(database_url, "create", "support-desk", "--scope", "read")
    secret = created.stdout.strip()
    listed = run_py(database_url, "list")

    assert created.returncode == 0, created.stderr
    assert secret.startswith("idk_")
    assert (await client.get("/customers?email=a@b.c", headers={"Authorization": f"Bearer {secret}"})).status == 404
    assert "support-desk" in listed.stdout and "read" in listed.stdout
    assert secret not in listed.stdout + listed.stderr


async def test_run_py_keys_revoke_makes_the_key_fail(client, database_url):
    secret = run_py(database_url, "create", "temp", "--scope", "admin").stdout.strip()

    revoked = run_py(database_url, "revoke", "temp")

    assert revoked.returncode == 0, revoked.stderr
    assert (await client.get("/customers/1", headers={"Authorization": f"Bearer {secret}"})).status == 401


@pytest.mark.parametrize("arguments", [("revoke", "nobody"), ("create", "dup", "--scope", "read")])
async def test_run_py_keys_refuses_an_unknown_or_taken_name(pool, database_url, arguments):
    await create_key(pool, "dup", "read")

    result = run_py(database_url, *arguments)

    assert result.returncode == 1
