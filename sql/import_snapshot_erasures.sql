-- Take the suppression list as it is now, for import_skip_erased_orders.
-- Issue 11's rule for the import: an order dated before the erasure of one of its values
-- is skipped (the person asked to be forgotten; their history must not come back), while
-- one dated after it is imported as a live /identify would be (the person came back). The
-- list is copied so that the import can tell, once it holds its lock, which erasures were
-- committed while it planned (import_refresh_erasures).
-- returns: nothing; creates the temporary table import_erasure (identifier_hmac bytea,
--   erased_at timestamptz); the command tag counts its rows
-- indexes: none (erased_identifier is read whole)
-- locks: none (a plain read of erased_identifier)
CREATE TEMPORARY TABLE import_erasure ON COMMIT DROP AS
SELECT identifier_hmac, erased_at
FROM erased_identifier;
