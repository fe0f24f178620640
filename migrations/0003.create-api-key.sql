-- API keys: who may read customers (scope read) and change them (scope admin, which
-- includes read). Only a SHA-256 hash of each secret is stored; the secret itself is
-- printed once by `run.py keys create` and never kept. A secret is 32 random bytes, so a
-- plain hash cannot be reversed by guessing. Revoked keys stay listed (revoked_at set).

CREATE TABLE api_key (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    scope text NOT NULL,
    secret_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Coarse: refreshed at most once a minute per key (see sql/find_api_key.sql).
    last_used_at timestamptz,
    revoked_at timestamptz,
    CONSTRAINT api_key_name_is_unique UNIQUE (name),
    CONSTRAINT api_key_name_is_printable CHECK (name ~ '^[A-Za-z0-9._-]{1,64}$'),
    CONSTRAINT api_key_scope_is_known CHECK (scope IN ('read', 'admin')),
    CONSTRAINT api_key_secret_hash_is_sha256 CHECK (octet_length(secret_hash) = 32),
    -- Every request's key is found by this index.
    CONSTRAINT api_key_secret_hash_is_unique UNIQUE (secret_hash)
);
