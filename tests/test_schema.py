"""What the schema guarantees whatever the server it is created on."""

from __future__ import annotations


async def test_the_indexes_on_emails_and_phone_numbers_are_in_byte_order_whatever_the_server_locale(pool):
    # In a locale's order, an upgrade of the C library that changes its collation rules would
    # leave the indexes out of order, and lookups would miss contacts (migration 0012).
    collations = dict(await pool.fetch(
        """
        SELECT entry.indexrelid::regclass::text, index_collation.collname
        FROM pg_index AS entry
        JOIN pg_collation AS index_collation ON index_collation.oid = entry.indcollation[0]
        WHERE entry.indexrelid IN ('contact_email_live_idx'::regclass, 'contact_phone_number_live_idx'::regclass)
        """))

    assert collations == {"contact_email_live_idx": "C", "contact_phone_number_live_idx": "C"}
