-- Read the customers that contacts or identifiers belong to, every member with its details.
-- The read endpoints (GET /customers...) run it alone: no lock, no write, one snapshot.
-- $1 contact_ids bigint[]: live contacts whose customers to read (empty for none)
-- $2 email text: normalized email whose customer to read, or NULL
-- $3 phone_number text: normalized phone number whose customer to read, or NULL
-- returns: one row per live contact of every matched customer:
--   (root_id bigint, id bigint, email text, phone_number text, linked_id bigint,
--    link_precedence text, created_at timestamptz, updated_at timestamptz),
--   customers oldest first, each with its root first, then in creation order.
--   No rows: nothing matched.
-- indexes: those of contact_roots (migrations/0006), customer_roots and customer_members
--   (migrations/0002.customer-walk-functions.sql); contact_pkey (each member's details)
-- locks: none
-- The roots of the given contacts and of the identifiers (migrations/0006 and 0002).
WITH roots AS (
    SELECT of_contact.id
    FROM contact_roots($1::bigint[]) AS of_contact
    UNION
    SELECT identified.id
    FROM customer_roots($2::text, $3::text) AS identified
),
customer AS (
    SELECT roots.id AS root_id, member.id, member.email, member.phone_number, member.linked_id,
           detail.link_precedence, member.created_at, detail.updated_at, member.depth
    FROM roots
    CROSS JOIN LATERAL customer_members(roots.id) AS member
    CROSS JOIN LATERAL (
        SELECT contact.link_precedence, contact.updated_at
        FROM contact
        WHERE contact.id = member.id
        OFFSET 0
    ) AS detail
)
SELECT root_id, id, email, phone_number, linked_id, link_precedence, created_at, updated_at
FROM customer
ORDER BY min(created_at) OVER (PARTITION BY root_id), root_id, depth = 0 DESC, created_at, id;
