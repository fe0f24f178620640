-- Each ranked order with the nodes of its email and phone number.
-- Later steps join on these bigint node ids instead of the text values.
-- returns: nothing; creates the temporary table import_order_node
--   (seq bigint, email text, phone_number text, created_at timestamptz,
--    email_node bigint, phone_node bigint), a node NULL where the order has no value
-- indexes: none (hash joins of temporary tables)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_order_node ON COMMIT DROP AS
SELECT ranked.seq,
       ranked.email,
       ranked.phone_number,
       ranked.created_at,
       email_identifier.node_id AS email_node,
       phone_identifier.node_id AS phone_node
FROM import_ranked_order AS ranked
LEFT JOIN import_identifier AS email_identifier
  ON email_identifier.kind = 'email' AND email_identifier.value = ranked.email
LEFT JOIN import_identifier AS phone_identifier
  ON phone_identifier.kind = 'phone' AND phone_identifier.value = ranked.phone_number;
