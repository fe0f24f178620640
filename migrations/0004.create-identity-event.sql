-- The audit trail: one row per change to the contact table, written in the same
-- transaction by the statement that makes the change. Events hold contact ids only,
-- never emails or phone numbers, so erasing a customer leaves its trail readable
-- and free of personal data. No foreign keys: the contacts may since have been erased.
--
-- kind                contact_ids                          customer_id (after the change)
-- created_primary     {new contact}                        the new contact
-- created_secondary   {new contact}                        its primary
-- merged              {losing primary, winning primary}    the winner
-- relinked            {contact, primary it was linked to   its new primary (the contact
--                      before, or itself if it was one}     itself when it became primary)
-- identifier_removed  {contacts that lost the value}       their primary after the split
-- contact_deleted     {contacts deleted: nothing left      the primary of the customer they
--                      once the value was removed}         were removed from
-- erased              {every erased contact}               the erased customer's primary

CREATE TABLE identity_event (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    kind text NOT NULL,
    contact_ids bigint[] NOT NULL,
    customer_id bigint NOT NULL,
    -- The X-Request-ID of the request that caused it, or cli:<command>.
    request_id text NOT NULL,
    CONSTRAINT identity_event_kind_is_known CHECK (kind IN (
        'created_primary', 'created_secondary', 'merged', 'relinked',
        'identifier_removed', 'contact_deleted', 'erased')),
    CONSTRAINT identity_event_names_contacts CHECK (cardinality(contact_ids) > 0)
);

-- GET /customers/{id}/events reads a customer's events by the ids of its contacts:
-- events whose customer was one of them, or that name one of them.
CREATE INDEX identity_event_customer_id_idx
    ON identity_event (customer_id, id);

-- fastupdate off: a pending list of recent events (the ones a support person looks at)
-- would be scanned linearly on every read; inserting each event's two or three ids into
-- the index directly costs microseconds.
CREATE INDEX identity_event_contact_ids_idx
    ON identity_event USING gin (contact_ids)
    WITH (fastupdate = off);
