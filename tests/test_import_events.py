"""`run.py import` records every change it makes to the contact table in identity_event, as
/identify does (tests/test_identify_events.py): the same kinds with the same contact ids, the
customer (primary) after the import, and the request id cli:import; ids only."""

from __future__ import annotations

from .test_import import (  # noqa: F401  (connection is a fixture)
    as_csv, connection, random_orders, run_import)

HEADER = "email,phoneNumber,createdAt\n"


async def import_events(pool) -> list[tuple]:
    """The import's events, oldest first: (kind, contact_ids, customer_id)."""
    rows = await pool.fetch("SELECT kind, contact_ids, customer_id FROM identity_event"
                            " WHERE request_id = 'cli:import' ORDER BY id")
    return [(row["kind"], list(row["contact_ids"]), row["customer_id"]) for row in rows]


async def test_new_customers_are_created_primary_events(connection, statements, pool):
    await run_import(connection, statements, HEADER + "doc@hillvalley.edu,111,1955-11-05T06:00:00-08:00\n"
                                                      "marty@hillvalley.edu,222,1985-10-26T01:21:00-07:00\n")

    assert await import_events(pool) == [("created_primary", [1], 1), ("created_primary", [2], 2)]


async def test_new_secondaries_are_created_secondary_events_of_their_primary_after_the_import(
        connection, statements, pool):
    # Imported in createdAt order: Marty's order (contact 1) is the primary of the two after it.
    await run_import(connection, statements, HEADER + "lorraine@hillvalley.edu,111,1985-10-26T09:00:00-07:00\n"
                                                      "marty@hillvalley.edu,111,1985-10-25T21:00:00-07:00\n"
                                                      "marty@hillvalley.edu,222,1985-10-26T10:00:00-07:00\n")

    assert await import_events(pool) == [
        ("created_primary", [1], 1), ("created_secondary", [2], 1), ("created_secondary", [3], 1)]


async def test_a_new_contact_of_an_existing_customer_is_a_created_secondary_event_of_its_primary(
        connection, statements, pool, identify):
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "555"})

    await run_import(connection, statements, HEADER + "lorraine@hillvalley.edu,555,2100-01-01T00:00:00Z\n")

    assert await import_events(pool) == [("created_secondary", [2], 1)]


async def test_an_existing_customer_re_dated_by_an_older_imported_contact_is_merged_into_it(
        connection, statements, pool, identify):
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "555"})
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "556"})  # 2, secondary of 1

    await run_import(connection, statements, HEADER + "doc@hillvalley.edu,555,1955-11-05T06:00:00-08:00\n")

    assert await import_events(pool) == [
        ("created_primary", [3], 3),
        ("merged", [1, 3], 3),
        ("relinked", [2, 1], 3),
    ]


async def test_two_existing_customers_joined_are_a_merged_event_and_a_relinked_event_per_moved_secondary(
        connection, statements, pool, identify):
    await identify({"email": "george@hillvalley.edu", "phoneNumber": "919191"})
    await identify({"email": "biffsucks@hillvalley.edu", "phoneNumber": "717171"})
    await identify({"email": "biff@hillvalley.edu", "phoneNumber": "717171"})  # 3, secondary of 2

    await run_import(connection, statements, HEADER + "george@hillvalley.edu,717171,\n")

    # What /identify records for the same bridge.
    assert await import_events(pool) == [("merged", [2, 1], 1), ("relinked", [3, 2], 1)]


async def test_a_second_import_of_the_same_file_writes_no_event(connection, statements, pool, identify):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "111"})
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "222"})
    text = as_csv(random_orders(13, 100))
    await run_import(connection, statements, text)
    before = await pool.fetch("SELECT * FROM identity_event ORDER BY id")
    assert {"created_primary", "created_secondary", "merged"} <= {
        row["kind"] for row in before if row["request_id"] == "cli:import"}

    await run_import(connection, statements, text)

    assert await pool.fetch("SELECT * FROM identity_event ORDER BY id") == before


