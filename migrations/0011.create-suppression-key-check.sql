-- Which key the suppression list was written with: one row holding the HMAC of the fixed
-- message 'suppression-key-check' under the suppression key, recorded by the first erasure.
-- The list's entries are keyed hashes, so a service or an import started with another key
-- (a lost key file, a secret missing from one environment) would silently recognise none
-- of them, and an erased person's history would come back. With this row, an erasure with
-- another key is refused and an import with another key stops, both saying why.
-- The check reveals nothing about any value and, like the list, is useless without the key.

CREATE TABLE suppression_key_check (
    singleton boolean PRIMARY KEY DEFAULT true,
    key_check bytea NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT suppression_key_check_is_one_row CHECK (singleton),
    CONSTRAINT suppression_key_check_is_sha256 CHECK (octet_length(key_check) = 32)
);
