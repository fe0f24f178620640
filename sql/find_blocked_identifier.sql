-- One blocked value (GET /blocklist/{kind}/{value}).
-- $1 kind text: email or phone
-- $2 value text: the value, normalized as the service stores it
-- returns: (kind text, value text, reason text, source text, created_at timestamptz), or no row
-- indexes: blocked_identifier_pkey
-- locks: none
SELECT kind, value, reason, source, created_at
FROM blocked_identifier
WHERE kind = $1::text
  AND value = $2::text;
