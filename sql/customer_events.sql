-- One page of a customer's audit trail: the events whose customer is one of its contacts,
-- or that name one of them (so the events of customers merged into it come along).
-- $1 contact_ids bigint[]: every live contact of the customer
-- $2 after_id bigint: the cursor; only events with a larger id (0 for the first page)
-- $3 page_size integer: most events to return
-- returns: (id bigint, occurred_at timestamptz, kind text, contact_ids bigint[],
--   customer_id bigint, request_id text), oldest (smallest id) first
-- indexes: identity_event_customer_id_idx, identity_event_contact_ids_idx (GIN),
--   identity_event_pkey (the page)
-- locks: none
WITH by_customer AS (
    SELECT id
    FROM identity_event
    WHERE customer_id = ANY ($1::bigint[])
      AND id > $2::bigint
),
-- OFFSET 0 keeps the cursor out of this scan: with it, a generic plan walks the primary
-- key from the cursor and filters every later event; without, the GIN index is the only way.
by_contact AS (
    SELECT naming.id
    FROM (
        SELECT id
        FROM identity_event
        WHERE contact_ids && $1::bigint[]
        OFFSET 0
    ) AS naming
    WHERE naming.id > $2::bigint
),
page AS (
    SELECT id FROM by_customer
    UNION
    SELECT id FROM by_contact
    ORDER BY id
    LIMIT $3::integer
)
SELECT event.id, event.occurred_at, event.kind, event.contact_ids, event.customer_id, event.request_id
FROM identity_event AS event
WHERE event.id = ANY (ARRAY(SELECT id FROM page))
ORDER BY event.id;
