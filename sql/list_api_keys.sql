-- Every API key, without its hash (`run.py keys list`).
-- returns: (name text, scope text, created_at, last_used_at, revoked_at timestamptz) by name
-- indexes: none (a handful of rows)
-- locks: none
SELECT name, scope, created_at, last_used_at, revoked_at
FROM api_key
ORDER BY name;
