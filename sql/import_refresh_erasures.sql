-- Replace the import's copy of the suppression list (import_snapshot_erasures) with the
-- erasures committed since it was taken: a new erased value, or a value erased again.
-- Run once the import holds its lock on contact: an erasure deletes its contacts and
-- records its values in one transaction, so every erasure not visible now waits for the
-- import to commit and then erases what the import wrote too. When this finds rows, the
-- caller runs import_skip_erased_orders again; an order it skips now was planned already,
-- and the import fails rather than write it.
-- returns: nothing; the command tag counts the erasures committed since the snapshot
-- indexes: none (erased_identifier is read whole)
-- locks: none beyond import_lock_contacts or import_lock_empty_tables (a plain read of
--   erased_identifier)
WITH seen AS (
    DELETE FROM import_erasure
    RETURNING identifier_hmac, erased_at
)
INSERT INTO import_erasure (identifier_hmac, erased_at)
SELECT identifier_hmac, erased_at FROM erased_identifier
EXCEPT
SELECT identifier_hmac, erased_at FROM seen;
