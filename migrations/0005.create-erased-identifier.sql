-- The suppression list: a keyed hash (HMAC-SHA-256 with the server's suppression key)
-- of every email and phone number of an erased customer, with the time of the erasure.
-- The values themselves are gone; with the key, a value can be checked against the list
-- (the bulk import skips records dated before an erasure of their values).
-- identifier_hmac is the HMAC of 'email:' || email or 'phone:' || phone_number.

CREATE TABLE erased_identifier (
    identifier_hmac bytea PRIMARY KEY,
    erased_at timestamptz NOT NULL,
    CONSTRAINT erased_identifier_hmac_is_sha256 CHECK (octet_length(identifier_hmac) = 32)
);
