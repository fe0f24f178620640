"""`run.py import` protects the identity graph as /identify does: phone numbers in E.164, blocked
values treated as absent, erased customers' history skipped, and customers kept within the caps
(a customer the import would take over one is left out whole)."""

from __future__ import annotations

import csv
import io
import multiprocessing
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest

from service.customers import erase
from service.file_hashes import file_identifier_hasher
from service.guardrails import Guardrails
from service.import_progress import ImportProgress
from service.importer import ErasedWhilePlanning, ImportRules, RejectsFile, SuppressionKeyMissing, import_orders
from service.order_file import RejectedAs, read_orders
from service.suppression import SuppressionKeyMismatch, identifier_hmacs, key_check

from .conftest import TEST_SUPPRESSION_KEY, settings_with
from .test_import import (  # noqa: F401  (connection is a fixture)
    DEFAULT_RULES, IMPORTED_AT, PROTECTED_RULES, as_csv, connection, failing_disk, protected_orders, run_import,
    table_rows)

US_RULES = replace(DEFAULT_RULES, phone_region="US")
HEADER = "email,phoneNumber,createdAt\n"


def rejects_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))[1:]


def with_caps(emails: int = 1000, phones: int = 1000, contacts: int = 1000):
    return replace(DEFAULT_RULES, guardrails=Guardrails(max_emails=emails, max_phones=phones, max_contacts=contacts,
                                                        auto_block_after=3))


async def record_an_erasure(pool, emails: list[str], phones: list[str]) -> None:
    for erased in identifier_hmacs(TEST_SUPPRESSION_KEY.encode(), emails, phones):
        await pool.execute("INSERT INTO erased_identifier (identifier_hmac, erased_at) VALUES ($1, now())", erased)


async def test_spellings_of_one_number_import_as_one_customer_in_e164(connection, statements, pool):
    await run_import(connection, statements, HEADER + "doc@hillvalley.edu,+1 (415) 555-0100,2015-10-21T16:29:00Z\n"
                                                      "marty@hillvalley.edu,415-555-0100,2015-10-21T16:30:00Z\n"
                                                      "biff@hillvalley.edu,4155550100,2015-10-21T16:31:00Z\n",
                     rules=US_RULES)

    assert [(row[2], row[3]) for row in await table_rows(pool)] == [("+14155550100", None), ("+14155550100", 1),
                                                                    ("+14155550100", 1)]


def test_a_number_the_file_repeats_is_read_the_same_on_every_line_valid_or_not():
    # read_orders remembers each distinct number's reading (libphonenumber is slow); every
    # line must still get its own order, with the number's own reading.
    text = HEADER + "".join(f"{email}@hillvalley.edu,{phone},\n" for email, phone in (
        ("doc", "415-555-0100"), ("marty", "555-0100"), ("biff", "(415) 555-0100"), ("lorraine", "555-0100"),
        ("george", "415-555-0100")))

    orders = list(read_orders(io.StringIO(text, newline=""), IMPORTED_AT, "US"))

    valid = ("+14155550100", "4155550100", None)
    invalid = (None, "5550100", "phoneNumber is not a valid number of region US: no number there is assigned "
                                "with this prefix.")
    assert [(order[0], order[1], *order[2:5]) for order in orders] == [
        (2, "doc@hillvalley.edu", *valid), (3, "marty@hillvalley.edu", *invalid),
        (4, "biff@hillvalley.edu", *valid), (5, "lorraine@hillvalley.edu", *invalid),
        (6, "george@hillvalley.edu", *valid)]


async def test_a_phone_of_no_number_of_the_region_is_rejected_with_why(connection, statements, pool):
    summary, rejects = await run_import(connection, statements, HEADER + "marty@hillvalley.edu,555-0100,\n",
                                        rules=US_RULES)

    assert rejects_of(rejects) == [
        ["2", "phoneNumber is not a valid number of region US: no number there is assigned with this prefix."]]
    assert summary.rejected[RejectedAs.INVALID] == 1
    assert await table_rows(pool) == []


async def test_a_blocked_email_is_imported_as_absent_and_glues_nothing(connection, statements, pool):
    await run_import(connection, statements, HEADER + "TEST@test.com,5550101,\ntest@test.com,5550102,\n")

    assert [(row[1], row[2], row[3]) for row in await table_rows(pool)] == [(None, "5550101", None),
                                                                            (None, "5550102", None)]


async def test_a_blocked_phone_is_ignored_even_when_it_is_no_number_of_the_region(connection, statements, pool):
    summary, _ = await run_import(connection, statements, HEADER + "doc@hillvalley.edu,000-000-0000,\n",
                                  rules=US_RULES)

    assert summary.rejected_count == 0
    assert [(row[1], row[2]) for row in await table_rows(pool)] == [("doc@hillvalley.edu", None)]


