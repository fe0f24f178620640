"""An import into an empty contact table locks out readers too, and builds the secondary
indexes and foreign keys of the empty tables once, after writing them
(sql/import_list_rebuilt_indexes_and_keys.sql): afterwards they are exactly as before, and
a failure leaves them as before too. Whether its result is right is for test_import.py,
whose imports into truncated tables take this path, and whose imports into tables with
data take the other."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from service.check import violations_in
from service.importer import IMPORT_SERVER_SETTINGS

from .test_import import as_csv, connection, random_orders, run_import  # noqa: F401  (connection is a fixture)
from .watched_connection import WatchedConnection

STRUCTURES_OF_THE_WRITTEN_TABLES = """
    SELECT 'index' AS kind, index_.indexrelid::regclass::text AS name, pg_get_indexdef(index_.indexrelid) AS definition,
           index_.indisvalid AND index_.indisready AS usable, obj_description(index_.indexrelid, 'pg_class') AS comment
    FROM pg_index AS index_
    WHERE index_.indrelid IN ('contact'::regclass, 'identity_event'::regclass)
    UNION ALL
    SELECT 'constraint', conname, pg_get_constraintdef(oid), convalidated, obj_description(oid, 'pg_constraint')
    FROM pg_constraint
    WHERE conrelid IN ('contact'::regclass, 'identity_event'::regclass)
    ORDER BY kind, name
"""
IMPORT_LOCKS = """
    SELECT relation::regclass::text AS table_name, mode
    FROM pg_locks
    WHERE pid = $1 AND locktype = 'relation' AND granted
      AND relation IN ('contact'::regclass, 'identity_event'::regclass)
"""
REBUILT_INDEXES = """
    SELECT indexrelid::regclass::text AS name, indexrelid
    FROM pg_index
    WHERE indrelid IN ('contact'::regclass, 'identity_event'::regclass) AND NOT indisprimary
    ORDER BY name
"""
ORDERS = as_csv(random_orders(7, 60))


async def locks_while_writing(connection, statements, pool, orders: str) -> set[tuple[str, str]]:
    """The import's locks on the two tables just before its INSERT of contacts, as another
    connection sees them."""
    seen: set[tuple[str, str]] = set()

    async def note_the_locks():
        rows = await pool.fetch(IMPORT_LOCKS, connection.get_server_pid())
        seen.update((row["table_name"], row["mode"]) for row in rows)

    await run_import(WatchedConnection(connection, statements.import_insert_contacts.text, before=note_the_locks),
                     statements, orders)
    return seen


@pytest.fixture
async def url_of_a_user_owning_no_table(pool, database_url):
    """A URL of a role that may read and write every table but owns none (the tests' user
    needs CREATEROLE for it). Roles belong to the server, not to the test's database: a name
    and a password of this test's own, and the role dropped afterwards."""
    role, password = f"identity_import_{uuid.uuid4().hex[:12]}", uuid.uuid4().hex
    tables, sequences = "ALL TABLES IN SCHEMA public", "ALL SEQUENCES IN SCHEMA public"
    await pool.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}';"
                       f" GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {role};"
                       f" GRANT ALL ON {sequences} TO {role}")
    parts = urlsplit(database_url)
    yield urlunsplit(parts._replace(netloc=f"{role}:{password}@{parts.netloc.rpartition('@')[2]}"))
    await pool.execute(f"REVOKE ALL ON {tables} FROM {role}; REVOKE ALL ON {sequences} FROM {role}; DROP ROLE {role}")


async def structures(pool) -> list[tuple]:
    return [tuple(row) for row in await pool.fetch(STRUCTURES_OF_THE_WRITTEN_TABLES)]


async def index_oids(pool) -> dict[str, int]:
    return {row["name"]: row["indexrelid"] for row in await pool.fetch(REBUILT_INDEXES)}


