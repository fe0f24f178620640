"""`run.py import`: random order files against the one-at-a-time model, row for row, and against
their own audit trail; rejects, idempotence, dry runs, failures, and `run.py export`."""

from __future__ import annotations

import copy
import csv
import io
import json
import random
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import asyncpg
import pytest

from service.file_hashes import file_identifier_hasher
from service.import_progress import ImportProgress
from service.check import violations_in
from service.exporter import write_contacts
from service.guardrails import Guardrails
from service.importer import (IMPORT_SERVER_SETTINGS, CommitInDoubt, ImportRules, ImportSummary, RejectsFile,
                              import_orders)
from service.order_file import RejectedAs, read_orders
from service.suppression import identifier_hmacs

from .conftest import TEST_SUPPRESSION_KEY
from .model import IdentityModel, ModelContact
from .polling import until
from .watched_connection import WatchedConnection

IMPORTED_AT = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
# (as written in the file, normalized); None: the line is rejected for it.
EMAILS = [("doc@hillvalley.edu", "doc@hillvalley.edu"), ("  Marty@HillValley.edu ", "marty@hillvalley.edu"),
          ("marty@hillvalley.edu", "marty@hillvalley.edu"), ("biff@hillvalley.edu", "biff@hillvalley.edu"),
          ("lorraine@hillvalley.edu", "lorraine@hillvalley.edu"), ("GEORGE@hillvalley.edu", "george@hillvalley.edu"),
          ("", None), ("not-an-email", "reject")]
PHONES = [("111", "111"), ("(222) 22", "22222"), ("22222", "22222"), ("333", "333"), ("+44 1", "+441"),
          ("555-5", "5555"), ("", None), ("12a", "reject")]
# Few distinct moments, so that many orders tie and file order decides; some before and
# some after the contacts that /identify writes while a test runs.
MOMENTS = [datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(days=400 * n) for n in range(8)]
# The rules of a deployment with the default settings.
DEFAULT_CAPS = Guardrails(max_emails=50, max_phones=50, max_contacts=1000, auto_block_after=3)
DEFAULT_RULES = ImportRules(phone_region="", guardrails=DEFAULT_CAPS, suppression_key=TEST_SUPPRESSION_KEY.encode())
# A phone's meaning when it is no number of the region: the order is rejected unless it is blocked as typed.
NO_NUMBER_OF_THE_REGION = "no number of the region"


def written_moment(rng: random.Random) -> tuple[str, datetime | None | str]:
    """createdAt as written, and what it means: a moment, None (absent) or "reject"."""
    shape = rng.random()
    if shape < 0.1:
        return "", None
    if shape < 0.14:
        return "last tuesday", "reject"
    if shape < 0.16:
        return "2024-05-01T12:00:00", "reject"  # no offset
    moment = rng.choice(MOMENTS)
    offset = timezone(timedelta(hours=rng.choice([0, 2, -7])))
    return moment.astimezone(offset).isoformat(), moment


def order_row(email: tuple[str, str | None], phone: tuple[str, str | None, str | None],
              moment: tuple[str, datetime | None | str]) -> dict:
    """A row as written, with what it should mean: (email, phone, phone as typed, createdAt), or
    None when it is rejected as it is read. `phone`: (written, normalized, digits as typed)."""
    (email_written, email), (phone_written, phone, typed), (moment_written, moment) = email, phone, moment
    valid = "reject" not in (email, phone, moment) and (email or phone)
    return {"email": email_written, "phoneNumber": phone_written, "createdAt": moment_written,
            "meaning": (email, phone, typed, moment or IMPORTED_AT) if valid else None}


def random_orders(seed: int, count: int) -> list[dict]:
    """Orders over small pools of values, no phone region."""
    rng = random.Random(seed)
    return [order_row(rng.choice(EMAILS), (*phone, phone[1]), written_moment(rng))
            for phone in (rng.choice(PHONES) for _ in range(count))]


def as_csv(rows: list[dict]) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow(["createdAt", "email", "note", "phoneNumber"])  # any order; unknown columns ignored
    for row in rows:
        writer.writerow([row["createdAt"], row["email"], "ignored", row["phoneNumber"]])
    return stream.getvalue()


def as_json_lines(rows: list[dict]) -> str:
    return "".join(json.dumps({key: row[key] for key in ("email", "phoneNumber", "createdAt")}) + "\n"
                   for row in rows)