async def test_a_value_blocked_by_an_operator_is_taken_out_in_its_e164_form(connection, statements, pool):
    await pool.execute("INSERT INTO blocked_identifier (kind, value, reason, source)"
                       " VALUES ('phone', '+12125550147', 'the store''s own phone', 'admin')")

    await run_import(connection, statements, HEADER + "doc@hillvalley.edu,(212) 555-0147,\n"
                                                      "marty@hillvalley.edu,212.555.0147,\n", rules=US_RULES)

    assert [(row[1], row[2], row[3]) for row in await table_rows(pool)] == [("doc@hillvalley.edu", None, None),
                                                                            ("marty@hillvalley.edu", None, None)]


async def test_an_order_of_blocked_values_only_is_rejected_saying_they_are_blocked(connection, statements, pool):
    summary, rejects = await run_import(connection, statements, HEADER + "test@test.com,0000000000,\n"
                                                                         "none@none.com,,\n")

    assert rejects_of(rejects) == [
        ["2", "The email and the phoneNumber given are blocked values, which cannot identify a customer; "
              "nothing usable was left."],
        ["3", "The email given is a blocked value, which cannot identify a customer; nothing usable was left."]]
    assert summary.rejected[RejectedAs.BLOCKED] == 2
    assert await table_rows(pool) == []


async def test_orders_dated_before_an_erasure_of_their_values_are_skipped_and_later_ones_imported(
        connection, statements, pool, identify):
    await identify({"email": "jennifer@hillvalley.edu", "phoneNumber": "5550199"})
    async with pool.acquire() as erasing:
        await erase(erasing, statements, 1, request_id="dsr-1", max_attempts=1,
                    suppression_key=TEST_SUPPRESSION_KEY.encode())

    summary, rejects = await run_import(connection, statements,
                                        HEADER + "jennifer@hillvalley.edu,,1985-10-26T09:00:00Z\n"
                                                 "marty@hillvalley.edu,5550199,1985-10-26T09:00:00Z\n"
                                                 "jennifer@hillvalley.edu,,2099-01-01T00:00:00Z\n")

    assert [line for line, _ in rejects_of(rejects)] == ["2", "3"]
    assert summary.rejected[RejectedAs.ERASED] == 2
    assert [(row[1], row[2]) for row in await table_rows(pool)] == [("jennifer@hillvalley.edu", None)]


async def test_an_import_that_fails_while_its_values_are_hashed_leaves_no_hashing_process_behind(
        connection, statements, pool):
    await record_an_erasure(pool, ["biff@hillvalley.edu"], [])

    with pytest.raises(OSError), file_identifier_hasher() as hasher:
        await import_orders(connection, statements, read_orders(failing_disk(), IMPORTED_AT, ""),
                            RejectsFile(io.StringIO()), rules=DEFAULT_RULES, dry_run=False,
                            progress=ImportProgress(None, io.StringIO()), hasher=hasher)

    assert multiprocessing.active_children() == []


async def test_an_erased_phone_stored_before_the_region_was_set_is_recognised_in_e164_spelling(
        connection, statements, pool):
    await record_an_erasure(pool, [], ["4155550100"])

    summary, _ = await run_import(connection, statements,
                                  HEADER + "doc@hillvalley.edu,(415) 555-0100,2015-10-21T16:29:00Z\n", rules=US_RULES)

    assert summary.rejected[RejectedAs.ERASED] == 1


async def test_without_the_suppression_key_an_import_against_erased_values_is_refused(connection, statements, pool):
    await record_an_erasure(pool, ["jennifer@hillvalley.edu"], [])

    with pytest.raises(SuppressionKeyMissing):
        await run_import(connection, statements, HEADER + "doc@hillvalley.edu,5550123,\n",
                         rules=replace(DEFAULT_RULES, suppression_key=None))

    assert await table_rows(pool) == []


def rules_with_an_unreadable_key_file(database_url: str, folder: Path) -> ImportRules:
    # A folder where the key file should be: unreadable even for root.
    return ImportRules.from_settings(settings_with(database_url, SUPPRESSION_KEY="", SUPPRESSION_KEY_FILE=str(folder)))


async def test_an_unreadable_key_file_stops_no_import_while_the_suppression_list_is_empty(
        connection, statements, pool, database_url, tmp_path):
    summary, _ = await run_import(connection, statements, HEADER + "doc@hillvalley.edu,5550123,\n",
                                  rules=rules_with_an_unreadable_key_file(database_url, tmp_path))

    assert summary.contacts_created == 1


