-- Read the customers that contacts or identifiers belong to, every member with its details.
-- The read endpoints (GET /customers...) run it alone: no lock, no write, one snapshot.
-- $1 contact_ids bigint[]: live contacts whose customers to read (empty for none)
-- $2 email text: normalized email whose customer to read, or NULL
-- $3 phone_number text: normalized phone number whose customer to read, or NULL
-- returns: one row per live contact of every matched customer:
--   (root_id bigint, id bigint, email text, phone_number text, linked_id bigint,
--    link_precedence text, created_at timestamptz, updated_at timestamptz),
--   customers oldest root first, each with its root first, then in creation order.
--   No rows: nothing matched.
-- indexes: contact_pkey, contact_email_live_idx, contact_phone_number_live_idx (matched),
--   contact_pkey (ancestry), contact_linked_id_idx (cluster)
-- locks: none
WITH RECURSIVE matched AS (
    SELECT id, linked_id
    FROM contact
    WHERE deleted_at IS NULL
      AND (id = ANY ($1::bigint[]) OR email = $2::text OR phone_number = $3::text)
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
-- Walk down from each root to every live contact under it (a tree: UNION ALL).
cluster AS (
    SELECT id AS root_id, created_at AS root_created_at,
           id, email, phone_number, linked_id, link_precedence, created_at, updated_at
    FROM contact
    WHERE id IN (SELECT id FROM roots)
    UNION ALL
    SELECT cluster.root_id, cluster.root_created_at,
           member.id, member.email, member.phone_number, member.linked_id, member.link_precedence,
           member.created_at, member.updated_at
    FROM cluster
    JOIN contact AS member ON member.linked_id = cluster.id
    WHERE member.deleted_at IS NULL
)
SELECT root_id, id, email, phone_number, linked_id, link_precedence, created_at, updated_at
FROM cluster
ORDER BY root_created_at, root_id, id = root_id DESC, created_at, id;
