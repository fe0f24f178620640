-- Skip the staged orders dated before an erasure of one of their values (import_erasure).
-- The suppression list holds HMAC-SHA-256 of 'email:<email>' and 'phone:<phone>' keyed with
-- the suppression key (service/suppression.py); it is computed here, set-based, from the
-- key's two padded blocks (RFC 2104: sha256(outer || sha256(inner || message))), once per
-- distinct value of the orders dated before the latest erasure. A phone is looked up in its
-- E.164 form and as typed, since an erased customer may have stored either. Blocked values
-- were taken out before (import_ignore_blocked_values): they identify nobody, so they
-- suppress nothing. Run only when import_erasure has rows (the caller knows from its
-- command tag).
-- The erased values of the file are few: one more scan of import_order probes them in a
-- hash table, and the orders it finds are deleted by their ctid.
-- $1 inner_pad bytea: the suppression key padded to 64 bytes, XOR 0x36 per byte
-- $2 outer_pad bytea: the same, XOR 0x5c per byte
-- returns: (line bigint) per skipped order, in line order
-- indexes: none (hash aggregates and joins of the file's values and the list)
-- locks: none (temporary tables of this session)
WITH file_identifier AS (
    SELECT DISTINCT value.identifier
    FROM import_order
    CROSS JOIN LATERAL unnest(ARRAY['email:' || email, 'phone:' || phone_number,
                                    'phone:' || phone_number_as_typed]) AS value (identifier)
    WHERE import_order.created_at < (SELECT max(erased_at) FROM import_erasure)
      AND value.identifier IS NOT NULL
),
erased AS MATERIALIZED (
    SELECT file_identifier.identifier, erasure.erased_at
    FROM file_identifier
    JOIN import_erasure AS erasure
      ON erasure.identifier_hmac
         = sha256($2::bytea || sha256($1::bytea || convert_to(file_identifier.identifier, 'UTF8')))
),
holding_one AS (
    SELECT ctid, line, email, phone_number, phone_number_as_typed, created_at
    FROM import_order
    WHERE 'email:' || email IN (SELECT identifier FROM erased)
       OR 'phone:' || phone_number IN (SELECT identifier FROM erased)
       OR 'phone:' || phone_number_as_typed IN (SELECT identifier FROM erased)
),
suppressed AS (
    SELECT DISTINCT holding_one.ctid
    FROM holding_one
    JOIN erased ON erased.identifier IN ('email:' || holding_one.email, 'phone:' || holding_one.phone_number,
                                         'phone:' || holding_one.phone_number_as_typed)
    WHERE holding_one.created_at < erased.erased_at
),
skipped AS (
    DELETE FROM import_order
    WHERE ctid = ANY (ARRAY(SELECT ctid FROM suppressed))
    RETURNING line
)
SELECT line
FROM skipped
ORDER BY line;
