-- Block a value (`run.py blocklist add`, PUT /blocklist/{kind}/{value}): from the next request on,
-- identify_contact treats it as absent. Blocking a blocked value again replaces its reason and source.
-- $1 kind text: email or phone
-- $2 value text: the value, normalized as the service stores it
-- $3 reason text: why, for the next operator
-- $4 source text: admin (an operator) or auto
-- returns: (kind text, value text, reason text, source text, created_at timestamptz)
-- indexes: blocked_identifier_pkey
-- locks: the value's row
INSERT INTO blocked_identifier AS blocked (kind, value, reason, source)
VALUES ($1::text, $2::text, $3::text, $4::text)
ON CONFLICT (kind, value) DO UPDATE
SET reason = excluded.reason,
    source = excluded.source
RETURNING blocked.kind, blocked.value, blocked.reason, blocked.source, blocked.created_at;
