"""Managing the blocked values: `run.py blocklist add|remove|list` and /blocklist/{kind}/{value} (scope admin)."""

from __future__ import annotations

import os
import subprocess
import sys

from .conftest import PROJECT_ROOT


def blocklist_command(database_url: str, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", "blocklist", *arguments], cwd=PROJECT_ROOT, capture_output=True,
                          text=True, env={**os.environ, "DATABASE_URL": database_url}, timeout=60)


async def test_blocklist_add_makes_identify_ignore_the_value_and_remove_lifts_it(database_url, identify, pool):
    added = blocklist_command(database_url, "add", "phone", "(415) 555-0199", "--reason", "the store's own phone")
    assert added.returncode == 0, added.stderr
    assert "blocked phone 4155550199" in added.stdout

    status, _ = await identify({"phoneNumber": "415.555.0199"})
    assert status == 422

    removed = blocklist_command(database_url, "remove", "phone", "4155550199")
    assert removed.returncode == 0, removed.stderr
    status, _ = await identify({"phoneNumber": "415.555.0199"})
    assert status == 200


async def test_blocklist_list_shows_the_defaults_and_filters_by_source(database_url, pool):
    every = blocklist_command(database_url, "list")
    admin_only = blocklist_command(database_url, "list", "--source", "admin")

    assert "test@test.com" in every.stdout and "0000000000" in every.stdout
    assert "test@test.com" not in admin_only.stdout


def test_blocklist_remove_of_a_value_not_blocked_fails(database_url):
    removed = blocklist_command(database_url, "remove", "email", "nobody@hillvalley.edu")

    assert removed.returncode == 1
    assert "not blocked" in removed.stderr


async def test_put_blocks_get_reads_and_delete_unblocks_a_value(client, admin_headers, identify):
    put = await client.put("/blocklist/email/Front.Desk@Shop.test", json={"reason": "the shop's own address"},
                           headers=admin_headers)
    assert put.status == 200
    assert (await put.json())["value"] == "front.desk@shop.test"
    got = await client.get("/blocklist/email/front.desk@shop.test", headers=admin_headers)
    assert (await got.json())["source"] == "admin"
    assert (await identify({"email": "front.desk@shop.test"}))[0] == 422

    deleted = await client.delete("/blocklist/email/front.desk@shop.test", headers=admin_headers)

    assert deleted.status == 200
    assert (await client.get("/blocklist/email/front.desk@shop.test", headers=admin_headers)).status == 404
    assert (await identify({"email": "front.desk@shop.test"}))[0] == 200


async def test_blocklist_endpoints_need_an_admin_key(client, read_headers):
    without_key = await client.get("/blocklist/email/test@test.com")
    with_read_key = await client.get("/blocklist/email/test@test.com", headers=read_headers)

    assert (without_key.status, with_read_key.status) == (401, 403)


async def test_an_unknown_kind_is_a_400_naming_it(client, admin_headers):
    response = await client.get("/blocklist/fax/123456", headers=admin_headers)

    assert response.status == 400
    assert (await response.json())["field"] == "kind"


async def test_removing_an_auto_blocked_value_forgets_its_refusals(service, pool, client, admin_headers):
    post = await service(MAX_EMAILS_PER_CUSTOMER="1", AUTO_BLOCK_AFTER="2")
    await post({"email": "first@shop.test", "phoneNumber": "5550100"})
    for n in range(2):
        await post({"email": f"next{n}@shop.test", "phoneNumber": "5550100"})
    assert (await (await client.get("/blocklist/phone/5550100", headers=admin_headers)).json())["source"] == "auto"

    await client.delete("/blocklist/phone/5550100", headers=admin_headers)
    _, headers, _ = await post({"email": "again@shop.test", "phoneNumber": "5550100"})

    assert headers["Identity-Guardrail"] == "MAX_EMAILS_PER_CUSTOMER"
    assert (await client.get("/blocklist/phone/5550100", headers=admin_headers)).status == 404
