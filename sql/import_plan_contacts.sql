-- The contacts the import creates: one per order that sights an identifier first.
-- An order creates a contact exactly when /identify, fed the orders one at a time,
-- would have: its email or its phone number was seen nowhere before, neither in the
-- table (import_known) nor in an earlier order (its node is its own seq). The contact
-- holds both of the order's values and its createdAt, and belongs to the customer
-- (label) of its nodes; a customer over a cap (import_oversized_customer) gets none.
-- ordinal numbers the contacts in the order /identify would have
-- created them; import_reserve_ids turns it into an id, so that a dry run uses none.
-- returns: nothing; creates the temporary table import_new_contact
--   (ordinal bigint, email text, phone_number text, created_at timestamptz, label bigint)
-- Plans by construction: how many orders sight a value first is past estimating (the
-- planner guesses 0.5% of them), and with so small a guess it compared each such order
-- with every node of import_identifier: a dry run of the 1M bench file plus 20,000 new
-- orders, into the table that file had filled, was still here after two minutes (now
-- 1.5 s). So each contact's customer is one probe of import_identifier's index, keyed by
-- the contact's node (LIMIT 1 also tells the planner node_id is unique), and the values
-- already in the table and the customers over a cap are hashed subplans, tested once per
-- order (NOT IN, since a label is never NULL: the smallest node id of its customer).
-- indexes: import_identifier (node_id) (import_index_identifiers)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_new_contact ON COMMIT DROP AS
WITH creating AS (
    SELECT seq, email, phone_number, created_at, coalesce(email_node, phone_node) AS node_id
    FROM import_order_node
    WHERE (email_node = 2 * seq
           AND NOT EXISTS (SELECT FROM import_known WHERE import_known.node_id = import_order_node.email_node))
       OR (phone_node = 2 * seq + 1
           AND NOT EXISTS (SELECT FROM import_known WHERE import_known.node_id = import_order_node.phone_node))
),
labelled AS (
    SELECT creating.seq, creating.email, creating.phone_number, creating.created_at, customer.label
    FROM creating
    CROSS JOIN LATERAL (
        SELECT identifier.label
        FROM import_identifier AS identifier
        WHERE identifier.node_id = creating.node_id
        LIMIT 1
    ) AS customer
)
SELECT row_number() OVER (ORDER BY seq) AS ordinal, email, phone_number, created_at, label
FROM labelled
WHERE label NOT IN (SELECT oversized.label FROM import_oversized_customer AS oversized);
