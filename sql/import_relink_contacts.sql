-- Point every existing contact of a touched customer straight at its new primary.
-- The one UPDATE of the import: demotes existing primaries that are no longer the
-- oldest of their (possibly merged) customer, moves their secondaries, and flattens
-- deeper chains, as /identify's merge_cluster does for one request. Members are found
-- by walking down from the touched roots; rows already right are left alone.
-- returns: nothing; the command tag counts the contacts relinked
-- indexes: contact_pkey (roots, update), contact_linked_id_idx (walk down)
-- locks: none beyond import_lock_contacts (row locks of the updated rows)
WITH RECURSIVE touched_root AS (
    SELECT DISTINCT known.root_id, customer.primary_id
    FROM import_known AS known
    JOIN import_identifier AS identifier ON identifier.node_id = known.node_id
    JOIN import_customer AS customer ON customer.label = identifier.label
),
-- UNION ALL: below a root the links form a tree, so nothing repeats.
member AS (
    SELECT root_id AS id, primary_id
    FROM touched_root
    UNION ALL
    SELECT child.id, member.primary_id
    FROM member
    JOIN contact AS child ON child.linked_id = member.id
    WHERE child.deleted_at IS NULL
)
UPDATE contact
SET linked_id = NULLIF(member.primary_id, contact.id),
    updated_at = clock_timestamp()
FROM member
WHERE contact.id = member.id
  AND contact.linked_id IS DISTINCT FROM NULLIF(member.primary_id, contact.id);
