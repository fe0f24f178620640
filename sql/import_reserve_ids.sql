-- Reserve a block of consecutive ids from contact's identity sequence for the new contacts.
-- Run under import_lock_contacts or import_lock_empty_tables: /identify's inserts wait
-- for either lock before they draw an id, so the block follows every existing id, and
-- ids grow in the order /identify would have created the contacts (ordinal).
-- $1 count bigint: how many ids to reserve, at least 1
-- returns: (first_id bigint), one row: the ids are first_id .. first_id + count - 1
-- indexes: none
-- locks: none beyond import_lock_contacts or import_lock_empty_tables (sequence functions
--   wait for nothing)
SELECT setval(pg_get_serial_sequence('contact', 'id'),
              nextval(pg_get_serial_sequence('contact', 'id')) + $1::bigint - 1)
       - $1::bigint + 1 AS first_id;
