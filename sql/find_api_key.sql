-- Find the API key a request presents, by the SHA-256 hash of its secret, and note its use.
-- last_used_at is coarse: refreshed at most once a minute per key, so a busy key does not
-- write on every request.
-- $1 secret_hash bytea: SHA-256 of the presented secret
-- returns: at most one row (name text, scope text, secret_hash bytea, revoked boolean)
-- indexes: api_key_secret_hash_is_unique
-- locks: FOR NO KEY UPDATE on the key's row (by the UPDATE), at most once a minute per key
WITH presented AS (
    SELECT id, name, scope, secret_hash, revoked_at
    FROM api_key
    WHERE secret_hash = $1::bytea
),
noted_use AS (
    UPDATE api_key
    SET last_used_at = clock_timestamp()
    FROM presented
    WHERE api_key.id = presented.id
      AND presented.revoked_at IS NULL
      -- On api_key, not presented: a concurrent update is re-checked against the new row.
      AND (api_key.last_used_at IS NULL OR api_key.last_used_at < clock_timestamp() - interval '1 minute')
)
SELECT name, scope, secret_hash, revoked_at IS NOT NULL AS revoked
FROM presented;
