-- Add the keyed hashes of an erased customer's values to the suppression list, in the
-- erasure's transaction; a value erased again keeps its latest erasure time.
-- $1 identifier_hmacs bytea[]: HMAC-SHA-256 of 'email:<email>' and 'phone:<phone>' per value
-- returns: nothing
-- indexes: erased_identifier_pkey
-- locks: the rows it inserts or updates
INSERT INTO erased_identifier (identifier_hmac, erased_at)
SELECT DISTINCT identifier_hmac, clock_timestamp()
FROM unnest($1::bytea[]) AS identifier_hmac
ON CONFLICT (identifier_hmac) DO UPDATE
SET erased_at = EXCLUDED.erased_at;
