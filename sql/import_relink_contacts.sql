-- Point every existing contact of a touched customer straight at its new primary, and
-- record each change as an event. The one UPDATE of the import: demotes existing primaries
-- that are no longer the oldest of their (possibly merged) customer, moves their
-- secondaries, and flattens deeper chains, as identify_contact's merge step does for one
-- request. Its members are those import_existing_member found before the INSERT (the new
-- contacts are linked right already), with their links as found under the import's lock,
-- which no one else can have changed since: the contacts whose link must change are told
-- from those, and only they are read from contact, by an array of their ids (one probe of
-- the primary key each, however large the table; joined to the members, the planner read
-- the whole table to relink 155,379 of a million and a half). They are changed in id
-- order, mostly that of the table's pages (contacts are written in id order) and that of
-- its primary key: each page is read and each new key inserted next to the one before
-- (3.4-3.5 s instead of 4.1-4.3 s for those 155,379 contacts, the contact rows alone).
-- The events are
-- /identify's: a demoted root is merged {itself, the new primary} (the new primary may be
-- an imported contact older than it); any other contact whose link changes is relinked
-- {itself, what it was linked to before}; the customer of each is the primary after the
-- import. In each customer, the merges come first, each kind by contact id.
-- $1 request_id text: kept with the events (cli:import)
-- returns: nothing; the command tag counts the events, one per contact relinked
-- indexes: contact_pkey (a probe per contact relinked); identity_event_pkey,
--   identity_event_customer_id_idx, identity_event_contact_ids_idx (maintained)
-- locks: none beyond import_lock_contacts or import_lock_empty_tables (row locks of the
--   updated rows); the events are inserted (identity_event takes no other locks)
WITH change AS (
    SELECT member.id, member.linked_id AS previous_linked_id, NULLIF(customer.primary_id, member.id) AS linked_id,
           member.id = member.root_id AND member.id <> customer.primary_id AS demoted, customer.primary_id
    FROM import_existing_member AS member
    JOIN import_customer AS customer ON customer.label = member.label
    WHERE member.linked_id IS DISTINCT FROM NULLIF(customer.primary_id, member.id)
    ORDER BY member.id
),
relinked AS (
    UPDATE contact
    SET linked_id = change.linked_id,
        updated_at = clock_timestamp()
    FROM change
    WHERE contact.id = ANY (ARRAY(SELECT change.id FROM change))
      AND contact.id = change.id
      AND contact.linked_id IS DISTINCT FROM change.linked_id
    RETURNING contact.id, change.previous_linked_id, change.demoted, change.primary_id
)
INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
SELECT CASE WHEN relinked.demoted THEN 'merged' ELSE 'relinked' END,
       CASE WHEN relinked.demoted THEN ARRAY[relinked.id, relinked.primary_id]
            ELSE ARRAY[relinked.id, coalesce(relinked.previous_linked_id, relinked.id)] END,
       relinked.primary_id,
       $1::text
FROM relinked
ORDER BY relinked.primary_id, relinked.demoted DESC, relinked.id;
