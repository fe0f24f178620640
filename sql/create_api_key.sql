-- Add an API key (`run.py keys create`). Only the hash of its secret is stored.
-- $1 name text: the key's name, unique
-- $2 scope text: read or admin
-- $3 secret_hash bytea: SHA-256 of the secret
-- returns: (name text, scope text, created_at timestamptz); a unique violation when the name is taken
-- indexes: api_key_name_is_unique, api_key_secret_hash_is_unique
-- locks: none beyond the insert
INSERT INTO api_key (name, scope, secret_hash)
VALUES ($1::text, $2::text, $3::bytea)
RETURNING name, scope, created_at;
