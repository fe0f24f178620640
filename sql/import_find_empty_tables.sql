-- Which of the tables the import writes hold no row at all. Into an empty contact table
-- the import takes import_lock_empty_tables instead of import_lock_contacts and builds
-- the empty tables' secondary indexes and foreign keys once, after writing
-- (import_list_rebuilt_indexes_and_keys), rather than inserting into them row by row:
-- with no customer yet, every /identify request is a write, which waits for the import
-- either way. Asked before the lock, to choose it, and again once it is held, when the
-- answer can no longer change. The first time in a savepoint that the import rolls back
-- at once: the ACCESS SHARE locks of a read last until the end of the (sub)transaction,
-- and two imports holding them would each wait for the other's at their ACCESS
-- EXCLUSIVE lock, a deadlock.
-- returns: (empty_tables regclass[]), one row: contact, identity_event, both or neither
-- indexes: none (each stops at the first row a sequential scan finds)
-- locks: ACCESS SHARE on contact and identity_event, as any read
SELECT array_remove(ARRAY[CASE WHEN NOT EXISTS (SELECT FROM contact) THEN 'contact'::regclass END,
                          CASE WHEN NOT EXISTS (SELECT FROM identity_event) THEN 'identity_event'::regclass END],
                    NULL) AS empty_tables;
