-- Whether the tables the import writes hold no row at all. Into an empty contact table
-- the import takes import_lock_empty_tables instead of import_lock_contacts and builds
-- the secondary indexes once, after writing (import_list_rebuilt_indexes), rather than
-- inserting into them row by row: with no customer yet, every /identify request is a
-- write, which waits for the import either way. Asked before the lock, to choose it,
-- and again once it is held, when the answer can no longer change.
-- returns: (contact boolean, identity_event boolean), one row: true for an empty table
-- indexes: none (each stops at the first row a sequential scan finds)
-- locks: ACCESS SHARE on contact and identity_event, as any read
SELECT NOT EXISTS (SELECT FROM contact) AS contact,
       NOT EXISTS (SELECT FROM identity_event) AS identity_event;
