-- Hold the keyed hash of every value of the staged orders, as the suppression list holds
-- them: HMAC-SHA-256 of 'email:<email>' and 'phone:<phone>' with the suppression key
-- (service/suppression.py), once per distinct value; a phone in its E.164 form and as
-- typed, since an erased customer may have stored either. Filled once the suppression list
-- is found to hold values (import_snapshot_erasures, after the file is read, or
-- import_refresh_erasures, under the lock): by the caller with COPY, from the values it
-- hashed while reading the file when the list held values as the import began (these
-- include the values import_ignore_blocked_values takes out, which then join nothing);
-- otherwise by import_hash_file_identifiers. The table is this session's only and
-- dropped at commit or rollback.
-- returns: nothing; creates the temporary table import_identifier_hmac (identifier text,
--   identifier_hmac bytea)
-- indexes: none (import_skip_erased_orders joins it by hash)
-- locks: none (a temporary table of this session)
CREATE TEMPORARY TABLE import_identifier_hmac (
    identifier text NOT NULL,
    identifier_hmac bytea NOT NULL
) ON COMMIT DROP;
