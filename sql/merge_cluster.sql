-- Merge the locked customers into one and record what the request brings new.
-- Third step of every write, run while holding the locks of lock_identifiers and
-- lock_roots, so the snapshot of this statement is the truth about these customers.
--   winner:   the oldest root (created_at, then id) stays or becomes the primary;
--   relinked: every other contact of the merged clusters now points straight at the
--             winner (this demotes the losing primaries, moves their secondaries and
--             flattens deeper chains, in one set-based UPDATE);
--   created:  when the request has an email or phone number that no contact of the
--             merged cluster has, one new contact holding both values: a secondary
--             of the winner, or a new primary when nothing matched.
-- $1 email text: normalized email, or NULL when the request has none
-- $2 phone_number text: normalized phone number, or NULL when the request has none
-- $3 root_ids bigint[]: the roots returned by lock_roots (locked, still roots)
-- returns: one row per live contact of the merged customer:
--   (id bigint, email text, phone_number text, created_id bigint, demoted_count bigint),
--   primary first, then in creation order (created_at, id). created_id (the new
--   contact, or NULL) and demoted_count (primaries turned secondary) are the same on
--   every row.
-- indexes: contact_pkey (roots, relinking), contact_linked_id_idx (cluster)
-- locks: row locks (FOR NO KEY UPDATE, by the UPDATE) on the contacts it relinks,
--   all of them members of the locked roots' clusters; FOR KEY SHARE on the winner
--   (foreign key check of the insert), already held more strongly.
-- Walk down from the roots to every live contact linked to them, at any depth.
-- UNION ALL: below a root the links form a tree (a contact has one linked_id), so
-- nothing repeats; UNION would build a hash table sized for the planner's guess.
WITH RECURSIVE cluster AS (
    SELECT id, email, phone_number, linked_id, created_at
    FROM contact
    WHERE id = ANY ($3::bigint[])
    UNION ALL
    SELECT member.id, member.email, member.phone_number, member.linked_id, member.created_at
    FROM cluster
    JOIN contact AS member ON member.linked_id = cluster.id
    WHERE member.deleted_at IS NULL
),
winner AS (
    SELECT id, created_at
    FROM cluster
    WHERE id = ANY ($3::bigint[])
    ORDER BY created_at, id
    LIMIT 1
),
relinked AS (
    UPDATE contact
    -- NULLIF: the winner gets NULL (primary), every other member the winner's id.
    SET linked_id = NULLIF(winner.id, contact.id),
        updated_at = clock_timestamp()
    FROM winner
    -- Keyed by an id array, not joined to the cluster: a generic plan guesses the
    -- recursive cluster far too large and would scan the whole table to join it.
    WHERE contact.id = ANY (ARRAY(SELECT id FROM cluster))
      AND contact.linked_id IS DISTINCT FROM NULLIF(winner.id, contact.id)
    RETURNING contact.id
),
news AS (
    SELECT ($1::text IS NOT NULL
                AND NOT EXISTS (SELECT FROM cluster WHERE email = $1::text))
        OR ($2::text IS NOT NULL
                AND NOT EXISTS (SELECT FROM cluster WHERE phone_number = $2::text))
        AS brings_new
),
created AS (
    INSERT INTO contact (email, phone_number, linked_id, created_at, updated_at)
    -- GREATEST: even if the clock stepped back, a secondary never predates its primary.
    SELECT $1::text, $2::text, winner.id,
           GREATEST(clock_timestamp(), winner.created_at),
           GREATEST(clock_timestamp(), winner.created_at)
    FROM news
    LEFT JOIN winner ON true
    WHERE news.brings_new
    RETURNING id, email, phone_number, created_at
),
member AS (
    SELECT id, email, phone_number, created_at FROM cluster
    UNION ALL
    SELECT id, email, phone_number, created_at FROM created
),
primary_contact AS (
    SELECT id FROM winner
    UNION ALL
    SELECT id FROM created WHERE NOT EXISTS (SELECT FROM winner)
)
SELECT
    member.id,
    member.email,
    member.phone_number,
    (SELECT id FROM created) AS created_id,
    (SELECT count(*) FROM relinked
     WHERE relinked.id = ANY ($3::bigint[])
       AND relinked.id NOT IN (SELECT id FROM winner)) AS demoted_count
FROM member
ORDER BY member.id = (SELECT id FROM primary_contact) DESC, member.created_at, member.id;
