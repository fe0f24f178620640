-- Record which key the suppression list is written with, unless a key is recorded already
-- (the first erasure records it; a concurrent first erasure waits here for the other's commit).
-- $1 key_check bytea: HMAC-SHA-256 of 'suppression-key-check' under the suppression key
-- returns: nothing
-- indexes: suppression_key_check_pkey
-- locks: the row it inserts
INSERT INTO suppression_key_check (key_check)
VALUES ($1::bytea)
ON CONFLICT (singleton) DO NOTHING;
