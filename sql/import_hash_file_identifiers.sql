-- Compute the keyed hash of every value of the staged orders, as the suppression list holds
-- them: HMAC-SHA-256 of 'email:<email>' and 'phone:<phone>' with the suppression key
-- (service/suppression.py), computed set-based from the key's padded blocks in
-- import_suppression_key (RFC 2104: sha256(outer || sha256(inner || message))), once per
-- distinct value. A phone is hashed in its E.164 form and as typed, since an erased
-- customer may have stored either. Blocked values were taken out before
-- (import_ignore_blocked_values): they identify nobody, so they suppress nothing.
-- Run before the import takes its lock, when the suppression list is not empty, so that
-- import_skip_erased_orders is a plain join, under the lock too.
-- returns: nothing; creates the temporary table import_identifier_hmac (identifier text,
--   identifier_hmac bytea); the command tag counts its rows
-- indexes: none (one scan of import_order, a hash aggregate of its values)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_identifier_hmac ON COMMIT DROP AS
SELECT file_identifier.identifier,
       sha256(suppression_key.outer_pad
              || sha256(suppression_key.inner_pad || convert_to(file_identifier.identifier, 'UTF8')))
           AS identifier_hmac
FROM (
    SELECT DISTINCT value.identifier
    FROM import_order
    CROSS JOIN LATERAL unnest(ARRAY['email:' || email, 'phone:' || phone_number,
                                    'phone:' || phone_number_as_typed]) AS value (identifier)
    WHERE value.identifier IS NOT NULL
) AS file_identifier
CROSS JOIN import_suppression_key AS suppression_key;
