"""`run.py renormalize`: stored phone numbers brought to E.164 after DEFAULT_PHONE_REGION is set,
merging the customers that then share a number (oldest wins, audited)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from .conftest import PROJECT_ROOT


def renormalize_command(database_url: str, *arguments: str, region: str = "US") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", "renormalize", *arguments], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "DATABASE_URL": database_url, "DEFAULT_PHONE_REGION": region})


async def two_customers_with_two_spellings_of_one_number(service):
    """Written before the region was set: one number, two spellings, two customers."""
    post = await service()
    await post({"email": "doc@hillvalley.edu", "phoneNumber": "+1 (415) 555-0100"})
    await post({"email": "marty@hillvalley.edu", "phoneNumber": "415-555-0100"})
    await post({"email": "marty@hillvalley.edu", "phoneNumber": "5550000"})  # no number of US: stays


async def test_renormalize_rewrites_to_e164_and_merges_the_customers_that_now_share_a_number(
        service, pool, database_url):
    await two_customers_with_two_spellings_of_one_number(service)

    result = renormalize_command(database_url)

    assert result.returncode == 0, result.stderr
    assert "merged customers 2 into 1" in result.stdout
    assert "1 stored number(s) are no valid number of US" in result.stdout
    rows = await pool.fetch("SELECT id, phone_number, linked_id FROM contact WHERE deleted_at IS NULL ORDER BY id")
    assert [(row["id"], row["phone_number"], row["linked_id"]) for row in rows] == [
        (1, "+14155550100", None), (2, "+14155550100", 1), (3, "5550000", 1)]
    kinds = [row["kind"] for row in await pool.fetch(
        "SELECT kind FROM identity_event WHERE request_id = 'cli:renormalize' ORDER BY id")]
    assert kinds == ["merged", "relinked"]  # customer 2 into 1; its secondary 3 moved along


async def test_after_renormalize_a_new_spelling_finds_the_merged_customer(service, database_url):
    await two_customers_with_two_spellings_of_one_number(service)
    renormalize_command(database_url)
    post = await service(DEFAULT_PHONE_REGION="US")

    _, _, answer = await post({"phoneNumber": "(415) 555 0100"})

    assert answer["contact"]["primaryContactId"] == 1
    assert answer["contact"]["emails"] == ["doc@hillvalley.edu", "marty@hillvalley.edu"]


async def test_renormalize_dry_run_prints_the_merge_and_changes_nothing(service, pool, database_url):
    await two_customers_with_two_spellings_of_one_number(service)
    before = await pool.fetch("SELECT * FROM contact ORDER BY id")

    result = renormalize_command(database_url, "--dry-run")

    assert result.returncode == 0, result.stderr
    assert "would rewrite contacts 2; would merge customers 1, 2" in result.stdout
    assert await pool.fetch("SELECT * FROM contact ORDER BY id") == before


async def test_renormalize_deletes_the_duplicates_it_makes_and_check_stays_clean(service, pool, database_url):
    post = await service()
    await post({"email": "doc@hillvalley.edu", "phoneNumber": "+14155550100"})
    await post({"email": "doc@hillvalley.edu", "phoneNumber": "4155550100"})  # a secondary, the same number

    result = renormalize_command(database_url)

    assert "deleted duplicates 2" in result.stdout
    check = subprocess.run([sys.executable, "run.py", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                           env={**os.environ, "DATABASE_URL": database_url}, timeout=60)
    assert check.returncode == 0, check.stdout


async def test_renormalize_beside_concurrent_identifies_keeps_check_clean(service, pool, database_url):
    post = await service()
    for n in range(40):
        await post({"email": f"buyer{n}@shop.test", "phoneNumber": f"415555{n % 10:02d}{n % 7:02d}"})
        await post({"email": f"buyer{n}@shop.test", "phoneNumber": f"+1 415 555 {n % 10:02d}{n % 7:02d}"})

    async def keep_identifying():
        for n in range(120):
            await post({"email": f"later{n % 30}@shop.test", "phoneNumber": f"415555{n % 10:02d}{n % 7:02d}"})

    renormalizing = asyncio.create_task(asyncio.to_thread(renormalize_command, database_url))
    await keep_identifying()
    result = await renormalizing

    assert result.returncode == 0, result.stderr
    check = subprocess.run([sys.executable, "run.py", "check"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                           env={**os.environ, "DATABASE_URL": database_url}, timeout=60)
    assert check.returncode == 0, check.stdout


async def test_renormalize_deletes_exactly_the_contacts_an_older_member_makes_redundant_ties_broken_by_id(pool):
    """Two customers, every contact created at the same moment (ties go to the smaller id), one
    with no email and one with no phone: after the merge, a contact is deleted when older members
    hold each of its values, and kept when it brings one first."""
    await pool.execute(
        "INSERT INTO contact (id, email, phone_number, linked_id, created_at, updated_at) OVERRIDING SYSTEM VALUE"
        " VALUES (1, 'a@hillvalley.edu', '+14155550100', NULL, '2020-01-01', '2020-01-01'),"
        "        (2, NULL, '4155550100', 1, '2020-01-01', '2020-01-01'),"
        "        (3, 'c@hillvalley.edu', '14155550100', NULL, '2020-01-01', '2020-01-01'),"
        "        (4, 'c@hillvalley.edu', NULL, 3, '2020-01-01', '2020-01-01')")

    result = await pool.fetchrow(
        "SELECT * FROM renormalize_phone_number($1, '+14155550100', 'test', 1000, 1000, 1000)",
        ["4155550100", "14155550100"])

    assert (result["changed_contact_ids"], result["merged_primary_ids"], result["deleted_contact_ids"]) == (
        [2, 3], [3], [2, 4])
    assert [tuple(row) for row in await pool.fetch(
        "SELECT id, linked_id FROM contact WHERE deleted_at IS NULL ORDER BY id")] == [(1, None), (3, 1)]