def feed_model(model: IdentityModel, rows: list[dict], *, caps: Guardrails = DEFAULT_CAPS,
               erased: dict[str, datetime] | None = None) -> dict[int, RejectedAs]:
    """The import's rules on the model: the file's orders one at a time, in createdAt order, file
    order for ties, with the blocked values (model.blocked) taken out, leaving out those the
    import rejects: unusable as read, a phone no number of the region, nothing usable but
    blocked values, dated before an erasure of a value (`erased`: 'email:…' or 'phone:…' to the
    time of the erasure), or of a customer the import would take over a cap. Returns the
    positions of the rows left out, with why."""
    erased = erased or {}
    rejected: dict[int, RejectedAs] = {}
    usable = []
    for position, row in enumerate(rows):
        if row["meaning"] is None:
            rejected[position] = RejectedAs.INVALID
            continue
        email, phone, typed, moment = row["meaning"]
        email, phone = model.usable(email, phone, typed)
        typed = typed if phone is not None else None
        if phone == NO_NUMBER_OF_THE_REGION:
            rejected[position] = RejectedAs.INVALID
        elif email is None and phone is None:
            rejected[position] = RejectedAs.BLOCKED
        elif any(moment < erased.get(identifier, moment)
                 for identifier in (f"email:{email}", f"phone:{phone}", f"phone:{typed}")):
            rejected[position] = RejectedAs.ERASED
        else:
            usable.append((moment, position, email, phone))
    usable.sort(key=lambda order: order[:2])
    rejected |= dict.fromkeys(over_a_cap(model, usable, caps), RejectedAs.OVER_A_CAP)
    for moment, position, email, phone in usable:
        if position not in rejected:
            model.identify(email, phone, moment)
    return rejected


def over_a_cap(model: IdentityModel, orders: list[tuple], caps: Guardrails) -> set[int]:
    """The positions of the orders whose customer the import would take over a cap: sent one at a
    time with no caps, the orders make customers; one that is new or changed (it got a new
    contact, or existing customers merged into it) and holds more distinct emails, phones or
    contacts than its cap has all its orders left out."""
    trial = copy.deepcopy(model)
    existing = {contact.id: contact for contact in model.contacts}
    for moment, _, email, phone in orders:
        trial.identify(email, phone, moment)
    over = set()
    for _, position, email, phone in orders:
        customer = trial.customer_holding(email, phone)
        changed = (any(contact.id not in existing for contact in customer)
                   or len({model.root_of(existing[contact.id]) for contact in customer if contact.id in existing}) > 1)
        sizes = (len({contact.email for contact in customer} - {None}),
                 len({contact.phone_number for contact in customer} - {None}), len(customer))
        if changed and any(size > cap for size, cap in zip(sizes, (caps.max_emails, caps.max_phones,
                                                                    caps.max_contacts))):
            over.add(position)
    return over


@pytest.fixture
async def connection(database_url, pool):
    """The import's own connection, on the emptied table of `pool`."""
    connection = await asyncpg.connect(database_url, server_settings=IMPORT_SERVER_SETTINGS)
    yield connection
    await connection.close()


async def run_import(connection, statements, text: str, *, dry_run: bool = False,
                     rules: ImportRules = DEFAULT_RULES) -> tuple[ImportSummary, str]:
    rejects_stream = io.StringIO()
    with file_identifier_hasher() as hasher:
        summary = await import_orders(
            connection, statements, read_orders(io.StringIO(text, newline=""), IMPORTED_AT, rules.phone_region),
            RejectsFile(rejects_stream), rules=rules, dry_run=dry_run, progress=ImportProgress(None, io.StringIO()),
            hasher=hasher)
    return summary, rejects_stream.getvalue()


async def table_rows(pool) -> list[tuple]:
    rows = await pool.fetch("SELECT id, email, phone_number, linked_id, created_at FROM contact ORDER BY id")
    return [tuple(row) for row in rows]


def model_rows(model: IdentityModel) -> list[tuple]:
    return [(c.id, c.email, c.phone_number, c.linked_id, c.created_at) for c in model.contacts]


