-- Read the customer(s) a request matches, without writing or locking anything.
-- This is the fast path: when the request matches exactly one customer and brings
-- nothing new, this single statement answers it, outside any explicit transaction
-- (one snapshot, so the answer was true at that moment).
-- $1 email text: normalized email, or NULL when the request has none
-- $2 phone_number text: normalized phone number, or NULL when the request has none
-- returns: one row per live contact of every matched customer:
--   (id bigint, email text, phone_number text, already_known boolean),
--   primaries first, then in creation order (created_at, id). already_known is the
--   same on every row: exactly one customer matched, it is in order (its root is a
--   primary and every other contact points straight at it; not so after its primary
--   was deleted, or for deeper chains, which the write path repairs), and it already
--   holds every identifier of the request, so nothing needs writing. No rows: nothing
--   matched.
-- indexes: contact_email_live_idx, contact_phone_number_live_idx (matched),
--   contact_pkey (ancestry), contact_linked_id_idx (cluster)
-- locks: none
WITH RECURSIVE matched AS (
    SELECT id, linked_id
    FROM contact
    WHERE deleted_at IS NULL
      AND (email = $1::text OR phone_number = $2::text)
),
-- Walk up linked_id to any depth; UNION (not UNION ALL) ends the walk on cycles.
ancestry AS (
    SELECT id, linked_id
    FROM matched
    UNION
    SELECT parent.id, parent.linked_id
    FROM ancestry
    JOIN contact AS parent ON parent.id = ancestry.linked_id
    WHERE parent.deleted_at IS NULL
),
-- A root has no live parent: a primary, or a contact whose primary was deleted.
roots AS (
    SELECT id
    FROM ancestry
    WHERE NOT EXISTS (
        SELECT FROM ancestry AS parent WHERE parent.id = ancestry.linked_id
    )
),
-- Walk down from the roots to every live contact linked to them, at any depth.
-- UNION ALL: below a root the links form a tree (a contact has one linked_id), so
-- nothing repeats; UNION would build a hash table sized for the planner's guess of the
-- cluster, hundreds of thousands of rows, on every call.
cluster AS (
    SELECT id, email, phone_number, linked_id, created_at
    FROM contact
    WHERE id IN (SELECT id FROM roots)
    UNION ALL
    SELECT member.id, member.email, member.phone_number, member.linked_id, member.created_at
    FROM cluster
    JOIN contact AS member ON member.linked_id = cluster.id
    WHERE member.deleted_at IS NULL
)
SELECT
    cluster.id,
    cluster.email,
    cluster.phone_number,
    (SELECT count(*) FROM roots) = 1
        -- In order: the root (linked_id NULL) and everyone else linked straight to it.
        AND NOT EXISTS (
            SELECT FROM cluster AS member
            WHERE member.linked_id IS DISTINCT FROM NULLIF((SELECT id FROM roots), member.id))
        AND ($1::text IS NULL OR EXISTS (SELECT FROM cluster AS known WHERE known.email = $1::text))
        AND ($2::text IS NULL OR EXISTS (SELECT FROM cluster AS known WHERE known.phone_number = $2::text))
        AS already_known
FROM cluster
ORDER BY cluster.id IN (SELECT id FROM roots) DESC, cluster.created_at, cluster.id;
