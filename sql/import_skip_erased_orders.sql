-- Skip the staged orders dated before an erasure of one of their values (import_erasure),
-- that is, orders holding an email or phone (E.164 or as typed) whose keyed hash
-- (import_identifier_hmac) the suppression list holds with a later erasure time.
-- The erased values of a file are few: their orders are found with one scan of
-- import_order against a small hash table, and deleted by their ctid.
-- returns: (line bigint) per skipped order, in line order
-- indexes: none (hash joins of the file's values, their hashes and the list, planned from
--   the statistics of import_analyze_erasures)
-- locks: none (temporary tables of this session)
WITH erased AS MATERIALIZED (
    SELECT hashed.identifier, erasure.erased_at
    FROM import_identifier_hmac AS hashed
    JOIN import_erasure AS erasure ON erasure.identifier_hmac = hashed.identifier_hmac
),
suppressed AS (
    SELECT DISTINCT staged.ctid
    FROM import_order AS staged
    CROSS JOIN LATERAL unnest(ARRAY['email:' || staged.email, 'phone:' || staged.phone_number,
                                    'phone:' || staged.phone_number_as_typed]) AS value (identifier)
    JOIN erased ON erased.identifier = value.identifier
    WHERE staged.created_at < erased.erased_at
),
skipped AS (
    DELETE FROM import_order
    WHERE ctid = ANY (ARRAY(SELECT suppressed.ctid FROM suppressed))
    RETURNING line
)
SELECT line
FROM skipped
ORDER BY line;