async def model_of_table(pool) -> IdentityModel:
    return IdentityModel([ModelContact(*row) for row in await table_rows(pool)])


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
async def test_import_equals_the_orders_sent_one_at_a_time_in_created_at_order(connection, statements, pool, seed):
    rows = random_orders(seed, 120)
    model = IdentityModel()
    feed_model(model, rows)

    summary, _ = await run_import(connection, statements, as_csv(rows))

    assert await table_rows(pool) == model_rows(model)
    assert summary.contacts_created == len(model.contacts)
    assert summary.rejected_count == sum(row["meaning"] is None for row in rows)


async def identify_random_customers(identify, seed: int) -> None:
    """25 requests to /identify over the values of the order files: customers already in the
    table, dated now, so the files' older orders re-date some of them and join others."""
    rng = random.Random(seed)
    for _ in range(25):
        email = rng.choice([None, *(value for _, value in EMAILS[:6])])
        phone = rng.choice([value for _, value in PHONES[:6]]) if email is None or rng.random() < 0.5 else None
        assert (await identify({"email": email, "phoneNumber": phone}))[0] == 200


async def customers_replayed_from_events(pool) -> dict[int, int]:
    """Each contact's customer (primary) as the audit trail tells it, its events replayed in order:
    a created or relinked contact joins the event's customer, a merged loser's whole customer
    joins the winner's."""
    customer_of: dict[int, int] = {}
    for kind, contact_ids, customer_id in await pool.fetch(
            "SELECT kind, contact_ids, customer_id FROM identity_event ORDER BY id"):
        if kind == "merged":
            loser = customer_of[contact_ids[0]]
            customer_of |= {contact: customer_id for contact, customer in customer_of.items() if customer == loser}
        else:
            assert kind in ("created_primary", "created_secondary", "relinked")
            customer_of[contact_ids[0]] = customer_id
    return customer_of


async def customers_of_table(pool) -> dict[int, int]:
    return {contact_id: linked_id or contact_id for contact_id, _, _, linked_id, _ in await table_rows(pool)}


@pytest.mark.parametrize("seed", [6, 7, 8])
async def test_import_into_a_table_with_data_equals_the_orders_sent_after_it(
        connection, statements, pool, identify, seed):
    await identify_random_customers(identify, seed)
    model = await model_of_table(pool)
    rows = random_orders(seed, 120)
    feed_model(model, rows)

    await run_import(connection, statements, as_json_lines(rows))

    assert await table_rows(pool) == model_rows(model)


@pytest.mark.parametrize("seed", [9, 10, 11])
async def test_import_in_two_halves_equals_the_halves_sent_one_after_the_other(connection, statements, pool, seed):
    rows = random_orders(seed, 160)
    model = IdentityModel()
    feed_model(model, rows[:80])
    feed_model(model, rows[80:])

    await run_import(connection, statements, as_csv(rows[:80]))
    await run_import(connection, statements, as_csv(rows[80:]))

    assert await table_rows(pool) == model_rows(model)


@pytest.mark.parametrize("seed", [6, 7, 8])
async def test_the_events_of_imports_into_a_table_with_data_replay_to_its_customers(
        connection, statements, pool, identify, seed):
    await identify_random_customers(identify, seed)
    rows = random_orders(seed, 160)

    await run_import(connection, statements, as_json_lines(rows[:80]))
    await run_import(connection, statements, as_csv(rows[80:]))

    assert await customers_replayed_from_events(pool) == await customers_of_table(pool)


# The protections of /identify together: phone numbers in E.164 (region US, three spellings of
# each), blocked values (the defaults), erased values (suppression), and caps low enough that a
# customer of one cluster of values stays under them and two clusters joined go over.
PROTECTED_CAPS = Guardrails(max_emails=4, max_phones=3, max_contacts=6, auto_block_after=3)
PROTECTED_RULES = ImportRules(phone_region="US", guardrails=PROTECTED_CAPS,
                              suppression_key=TEST_SUPPRESSION_KEY.encode())
CLUSTERS = 8
BLOCKED_EMAIL = ("TEST@test.com", "test@test.com")
BLOCKED_PHONE = ("000-000-0000", NO_NUMBER_OF_THE_REGION, "0000000000")
NOT_A_US_PHONE = ("555-0100", NO_NUMBER_OF_THE_REGION, "5550100")
# Erased values and when: an email, a phone erased as stored in E.164, one erased as stored
# before the region was set (digits), which only its spellings without +1 match.
ERASURES = {"email:buyer2.0@hillvalley.edu": MOMENTS[3], "phone:+14155550150": MOMENTS[5],
            "phone:4155550161": MOMENTS[6]}


