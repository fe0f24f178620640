-- Unblock a value (`run.py blocklist remove`, DELETE /blocklist/{kind}/{value}), and forget its
-- guardrail refusals, so that a value an operator lifted is not quarantined again at the next one.
-- Customers the value linked before it was blocked stay linked (that is remove-identifier's job).
-- $1 kind text: email or phone
-- $2 value text: the value, normalized as the service stores it
-- returns: (kind text, value text, reason text, source text, created_at timestamptz), or no row
--   when the value was not blocked
-- indexes: blocked_identifier_pkey, guardrail_refusal_pkey
-- locks: the value's rows
WITH unblocked AS (
    DELETE FROM blocked_identifier
    WHERE kind = $1::text
      AND value = $2::text
    RETURNING kind, value, reason, source, created_at
),
forgotten_refusals AS (
    DELETE FROM guardrail_refusal
    WHERE kind = $1::text
      AND value = $2::text
)
SELECT unblocked.kind, unblocked.value, unblocked.reason, unblocked.source, unblocked.created_at
FROM unblocked;
