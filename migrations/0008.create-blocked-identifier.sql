-- Protecting the identity graph (README "Protecting the identity graph"): values that must
-- never glue customers together, the count of guardrail refusals per value, and the event
-- kind that records a refusal.
--
-- blocked_identifier: a value here is treated as absent by identify_contact (it matches
-- nothing and is not stored). kind is 'email' or 'phone'; value is normalized as the
-- service normalizes requests (emails lowercased; phones as digits with an optional leading
-- +, which identify_contact compares with both the digits as typed and the E.164 form of a
-- request's phone). source: 'default' (this migration), 'admin' (CLI or admin endpoint),
-- 'auto' (quarantined after AUTO_BLOCK_AFTER guardrail refusals).
CREATE TABLE blocked_identifier (
    kind text NOT NULL,
    value text NOT NULL,
    reason text NOT NULL,
    source text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- The lookup of a request's values is a probe of this key.
    PRIMARY KEY (kind, value),
    CONSTRAINT blocked_identifier_kind_is_known CHECK (kind IN ('email', 'phone')),
    CONSTRAINT blocked_identifier_source_is_known CHECK (source IN ('default', 'admin', 'auto')),
    CONSTRAINT blocked_identifier_value_is_not_empty CHECK (value <> '')
);

-- The default list: only values that shop staff type when a buyer gives nothing, and that
-- no real buyer owns. Each is a placeholder by construction (the test domains of RFC 2606
-- and RFC 6761 are never delivered to; a run of one digit or the digits in order is not a
-- number any numbering plan assigns), so blocking it cannot separate a real customer.
INSERT INTO blocked_identifier (kind, value, reason, source) VALUES
    ('email', 'test@test.com', 'placeholder typed at checkout', 'default'),
    ('email', 'none@none.com', 'placeholder typed at checkout', 'default'),
    ('email', 'noemail@noemail.com', 'placeholder typed at checkout', 'default'),
    ('email', 'noemail@gmail.com', 'placeholder typed at checkout', 'default'),
    ('email', 'no@email.com', 'placeholder typed at checkout', 'default'),
    ('email', 'test@example.com', 'reserved example domain (RFC 2606)', 'default'),
    ('phone', '0000000000', 'placeholder typed at checkout', 'default'),
    ('phone', '1111111111', 'placeholder typed at checkout', 'default'),
    ('phone', '1234567890', 'placeholder typed at checkout', 'default'),
    ('phone', '9999999999', 'placeholder typed at checkout', 'default');

-- How often a request holding this value was refused by a guardrail cap (the values a
-- refused request matched in its customers, which are what glued it there). At
-- AUTO_BLOCK_AFTER the value is added to blocked_identifier with source 'auto'.
CREATE TABLE guardrail_refusal (
    kind text NOT NULL,
    value text NOT NULL,
    refusals integer NOT NULL,
    last_refused_at timestamptz NOT NULL,
    PRIMARY KEY (kind, value),
    CONSTRAINT guardrail_refusal_kind_is_known CHECK (kind IN ('email', 'phone'))
);

-- guardrail_refused  {the roots the request matched}  the customer it was answered with
ALTER TABLE identity_event
    DROP CONSTRAINT identity_event_kind_is_known,
    ADD CONSTRAINT identity_event_kind_is_known CHECK (kind IN (
        'created_primary', 'created_secondary', 'merged', 'relinked',
        'identifier_removed', 'contact_deleted', 'erased', 'guardrail_refused'));
