"""An import into an empty contact table locks out readers too, and builds the secondary
indexes and foreign keys of the empty tables once, after writing them
(sql/import_list_rebuilt_indexes.sql): afterwards they are exactly as before, and a failure
leaves them as before too. Whether its result is right is for test_import.py, whose
imports into truncated tables take this path, and whose imports into tables with data
take the other."""

from __future__ import annotations

import pytest

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


async def structures(pool) -> list[tuple]:
    return [tuple(row) for row in await pool.fetch(STRUCTURES_OF_THE_WRITTEN_TABLES)]


async def test_an_import_into_an_empty_table_leaves_its_indexes_foreign_keys_and_comments_as_they_were(
        connection, statements, pool):
    await pool.execute("COMMENT ON INDEX contact_email_live_idx IS 'looked up by /identify'")
    try:
        before = await structures(pool)

        summary, _ = await run_import(connection, statements, ORDERS)

        assert summary.contacts_created > 0
        assert await structures(pool) == before
    finally:
        await pool.execute("COMMENT ON INDEX contact_email_live_idx IS NULL")


async def test_an_import_into_an_empty_table_holds_both_tables_against_readers_while_it_writes(
        connection, statements, pool):
    locks = await locks_while_writing(connection, statements, pool, ORDERS)

    assert locks >= {("contact", "AccessExclusiveLock"), ("identity_event", "AccessExclusiveLock")}


async def test_an_import_into_a_table_with_contacts_lets_readers_read_while_it_writes(connection, statements, pool):
    await pool.execute("INSERT INTO contact (email, phone_number) VALUES ('doc@hillvalley.edu', '5550123')")

    locks = await locks_while_writing(connection, statements, pool, ORDERS)

    assert ("contact", "ExclusiveLock") in locks
    assert "AccessExclusiveLock" not in {mode for _, mode in locks}


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
