-- Compute the keyed hash of every value of the staged orders into import_identifier_hmac
-- (see import_create_identifier_hmac), in SQL: for an import that began with an empty
-- suppression list (the file's values were not collected as it was read), when erasures
-- are found after the file was read or under the lock. HMAC-SHA-256 from the key's padded
-- blocks in import_suppression_key (RFC 2104: sha256(outer || sha256(inner || message))),
-- once per distinct value. Blocked values were taken out before
-- (import_ignore_blocked_values): they identify nobody, so they suppress nothing.
-- returns: nothing; the command tag counts the values hashed
-- indexes: none (one scan of import_order, a hash aggregate of its values)
-- locks: none (temporary tables of this session)
INSERT INTO import_identifier_hmac (identifier, identifier_hmac)
SELECT file_identifier.identifier,
       sha256(suppression_key.outer_pad
              || sha256(suppression_key.inner_pad || convert_to(file_identifier.identifier, 'UTF8')))
FROM (
    SELECT DISTINCT value.identifier
    FROM import_order
    CROSS JOIN LATERAL unnest(ARRAY['email:' || email, 'phone:' || phone_number,
                                    'phone:' || phone_number_as_typed]) AS value (identifier)
    WHERE value.identifier IS NOT NULL
) AS file_identifier
CROSS JOIN import_suppression_key AS suppression_key;
