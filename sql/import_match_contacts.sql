-- Find which existing customers the file's identifiers belong to.
-- Every live contact holding one of the file's values, walked up linked_id to its root
-- (a primary, or a live contact whose primary was deleted) exactly as /identify's
-- lock_roots does. An identifier found here was seen before the file: no order
-- creates a contact for it.
-- returns: nothing; creates the temporary table import_known
--   (node_id bigint, root_id bigint, root_linked_id bigint),
--   one row per identifier and root holding it; root_linked_id is the root's link as
--   found (NULL for a primary), which import_relink_contacts records when it changes
-- indexes: contact_email_live_idx, contact_phone_number_live_idx (matched; or hash
--   joins when the file is large), contact_pkey (one probe per step up a chain: a
--   secondary's parent)
-- locks: none beyond import_lock_contacts or import_lock_empty_tables
CREATE TEMPORARY TABLE import_known ON COMMIT DROP AS
WITH RECURSIVE matched AS MATERIALIZED (
    SELECT identifier.node_id, contact.id, contact.linked_id
    FROM import_identifier AS identifier
    JOIN contact ON contact.email = identifier.value
    WHERE identifier.kind = 'email'
      AND contact.deleted_at IS NULL
    UNION ALL
    SELECT identifier.node_id, contact.id, contact.linked_id
    FROM import_identifier AS identifier
    JOIN contact ON contact.phone_number = identifier.value
    WHERE identifier.kind = 'phone'
      AND contact.deleted_at IS NULL
),
-- From each matched contact up linked_id to any depth, one live parent per step (a
-- probe of the primary key, whatever the table's size); UNION ends the walk on cycles.
ancestry AS (
    SELECT DISTINCT id AS start_id, id, linked_id
    FROM matched
    UNION
    SELECT ancestry.start_id, parent.id, parent.linked_id
    FROM ancestry
    CROSS JOIN LATERAL (
        SELECT contact.id, contact.linked_id
        FROM contact
        WHERE contact.id = ancestry.linked_id
          AND contact.deleted_at IS NULL
        LIMIT 1
    ) AS parent
),
-- A root has no live parent: none, or none the walk found above it.
roots AS (
    SELECT start_id, id, linked_id
    FROM ancestry
    WHERE NOT EXISTS (
        SELECT FROM ancestry AS parent
        WHERE parent.start_id = ancestry.start_id
          AND parent.id = ancestry.linked_id
    )
)
SELECT DISTINCT matched.node_id, roots.id AS root_id, roots.linked_id AS root_linked_id
FROM matched
JOIN roots ON roots.start_id = matched.id;
