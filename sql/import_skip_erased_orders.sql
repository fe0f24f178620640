-- Skip the staged orders dated before an erasure of one of their values (import_erasure),
-- that is, orders holding an email or phone (E.164 or as typed) whose keyed hash
-- (import_identifier_hmac) the suppression list holds with a later erasure time.
-- The erased values of a file are few: one scan of import_order tests each order's three
-- values against them (hashed subplans, with no string built per order: 0.5 s for a
-- million orders, against 2.3 s for a join of every value of the file), the few
-- candidates are checked against the erasure times, and their orders deleted by ctid.
-- returns: (line bigint) per skipped order, in line order
-- indexes: none (the file's hashes joined with the list by hash, planned from the
--   statistics of import_analyze_erasures; each order's values probe hashed subplans of
--   the erased values, which the import's work_mem of 256 MB holds for any real list)
-- locks: none (temporary tables of this session)
WITH erased AS MATERIALIZED (
    SELECT hashed.identifier, erasure.erased_at
    FROM import_identifier_hmac AS hashed
    JOIN import_erasure AS erasure ON erasure.identifier_hmac = hashed.identifier_hmac
),
candidate AS (
    SELECT staged.ctid, staged.email, staged.phone_number, staged.phone_number_as_typed, staged.created_at
    FROM import_order AS staged
    WHERE staged.email IN (SELECT substr(identifier, 7) FROM erased WHERE identifier LIKE 'email:%')
       OR staged.phone_number IN (SELECT substr(identifier, 7) FROM erased WHERE identifier LIKE 'phone:%')
       OR staged.phone_number_as_typed IN (SELECT substr(identifier, 7) FROM erased WHERE identifier LIKE 'phone:%')
),
suppressed AS (
    SELECT DISTINCT candidate.ctid
    FROM candidate
    CROSS JOIN LATERAL unnest(ARRAY['email:' || candidate.email, 'phone:' || candidate.phone_number,
                                    'phone:' || candidate.phone_number_as_typed]) AS value (identifier)
    JOIN erased ON erased.identifier = value.identifier
    WHERE candidate.created_at < erased.erased_at
),
skipped AS (
    DELETE FROM import_order
    WHERE ctid = ANY (ARRAY(SELECT suppressed.ctid FROM suppressed))
    RETURNING line
)
SELECT line
FROM skipped
ORDER BY line;