async def test_with_erased_values_on_record_an_unreadable_key_file_stops_the_import_saying_why(
        connection, statements, pool, database_url, tmp_path):
    await record_an_erasure(pool, ["jennifer@hillvalley.edu"], [])

    with pytest.raises(SuppressionKeyMissing, match=f"{tmp_path}: Is a directory"):
        await run_import(connection, statements, HEADER + "doc@hillvalley.edu,5550123,\n",
                         rules=rules_with_an_unreadable_key_file(database_url, tmp_path))

    assert await table_rows(pool) == []


# Steps of the import's progress: right after the file is read, and just before the lock.
FILE_READ = "read "
BEFORE_THE_LOCK = "waiting for the contact table"


class ErasingAtStep(ImportProgress):
    """Progress that commits an erasure of `identifier` (emails, phones) as the import reaches
    the step whose message begins with `step`."""

    def __init__(self, database_url: str, step: str, identifier: tuple[list[str], list[str]]):
        super().__init__(None, io.StringIO())
        self._database_url = database_url
        self._step = step
        self._identifier = identifier

    def step(self, message: str) -> None:
        super().step(message)
        if message.startswith(self._step):
            [erased] = identifier_hmacs(TEST_SUPPRESSION_KEY.encode(), *self._identifier)
            with psycopg.connect(self._database_url, autocommit=True) as erasing:
                erasing.execute("INSERT INTO erased_identifier (identifier_hmac, erased_at) VALUES (%s, now())",
                                (erased,))


async def import_with_progress(connection, statements, text: str, progress: ImportProgress,
                               rules: ImportRules = DEFAULT_RULES):
    with file_identifier_hasher() as hasher:
        return await import_orders(connection, statements,
                                   read_orders(io.StringIO(text, newline=""), IMPORTED_AT, rules.phone_region),
                                   RejectsFile(io.StringIO()), rules=rules, dry_run=False, progress=progress,
                                   hasher=hasher)


async def test_an_erasure_of_a_planned_order_while_the_import_plans_fails_it_and_writes_nothing(
        connection, statements, pool, database_url):
    with pytest.raises(ErasedWhilePlanning):
        await import_with_progress(connection, statements, HEADER + "doc@hillvalley.edu,5550123,1985-10-26T09:00:00Z\n",
                                   ErasingAtStep(database_url, BEFORE_THE_LOCK, (["doc@hillvalley.edu"], [])))

    assert await table_rows(pool) == []


async def test_an_erasure_of_other_values_while_the_import_plans_lets_it_finish(
        connection, statements, pool, database_url):
    summary = await import_with_progress(
        connection, statements, HEADER + "doc@hillvalley.edu,5550123,1985-10-26T09:00:00Z\n",
        ErasingAtStep(database_url, BEFORE_THE_LOCK, (["jennifer@hillvalley.edu"], [])))

    assert summary.contacts_created == 1


@pytest.fixture(params=[False, True], ids=["list empty as the import begins", "list holding values"])
async def erasures_as_the_import_begins(pool, request) -> None:
    """The suppression list as the import begins: empty, or holding another value. With values
    on it, the import collects the file's values as it reads them and hashes them in Python;
    with none, it hashes them in SQL once erasures appear."""
    if request.param:
        await record_an_erasure(pool, ["jennifer@hillvalley.edu"], [])


@pytest.mark.usefixtures("erasures_as_the_import_begins")
async def test_an_erasure_while_the_file_is_read_rejects_the_orders_dated_before_it(
        connection, statements, pool, database_url):
    summary = await import_with_progress(
        connection, statements, HEADER + "doc@hillvalley.edu,5550123,1985-10-26T09:00:00Z\n"
                                         "marty@hillvalley.edu,5550124,1985-10-26T09:00:00Z\n",
        ErasingAtStep(database_url, FILE_READ, (["doc@hillvalley.edu"], [])))

    assert summary.rejected[RejectedAs.ERASED] == 1
    assert [row[1] for row in await table_rows(pool)] == ["marty@hillvalley.edu"]


@pytest.mark.usefixtures("erasures_as_the_import_begins")
async def test_a_phone_erased_as_typed_is_recognised_under_a_region_however_the_file_is_hashed(
        connection, statements, pool, database_url):
    summary = await import_with_progress(
        connection, statements, HEADER + "doc@hillvalley.edu,(415) 555-0100,2015-10-21T16:29:00Z\n",
        ErasingAtStep(database_url, FILE_READ, ([], ["4155550100"])), rules=US_RULES)

    assert summary.rejected[RejectedAs.ERASED] == 1


def orders_never_read():
    raise AssertionError("the import read the file")
    yield


