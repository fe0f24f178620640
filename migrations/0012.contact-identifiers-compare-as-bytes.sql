-- Emails and phone numbers compare as bytes (COLLATE "C"), whatever the server's locale.
--
-- The service only ever asks whether two of them are equal, and orders phone numbers for
-- nothing but paging (sql/phone_numbers_page.sql). Under the database's collation, every
-- comparison went through the operating system's strcoll (the server treats only "C" and
-- "POSIX" as byte order; C.UTF-8, en_US.UTF-8 and the like are locales), so:
-- - each step down contact_email_live_idx and contact_phone_number_live_idx, on every
--   lookup and every insert, cost a call into the C library instead of a memcmp, and
--   sorting the values could not use abbreviated keys. Importing the bench's 1M-order
--   file into the 1M-contact table (bench/import_bench.py) took 34.1-37.2 s instead of
--   36.9-40.7 s, alternated three times on the 2-core development machine: writing its
--   522,421 new contacts 7.4-8.8 s instead of 8.6-10.0 s, matching its values with the
--   table's 2.0-2.4 s instead of 2.4-2.8 s. Into an empty table, building each of the two
--   indexes again after a million orders takes 0.22-0.27 s instead of 0.32-0.41 s;
-- - the two indexes depended on the C library's collation rules: an upgrade of the
--   operating system that changes them (as glibc 2.28 did) leaves them silently out of
--   order, and lookups then miss contacts that are there. Byte order never changes.
-- Equality is the same under both (deterministic collations compare equal strings as
-- equal bytes), so no lookup finds anything else. Comparisons with text of the default
-- collation (parameters, variables, the import's staging tables) take the columns'
-- collation, so they still use the indexes.
--
-- The column statistics go with the old collation: the ANALYZE gathers them again (the
-- import's matching chooses between index probes and hash joins by them).
--
-- locks: ACCESS EXCLUSIVE on contact while the two indexes are built again and the CHECK
--   constraints on the two columns are verified (a scan; the table is not rewritten),
--   about 2.4 s for a million contacts on the 2-core development machine; requests wait
--   meanwhile. It waits at most 10 s for the lock: queued behind a long transaction (an
--   import holds its lock for the length of its writes), it would hold every request
--   back behind it; it fails instead, having changed nothing, and can be run again.
SET LOCAL lock_timeout = '10s';

ALTER TABLE contact
    ALTER COLUMN email TYPE text COLLATE "C",
    ALTER COLUMN phone_number TYPE text COLLATE "C";

ANALYZE contact (email, phone_number);