def us_phone(rng: random.Random, digits: str) -> tuple[str, str, str]:
    """A US number as written (one of three spellings), in E.164, and its digits as typed."""
    area, exchange, line = digits[:3], digits[3:6], digits[6:]
    return rng.choice([(f"({area}) {exchange}-{line}", f"+1{digits}", digits),
                       (f"{area}.{exchange}.{line}", f"+1{digits}", digits),
                       (f"+1 {area} {exchange} {line}", f"+1{digits}", f"+1{digits}")])


def protected_orders(seed: int, count: int) -> list[dict]:
    """Orders of CLUSTERS customers (three emails and two phones each), a few joining one cluster
    to the next, some with blocked values, phones of no US number, blanks and bad values."""
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        cluster = rng.randrange(CLUSTERS)
        phone_cluster = (cluster + 1) % CLUSTERS if rng.random() < 0.015 else cluster
        email = f"buyer{cluster}.{rng.randrange(3)}@hillvalley.edu"
        email_cell = (f" {email.upper()}" if rng.random() < 0.2 else email, email)
        phone_cell = us_phone(rng, f"41555501{phone_cluster}{rng.randrange(2)}")
        shape = rng.random()
        if shape < 0.08:
            email_cell = BLOCKED_EMAIL
        elif shape < 0.12:
            phone_cell = BLOCKED_PHONE
        elif shape < 0.15:
            phone_cell = NOT_A_US_PHONE
        elif shape < 0.18:
            email_cell, phone_cell = BLOCKED_EMAIL, BLOCKED_PHONE
        elif shape < 0.25:
            email_cell = ("", None)
        elif shape < 0.30:
            phone_cell = ("", None, None)
        elif shape < 0.32:
            email_cell = ("not-an-email", "reject")
        rows.append(order_row(email_cell, phone_cell, written_moment(rng)))
    return rows


async def protected_model(pool) -> IdentityModel:
    """The table as a model, with the blocked values of the database; the erasures of ERASURES
    put on the suppression list."""
    model = await model_of_table(pool)
    blocked = await pool.fetch("SELECT kind, value FROM blocked_identifier")
    model.blocked = {(row["kind"], row["value"]) for row in blocked}
    key = TEST_SUPPRESSION_KEY.encode()
    for identifier, erased_at in ERASURES.items():
        kind, value = identifier.split(":", 1)
        [hmac] = identifier_hmacs(key, [value] if kind == "email" else [], [value] if kind == "phone" else [])
        await pool.execute("INSERT INTO erased_identifier (identifier_hmac, erased_at) VALUES ($1, $2)",
                           hmac, erased_at)
    return model


def rejected_lines(rejects: str) -> list[int]:
    return [int(line) for line, _ in list(csv.reader(io.StringIO(rejects)))[1:]]


@pytest.mark.parametrize("seed", [24, 29, 32, 33])
async def test_import_with_e164_blocked_values_erasures_and_caps_equals_the_model(connection, statements, pool,
                                                                                  seed):
    rows = protected_orders(seed, 150)
    model = await protected_model(pool)
    left_out = feed_model(model, rows, caps=PROTECTED_CAPS, erased=ERASURES)
    assert set(left_out.values()) == set(RejectedAs), "the file meets every rule"

    summary, rejects = await run_import(connection, statements, as_csv(rows), rules=PROTECTED_RULES)

    assert await table_rows(pool) == model_rows(model)
    assert summary.rejected == {kind: list(left_out.values()).count(kind) for kind in RejectedAs}
    assert sorted(rejected_lines(rejects)) == sorted(position + 2 for position in left_out)


@pytest.mark.parametrize("seed", [35, 38])
async def test_protected_import_into_a_table_with_data_equals_the_model(connection, statements, pool, service,
                                                                         seed):
    post = await service(DEFAULT_PHONE_REGION="US")
    rng = random.Random(seed)
    for _ in range(20):
        cluster = rng.randrange(CLUSTERS)
        await post({"email": f"buyer{cluster}.{rng.randrange(3)}@hillvalley.edu",
                    "phoneNumber": f"41555501{(cluster + (rng.random() < 0.1)) % CLUSTERS}{rng.randrange(2)}"})
    model = await protected_model(pool)
    rows = protected_orders(seed, 150)
    feed_model(model, rows, caps=PROTECTED_CAPS, erased=ERASURES)

    await run_import(connection, statements, as_json_lines(rows), rules=PROTECTED_RULES)

    assert await table_rows(pool) == model_rows(model)


