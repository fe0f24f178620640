-- Every blocked value, or those of one source (`run.py blocklist list`).
-- $1 source text: default, admin or auto; NULL for all
-- returns: (kind text, value text, reason text, source text, created_at timestamptz) by kind, value
-- indexes: blocked_identifier_pkey (the order; the list is short by design)
-- locks: none
SELECT kind, value, reason, source, created_at
FROM blocked_identifier
WHERE $1::text IS NULL
   OR source = $1::text
ORDER BY kind, value;
