-- Which of the tables the import writes hold no row at all, among those whose indexes
-- the import's database user may drop and build (it owns them, or inherits the
-- privileges of the role that does, as the user that ran the migrations does). Into such an empty contact
-- table the import takes import_lock_empty_tables instead of import_lock_contacts and
-- builds the empty tables' secondary indexes and foreign keys once, after writing
-- (import_list_rebuilt_indexes_and_keys), rather than inserting into them row by row:
-- with no customer yet, every /identify request is a write, which waits for the import
-- either way. A user that may only read and write the tables gets the ordinary path.
-- Asked before the lock, to choose it, and again once it is held, when the answer can
-- no longer change. The first time in a savepoint that the import rolls back at once:
-- the ACCESS SHARE locks of a read last until the end of the (sub)transaction, and two
-- imports holding them would each wait for the other's at their ACCESS EXCLUSIVE lock,
-- a deadlock.
-- returns: (empty_tables regclass[]), one row: contact, identity_event, both or neither
-- indexes: none (each emptiness test stops at the first row a sequential scan finds)
-- locks: ACCESS SHARE on contact and identity_event, as any read
SELECT coalesce(array_agg(written.table_name ORDER BY written.position), '{}') AS empty_tables
FROM (VALUES (1, 'contact'::regclass, NOT EXISTS (SELECT FROM contact)),
             (2, 'identity_event'::regclass, NOT EXISTS (SELECT FROM identity_event)))
     AS written (position, table_name, is_empty)
JOIN pg_class ON pg_class.oid = written.table_name
WHERE written.is_empty
  AND pg_has_role(pg_class.relowner, 'USAGE');
