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
-- indexes: none (hash joins of temporary tables)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_new_contact ON COMMIT DROP AS
WITH creating AS (
    SELECT seq, email, phone_number, created_at, coalesce(email_node, phone_node) AS node_id
    FROM import_order_node
    WHERE (email_node = 2 * seq
           AND NOT EXISTS (SELECT FROM import_known WHERE import_known.node_id = import_order_node.email_node))
       OR (phone_node = 2 * seq + 1
           AND NOT EXISTS (SELECT FROM import_known WHERE import_known.node_id = import_order_node.phone_node))
)
SELECT row_number() OVER (ORDER BY creating.seq) AS ordinal,
       creating.email,
       creating.phone_number,
       creating.created_at,
       identifier.label
FROM creating
JOIN import_identifier AS identifier ON identifier.node_id = creating.node_id
WHERE NOT EXISTS (SELECT FROM import_oversized_customer AS oversized WHERE oversized.label = identifier.label);
