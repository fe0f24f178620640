-- The contacts the import creates: one per order that sights an identifier first.
-- An order creates a contact exactly when /identify, fed the orders one at a time,
-- would have: its email or its phone number was seen nowhere before, neither in the
-- table (import_known) nor in an earlier order (first_seq). The contact holds both of
-- the order's values and its createdAt, and belongs to the customer of its component.
-- Ids are given later, by import_number_contacts, so that a dry run uses none.
-- returns: nothing; creates the temporary table import_new_contact
--   (seq bigint, email text, phone_number text, created_at timestamptz, label bigint,
--    id bigint NULL until numbered)
-- indexes: none (hash joins of temporary tables)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_new_contact ON COMMIT DROP AS
SELECT ordered.seq,
       ordered.email,
       ordered.phone_number,
       ordered.created_at,
       coalesce(email_identifier.label, phone_identifier.label) AS label,
       NULL::bigint AS id
FROM import_order_node AS ordered
LEFT JOIN import_identifier AS email_identifier ON email_identifier.node_id = ordered.email_node
LEFT JOIN import_identifier AS phone_identifier ON phone_identifier.node_id = ordered.phone_node
WHERE (email_identifier.first_seq = ordered.seq
       AND NOT EXISTS (SELECT FROM import_known WHERE import_known.node_id = ordered.email_node))
   OR (phone_identifier.first_seq = ordered.seq
       AND NOT EXISTS (SELECT FROM import_known WHERE import_known.node_id = ordered.phone_node));