async def test_with_erased_values_on_record_a_missing_key_stops_the_import_before_it_reads_the_file(
        connection, statements, pool):
    await record_an_erasure(pool, ["jennifer@hillvalley.edu"], [])

    with pytest.raises(SuppressionKeyMissing):
        await import_orders(connection, statements, orders_never_read(), RejectsFile(io.StringIO()),
                            rules=replace(DEFAULT_RULES, suppression_key=None), dry_run=False,
                            progress=ImportProgress(None, io.StringIO()))


# Lines 2 and 3 make a customer exactly at the cap; lines 4 to 6 one just over it.
@pytest.mark.parametrize("caps, lines, too_many", [
    (with_caps(emails=2), ["a@hv.edu,5550001", "b@hv.edu,5550001", "c@hv.edu,5550002", "d@hv.edu,5550002",
                           "e@hv.edu,5550002"], "3 emails, more than MAX_EMAILS_PER_CUSTOMER (2)"),
    (with_caps(phones=2), ["a@hv.edu,5550001", "a@hv.edu,5550002", "c@hv.edu,5550003", "c@hv.edu,5550004",
                           "c@hv.edu,5550005"], "3 phone numbers, more than MAX_PHONES_PER_CUSTOMER (2)"),
    (with_caps(contacts=2), ["a@hv.edu,5550001", "b@hv.edu,5550001", "c@hv.edu,5550002", "d@hv.edu,5550002",
                             "d@hv.edu,5550003"], "3 contacts, more than MAX_CONTACTS_PER_CUSTOMER (2)"),
], ids=["emails", "phones", "contacts"])
async def test_each_cap_admits_a_customer_up_to_it_and_rejects_one_over_it_whole(
        connection, statements, pool, caps, lines, too_many):
    summary, rejects = await run_import(connection, statements, "email,phoneNumber\n" + "\n".join(lines) + "\n",
                                        rules=caps)

    assert rejects_of(rejects) == [[str(line), f"its customer would have {too_many}; nothing of that customer "
                                               "was imported"] for line in (4, 5, 6)]
    assert summary.rejected[RejectedAs.OVER_A_CAP] == 3
    assert [f"{row[1]},{row[2]}" for row in await table_rows(pool)] == lines[:2]


async def test_an_import_that_would_merge_two_customers_over_a_cap_leaves_both_as_they_are(
        connection, statements, pool, identify):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "5550001"})
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "5550002"})
    before = await table_rows(pool)

    summary, _ = await run_import(connection, statements, "email,phoneNumber\ndoc@hillvalley.edu,5550002\n",
                                  rules=with_caps(phones=1))

    assert (summary.rejected[RejectedAs.OVER_A_CAP], summary.customers_merged) == (1, 0)
    assert await table_rows(pool) == before


async def test_a_customer_over_a_lowered_cap_still_takes_orders_that_bring_nothing_new(
        connection, statements, pool, identify):
    for email in ("doc@hillvalley.edu", "marty@hillvalley.edu", "biff@hillvalley.edu"):
        await identify({"email": email, "phoneNumber": "5550001"})

    summary, _ = await run_import(connection, statements, "email,phoneNumber\nmarty@hillvalley.edu,5550001\n",
                                  rules=with_caps(emails=2))

    assert summary.rejected_count == 0


async def test_a_dry_run_rejects_what_the_import_rejects(connection, statements, pool):
    text = as_csv(protected_orders(24, 150))

    dry, dry_rejects = await run_import(connection, statements, text, rules=PROTECTED_RULES, dry_run=True)
    real, real_rejects = await run_import(connection, statements, text, rules=PROTECTED_RULES)

    assert (dry.rejected, dry_rejects, dry.contacts_created) == (real.rejected, real_rejects, real.contacts_created)
    assert dry.rejected[RejectedAs.OVER_A_CAP] > 0


async def test_an_erasure_while_the_import_plans_is_found_when_the_values_were_hashed_before_the_lock(
        connection, statements, pool, database_url):
    await record_an_erasure(pool, ["jennifer@hillvalley.edu"], [])

    with pytest.raises(ErasedWhilePlanning):
        await import_with_progress(connection, statements, HEADER + "doc@hillvalley.edu,5550123,1985-10-26T09:00:00Z\n",
                                   ErasingAtStep(database_url, BEFORE_THE_LOCK, (["doc@hillvalley.edu"], [])))

    assert await table_rows(pool) == []


async def test_an_import_with_another_key_than_the_suppression_list_was_written_with_is_refused(
        connection, statements, pool):
    await record_an_erasure(pool, ["jennifer@hillvalley.edu"], [])
    await pool.execute("INSERT INTO suppression_key_check (key_check) VALUES ($1)", key_check(b"another key"))

    with pytest.raises(SuppressionKeyMismatch):
        await run_import(connection, statements, HEADER + "doc@hillvalley.edu,5550123,\n")

    assert await table_rows(pool) == []