async def test_an_import_into_an_empty_table_builds_its_indexes_and_foreign_keys_again_as_they_were(
        connection, statements, pool):
    # A DBA's comments, which the rebuilt index and key keep; the database outlives the test.
    await pool.execute("COMMENT ON INDEX contact_email_live_idx IS 'looked up by /identify';"
                       " COMMENT ON CONSTRAINT contact_linked_id_fkey ON contact IS 'straight to the primary'")
    try:
        before, oids_before = await structures(pool), await index_oids(pool)

        summary, _ = await run_import(connection, statements, ORDERS)

        assert summary.contacts_created > 0
        assert await structures(pool) == before
        oids_after = await index_oids(pool)
        assert oids_after.keys() == oids_before.keys()
        assert not set(oids_after.values()) & set(oids_before.values())  # every one built anew
    finally:
        await pool.execute("COMMENT ON INDEX contact_email_live_idx IS NULL;"
                           " COMMENT ON CONSTRAINT contact_linked_id_fkey ON contact IS NULL")


async def test_a_table_filled_while_the_import_waited_for_its_lock_keeps_its_indexes(connection, statements, pool):
    oids_before = await index_oids(pool)

    async def first_request_meanwhile():
        await pool.execute("INSERT INTO contact (email, phone_number) VALUES ('doc@hillvalley.edu', '5550123')")

    summary, _ = await run_import(
        WatchedConnection(connection, statements.import_lock_empty_tables.text, before=first_request_meanwhile),
        statements, ORDERS)

    assert await pool.fetchval("SELECT count(*) FROM contact") == summary.contacts_created + 1
    assert await index_oids(pool) == oids_before


async def test_two_imports_into_an_empty_table_at_once_both_succeed(connection, statements, pool, database_url):
    # Both find the table empty before either locks it; then one waits for the other.
    both_found_it_empty = asyncio.Barrier(2)
    locking = []

    async def wait_for_the_other():
        async with asyncio.timeout(30):
            await both_found_it_empty.wait()
        locking.append(True)

    other = await asyncpg.connect(database_url, server_settings=IMPORT_SERVER_SETTINGS)
    try:
        results = await asyncio.gather(*(
            run_import(WatchedConnection(importing, statements.import_lock_empty_tables.text,
                                         before=wait_for_the_other), statements, orders)
            for importing, orders in ((connection, ORDERS), (other, as_csv(random_orders(8, 60))))))
    finally:
        await other.close()

    assert len(locking) == 2

    contacts = await pool.fetchval("SELECT count(*) FROM contact")
    assert sum(summary.contacts_created for summary, _ in results) == contacts
    async with pool.acquire() as checking:
        assert await violations_in(checking, statements) == []


async def test_an_import_into_an_empty_table_holds_both_tables_against_readers_while_it_writes(
        connection, statements, pool):
    locks = await locks_while_writing(connection, statements, pool, ORDERS)

    assert locks >= {("contact", "AccessExclusiveLock"), ("identity_event", "AccessExclusiveLock")}


async def test_an_import_into_a_table_with_contacts_lets_readers_read_while_it_writes(connection, statements, pool):
    await pool.execute("INSERT INTO contact (email, phone_number) VALUES ('doc@hillvalley.edu', '5550123')")

    locks = await locks_while_writing(connection, statements, pool, ORDERS)

    assert ("contact", "ExclusiveLock") in locks
    assert "AccessExclusiveLock" not in {mode for _, mode in locks}


async def test_an_import_by_a_user_owning_no_table_takes_the_ordinary_path_into_an_empty_table(
        statements, pool, url_of_a_user_owning_no_table):
    # It may not drop indexes: it must not try to.
    connection = await asyncpg.connect(url_of_a_user_owning_no_table, server_settings=IMPORT_SERVER_SETTINGS)
    try:
        locks = await locks_while_writing(connection, statements, pool, ORDERS)
    finally:
        await connection.close()

    assert ("contact", "ExclusiveLock") in locks
    assert "AccessExclusiveLock" not in {mode for _, mode in locks}
    assert await pool.fetchval("SELECT count(*) FROM contact") > 0


async def test_an_import_into_an_empty_table_that_fails_while_writing_leaves_its_indexes(
        connection, statements, pool):
    before = await structures(pool)

    async def fail():
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        await run_import(WatchedConnection(connection, statements.import_insert_contacts.text, before=fail),
                         statements, ORDERS)

    assert await structures(pool) == before
    assert await pool.fetchval("SELECT count(*) FROM contact") == 0