async def test_a_dry_run_writes_no_event(connection, statements, pool, identify):
    await identify({"email": "doc@hillvalley.edu", "phoneNumber": "111"})
    await identify({"email": "marty@hillvalley.edu", "phoneNumber": "222"})
    before = await pool.fetch("SELECT * FROM identity_event ORDER BY id")

    summary, _ = await run_import(connection, statements, as_csv(random_orders(13, 100)), dry_run=True)

    assert summary.contacts_created > 0 and summary.customers_merged == 1
    assert await pool.fetch("SELECT * FROM identity_event ORDER BY id") == before


async def seed_contacts(pool, rows: str) -> None:
    """Contacts as older data may have left them, which /identify no longer makes (chains of
    links, roots under a deleted primary): (id, email, phone_number, linked_id, created_at,
    deleted_at) rows as SQL, the ids taken from the sequence."""
    await pool.execute("INSERT INTO contact (id, email, phone_number, linked_id, created_at, deleted_at)"
                       f" OVERRIDING SYSTEM VALUE VALUES {rows}")
    await pool.execute("SELECT setval(pg_get_serial_sequence('contact', 'id'), max(id)) FROM contact")


async def links(pool) -> dict[int, int | None]:
    return {row["id"]: row["linked_id"] for row in await pool.fetch("SELECT id, linked_id FROM contact ORDER BY id")}


async def test_a_chain_of_links_re_dated_by_an_older_imported_contact_is_flattened_onto_it(
        connection, statements, pool):
    await seed_contacts(pool, "(1, 'd@x.io', '5550004', NULL, '2010-01-01Z', NULL),"
                              " (2, 'e@x.io', '5550005', 1, '2011-01-01Z', NULL),"
                              " (3, 'f@x.io', '5550006', 2, '2012-01-01Z', NULL),"
                              " (4, 'g@x.io', '5550007', 3, '2013-01-01Z', NULL)")

    await run_import(connection, statements, HEADER + "f@x.io,5559002,2001-01-01T00:00:00Z\n")

    assert await links(pool) == {1: 5, 2: 5, 3: 5, 4: 5, 5: None}
    assert await import_events(pool) == [
        ("created_primary", [5], 5),
        ("merged", [1, 5], 5),
        ("relinked", [2, 1], 5),
        ("relinked", [3, 2], 5),
        ("relinked", [4, 3], 5),
    ]


async def test_a_root_left_by_a_deleted_primary_is_merged_into_an_older_imported_contact(
        connection, statements, pool):
    # 2 and 3 were one customer only through 1; since 1 was deleted, each is a customer of its own.
    await seed_contacts(pool, "(1, 'a@x.io', '5550001', NULL, '2010-01-01Z', '2020-01-01Z'),"
                              " (2, 'b@x.io', '5550001', 1, '2011-01-01Z', NULL),"
                              " (3, 'c@x.io', '5550002', 1, '2012-01-01Z', NULL)")

    await run_import(connection, statements, HEADER + "b@x.io,5559001,2009-01-01T00:00:00Z\n")

    assert await links(pool) == {1: None, 2: 4, 3: 1, 4: None}
    assert await import_events(pool) == [("created_primary", [4], 4), ("merged", [2, 4], 4)]


async def test_a_value_that_two_customers_left_by_a_deleted_primary_share_joins_every_value_of_both(
        connection, statements, pool):
    # Each customer's own email comes first in the file, the shared phone last: each customer
    # offers the phone a label of its own, and it must take the smaller and pass it on, so
    # that 2 (b) joins the customer of 3, the older root, instead of staying apart.
    await seed_contacts(pool, "(1, 'a@x.io', '5550001', NULL, '2010-01-01Z', '2020-01-01Z'),"
                              " (2, 'b@x.io', '5550009', 1, '2012-01-01Z', NULL),"
                              " (3, 'c@x.io', '5550009', 1, '2011-01-01Z', NULL)")

    await run_import(connection, statements, HEADER + "b@x.io,,2013-01-01T00:00:00Z\n"
                                                      "c@x.io,,2014-01-01T00:00:00Z\n"
                                                      ",5550009,2015-01-01T00:00:00Z\n")

    assert await links(pool) == {1: None, 2: 3, 3: None}
    assert await import_events(pool) == [("merged", [2, 3], 3), ("relinked", [3, 1], 3)]
