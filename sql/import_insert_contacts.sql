-- Insert the planned contacts, each linked straight to its customer's primary, and record
-- each as an event. The one INSERT of the import. A contact that is its customer's primary
-- gets linked_id NULL; the foreign key is checked at the end of the statement, when every
-- new primary exists (into an empty table, the indexes and the foreign key are built
-- after it instead: see import_list_rebuilt_indexes_and_keys). Each new contact is a
-- created_primary event {itself} or a created_secondary event {itself} of its primary
-- after the import, as /identify records them; events follow the contacts' ids, so a
-- new primary's event comes before those of its new secondaries (a new contact's
-- primary, when new, is older: a smaller id).
-- $1 first_id bigint: the first id reserved by import_reserve_ids
-- $2 request_id text: kept with the events (cli:import)
-- returns: nothing; the command tag counts the events, one per contact created
-- indexes: contact_pkey, contact_email_live_idx, contact_phone_number_live_idx,
--   contact_linked_id_idx (maintained); identity_event_pkey,
--   identity_event_customer_id_idx, identity_event_contact_ids_idx (maintained); into
--   empty tables only the primary keys, the others are built afterwards
-- locks: none beyond import_lock_contacts (and FOR KEY SHARE on the primaries,
--   by the foreign key check) or import_lock_empty_tables; the events are inserted
--   (identity_event takes no other locks)
WITH inserted AS (
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
    ORDER BY planned.id
    RETURNING contact.id, contact.linked_id
)
INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
SELECT CASE WHEN inserted.linked_id IS NULL THEN 'created_primary' ELSE 'created_secondary' END,
       ARRAY[inserted.id],
       coalesce(inserted.linked_id, inserted.id),
       $2::text
FROM inserted
ORDER BY inserted.id;
