-- Revoke an API key by name (`run.py keys revoke`); revoking twice keeps the first time.
-- $1 name text: the key's name
-- returns: (revoked_at timestamptz), or no row when no key has that name
-- indexes: api_key_name_is_unique
-- locks: the key's row (by the UPDATE)
UPDATE api_key
SET revoked_at = coalesce(revoked_at, clock_timestamp())
WHERE name = $1::text
RETURNING revoked_at;
