-- Report every break of the data invariants visible in the contact table.
-- Reads only and takes no locks beyond a plain snapshot, but scans every live contact
-- several times (about 20 s for a million on the development machine): run it
-- on a replica, or off-peak. `identity-service check` runs it.
-- returns: one row per violation (violation text, contact_ids bigint[]), the ids
--   being the contacts that show it; no rows when the data is sound. Violations:
--   linked to a missing or deleted contact   [secondary, its target]
--   linked to a secondary                    [secondary, its target] (chains must be flat)
--   linked to itself                         [contact] (*)
--   link_precedence disagrees with linked_id [contact] (*)
--   no primary (a cycle of links)            [contact]
--   identifier shared by several primaries   [the primaries] (one customer, two primaries)
--   primary is not the oldest of its cluster [primary, an older member]
--   duplicate that brings no new identifier  [contact, earlier contacts (lower ids) holding its values]
--   (*) guards: the schema's CHECK and generated column forbid these, unless the data
--   was loaded into a copy of the table without them.
-- indexes: contact_pkey, contact_linked_id_idx, contact_email_live_idx, contact_phone_number_live_idx
-- locks: none
WITH RECURSIVE live AS (
    SELECT id, email, phone_number, linked_id, link_precedence, created_at
    FROM contact
    WHERE deleted_at IS NULL
),
-- The top of every cluster: a live contact with no live parent.
roots AS (
    SELECT live.id
    FROM live
    WHERE NOT EXISTS (SELECT FROM live AS parent WHERE parent.id = live.linked_id)
),
-- Every live contact under each root, at any depth. Below a root the links form a tree
-- (a contact has one linked_id), so the walk ends; a contact it never reaches sits in,
-- or under, a cycle of links.
root_of AS (
    SELECT id AS contact_id, id AS root_id
    FROM roots
    UNION ALL
    SELECT child.id, root_of.root_id
    FROM root_of
    JOIN contact AS child ON child.linked_id = root_of.contact_id
    WHERE child.deleted_at IS NULL
),
membership AS (
    SELECT live.id, live.email, live.phone_number, live.created_at, root_of.root_id
    FROM live
    JOIN root_of ON root_of.contact_id = live.id
),
identifier AS (
    SELECT 'email' AS kind, email AS value, root_id FROM membership WHERE email IS NOT NULL
    UNION ALL
    SELECT 'phone', phone_number, root_id FROM membership WHERE phone_number IS NOT NULL
)
SELECT 'linked to a missing or deleted contact' AS violation,
       ARRAY[live.id, live.linked_id] AS contact_ids
FROM live
WHERE live.linked_id IS NOT NULL
  AND NOT EXISTS (SELECT FROM live AS target WHERE target.id = live.linked_id)
UNION ALL
SELECT 'linked to a secondary', ARRAY[live.id, target.id]
FROM live
JOIN live AS target ON target.id = live.linked_id
WHERE target.linked_id IS NOT NULL
UNION ALL
SELECT 'linked to itself', ARRAY[id]
FROM live
WHERE linked_id = id
UNION ALL
SELECT 'link_precedence disagrees with linked_id', ARRAY[id]
FROM live
WHERE (link_precedence = 'primary') IS DISTINCT FROM (linked_id IS NULL)
UNION ALL
SELECT 'no primary (a cycle of links)', ARRAY[live.id]
FROM live
WHERE NOT EXISTS (SELECT FROM root_of WHERE root_of.contact_id = live.id)
UNION ALL
SELECT 'identifier shared by several primaries', array_agg(DISTINCT root_id ORDER BY root_id)
FROM identifier
GROUP BY kind, value
HAVING count(DISTINCT root_id) > 1
UNION ALL
SELECT 'primary is not the oldest of its cluster', ARRAY[root.id, min(older.id)]
FROM membership AS root
JOIN membership AS older
  ON older.root_id = root.id
 AND (older.created_at, older.id) < (root.created_at, root.id)
WHERE root.id = root.root_id
GROUP BY root.id
UNION ALL
SELECT 'duplicate that brings no new identifier',
       ARRAY[duplicate.id] || ARRAY(
           SELECT earlier.id
           FROM contact AS earlier
           WHERE earlier.deleted_at IS NULL
             AND (earlier.email = duplicate.email OR earlier.phone_number = duplicate.phone_number)
             AND earlier.id < duplicate.id
           ORDER BY earlier.id
       )
FROM live AS duplicate
-- The correlated lookups read contact, not the live CTE, so that they use the indexes.
-- Earlier means created earlier, which is id order: `run.py import` dates contacts in the
-- past, so created_at order is not creation order, but ids are always drawn in it.
WHERE (duplicate.email IS NULL OR EXISTS (
          SELECT FROM contact AS earlier
          WHERE earlier.deleted_at IS NULL
            AND earlier.email = duplicate.email
            AND earlier.id < duplicate.id))
  AND (duplicate.phone_number IS NULL OR EXISTS (
          SELECT FROM contact AS earlier
          WHERE earlier.deleted_at IS NULL
            AND earlier.phone_number = duplicate.phone_number
            AND earlier.id < duplicate.id))
ORDER BY 1, 2;
