-- Insert the planned contacts, each linked straight to its customer's primary.
-- The one INSERT of the import. A contact that is its customer's primary gets
-- linked_id NULL; the foreign key is checked at the end of the statement, when every
-- new primary exists.
-- $1 first_id bigint: the first id reserved by import_reserve_ids
-- returns: nothing; the command tag counts the contacts created
-- indexes: contact_pkey, contact_email_live_idx, contact_phone_number_live_idx,
--   contact_linked_id_idx (maintained)
-- locks: none beyond import_lock_contacts (and FOR KEY SHARE on the primaries,
--   by the foreign key check)
INSERT INTO contact (id, email, phone_number, linked_id, created_at, updated_at)
OVERRIDING SYSTEM VALUE
SELECT planned.id,
       planned.email,
       planned.phone_number,
       NULLIF(customer.primary_id, planned.id),
       planned.created_at,
       clock_timestamp()
FROM (
    SELECT $1::bigint + ordinal - 1 AS id, email, phone_number, created_at, label
    FROM import_new_contact
) AS planned
JOIN import_customer AS customer ON customer.label = planned.label
ORDER BY planned.id;