@pytest.mark.parametrize("seed", [39, 40])
async def test_protected_import_in_two_halves_equals_the_model(connection, statements, pool, seed):
    rows = protected_orders(seed, 160)
    model = await protected_model(pool)
    feed_model(model, rows[:80], caps=PROTECTED_CAPS, erased=ERASURES)
    feed_model(model, rows[80:], caps=PROTECTED_CAPS, erased=ERASURES)

    await run_import(connection, statements, as_csv(rows[:80]), rules=PROTECTED_RULES)
    await run_import(connection, statements, as_csv(rows[80:]), rules=PROTECTED_RULES)

    assert await table_rows(pool) == model_rows(model)


async def test_imported_contact_older_than_an_existing_primary_becomes_the_primary(
        connection, statements, pool, identify):
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "555"})

    await run_import(connection, statements,
                     "email,phoneNumber,createdAt\ndoc@hillvalley.edu,555,1985-10-26T01:21:00-07:00\n")

    status, answer = await identify({"email": "marty@hillvalley.edu"})
    assert answer["contact"] == {"primaryContactId": 2, "emails": ["doc@hillvalley.edu", "marty@hillvalley.edu"],
                                 "phoneNumbers": ["555"], "secondaryContactIds": [1]}


async def test_contacts_imported_with_older_dates_leave_the_existing_ones_sound(
        connection, statements, pool, identify):
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "555"})

    # Each brings something new when created, but both are dated before contact 1, which
    # now shares all its values with older contacts: still no duplicate, it came first.
    await run_import(connection, statements, "email,phoneNumber,createdAt\n"
                                             "marty@hillvalley.edu,111,1985-10-26T01:21:00-07:00\n"
                                             "doc@hillvalley.edu,555,1985-10-26T01:22:00-07:00\n")

    assert await pool.fetchval("SELECT count(*) FROM contact") == 3
    async with pool.acquire() as checking:
        assert await violations_in(checking, statements) == []


async def test_second_import_of_the_same_file_creates_and_changes_nothing(connection, statements, pool):
    text = as_csv(random_orders(12, 150))
    await run_import(connection, statements, text)
    before = await pool.fetch("SELECT * FROM contact ORDER BY id")

    summary, _ = await run_import(connection, statements, text)

    assert (summary.contacts_created, summary.customers_created, summary.customers_merged) == (0, 0, 0)
    assert await pool.fetch("SELECT * FROM contact ORDER BY id") == before


async def test_bad_lines_are_skipped_into_the_rejects_file_with_line_number_and_reason(connection, statements, pool):
    text = ("email,phoneNumber,createdAt\n"
            "doc@hillvalley.edu,111,\n"
            "not-an-email,222,\n"
            "marty@hillvalley.edu,12a,\n"
            ",,\n"
            "biff@hillvalley.edu,333,yesterday\n"
            "lorraine@hillvalley.edu,444\n"
            '"george@hillvalley.edu"x,555,\n'
            "george@hillvalley.edu,555,2024-01-01T00:00:00Z\n")

    summary, rejects = await run_import(connection, statements, text)

    assert list(csv.reader(io.StringIO(rejects))) == [
        ["line", "reason"],
        ["3", "email must be one @ between a non-empty local part and a domain."],
        ["4", "phoneNumber must be digits, optionally with one leading + and the separators space - . ( )."],
        ["5", "neither email nor phoneNumber given"],
        ["6", "createdAt must be an ISO 8601 date and time with an offset, like 2024-05-01T12:00:00+02:00"],
        ["7", "2 fields where the header has 3"],
        ["8", "not a CSV row: ',' expected after '\"'"],
    ]
    assert (summary.orders_read, summary.rejected_count, summary.contacts_created) == (8, 6, 2)
    assert await pool.fetchval("SELECT count(*) FROM contact") == 2


async def test_bad_json_lines_are_rejected_with_their_line_numbers(connection, statements, pool):
    text = ('{"email": "doc@hillvalley.edu", "phoneNumber": 111}\n'
            "\n"
            "{not json\n"
            '["doc@hillvalley.edu"]\n'
            '{"email": "marty@hillvalley.edu", "phoneNumber": 2.5}\n'
            '{"email": "marty@hillvalley.edu", "createdAt": 1985}\n')

    _, rejects = await run_import(connection, statements, text)

    assert [row[0] for row in csv.reader(io.StringIO(rejects))] == ["line", "3", "4", "5", "6"]
    assert await pool.fetchval("SELECT phone_number FROM contact") == "111"


async def test_dry_run_reports_the_same_summary_and_writes_nothing(connection, statements, pool, identify):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "111"})
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "222"})
    text = as_csv(random_orders(13, 100))
    before = await pool.fetch("SELECT * FROM contact ORDER BY id")

    dry, _ = await run_import(connection, statements, text, dry_run=True)

    assert await pool.fetch("SELECT * FROM contact ORDER BY id") == before
    real, _ = await run_import(connection, statements, text)
    assert (dry.orders_read, dry.rejected, dry.contacts_created, dry.customers_created, dry.customers_merged) == (
        real.orders_read, real.rejected, real.contacts_created, real.customers_created, real.customers_merged)
    assert real.customers_merged == 1  # the two customers above share a customer in the file


def failing_disk() -> Iterator[str]:
    """The lines of a file whose disk fails after its first order."""
    yield "email,phoneNumber\n"
    yield "marty@hillvalley.edu,111\n"
    raise OSError(5, "Input/output error")


async def test_a_failure_while_reading_leaves_the_table_as_it_was(connection, statements, pool, identify):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "111"})
    before = await pool.fetch("SELECT * FROM contact ORDER BY id")

    with pytest.raises(OSError):
        await import_orders(connection, statements, read_orders(failing_disk(), IMPORTED_AT, ""),
                            RejectsFile(io.StringIO()), rules=DEFAULT_RULES, dry_run=False,
                            progress=ImportProgress(None, io.StringIO()))

    assert await pool.fetch("SELECT * FROM contact ORDER BY id") == before
    assert await connection.fetchval("SELECT 1") == 1  # rolled back, not left in a failed transaction


async def test_a_connection_lost_as_the_import_commits_is_reported_as_in_doubt(connection, statements, pool):
    # Ended after the last write and before the COMMIT: this one was not written, but an import
    # cannot tell that from a COMMIT that reached the server and whose answer was lost.
    before = await pool.fetch("SELECT * FROM contact ORDER BY id")
    pid = connection.get_server_pid()

    async def gone():
        return await pool.fetchval("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid) == 0

    async def end_the_session():
        await pool.execute("SELECT pg_terminate_backend($1)", pid)
        await until(gone, "the import's session ended")

    with pytest.raises(CommitInDoubt):
        await run_import(WatchedConnection(connection, statements.import_relink_contacts.text, after=end_the_session),
                         statements, "email,phoneNumber\nmarty@hillvalley.edu,111\n")

    assert await pool.fetch("SELECT * FROM contact ORDER BY id") == before


async def test_export_writes_every_live_contact_with_the_api_names(connection, statements, pool, tmp_path):
    await run_import(connection, statements,
                     "email,phoneNumber,createdAt\n"
                     "doc@hillvalley.edu,111,1985-10-26T01:21:00-07:00\n"
                     "marty@hillvalley.edu,111,1985-10-26T01:22:00.5-07:00\n"
                     "biff@hillvalley.edu,,2015-10-21T16:29:00Z\n")
    await pool.execute("UPDATE contact SET deleted_at = now() WHERE email = 'biff@hillvalley.edu'")
    export_path = tmp_path / "contacts.csv"

    count = await write_contacts(connection, statements, export_path)

    assert count == 2
    assert export_path.read_text().splitlines() == [
        "id,email,phoneNumber,linkedId,linkPrecedence,createdAt",
        "1,doc@hillvalley.edu,111,,primary,1985-10-26T08:21:00.000000Z",
        "2,marty@hillvalley.edu,111,1,secondary,1985-10-26T08:22:00.500000Z",
    ]


async def test_importing_an_export_back_changes_nothing(connection, statements, pool, tmp_path):
    await run_import(connection, statements, as_csv(random_orders(14, 150)))
    before = await pool.fetch("SELECT * FROM contact ORDER BY id")
    export_path = tmp_path / "contacts.csv"
    await write_contacts(connection, statements, export_path)

    summary, _ = await run_import(connection, statements, export_path.read_text())

    assert summary.contacts_created == 0
    assert await pool.fetch("SELECT * FROM contact ORDER BY id") == before
