-- Lock the primary (root) of every customer the request matches, oldest id first.
-- Second step of every write, run after lock_identifiers, so the matched set is
-- final. A concurrent merge can still demote one of these roots between this
-- statement's snapshot and the moment its lock is granted; the lock then returns
-- the row as it is now, and still_root says whether it is still the root we saw.
-- The caller rolls back and starts over when any is not.
-- $1 email text: normalized email, or NULL when the request has none
-- $2 phone_number text: normalized phone number, or NULL when the request has none
-- returns: (id bigint, still_root boolean) per root, in id order. No rows: nothing
--   matched, the request creates a new customer.
-- indexes: contact_email_live_idx, contact_phone_number_live_idx (matched),
--   contact_pkey (ancestry, locking)
-- locks: FOR NO KEY UPDATE on each root row, taken in ascending id order after the
--   advisory locks of lock_identifiers. Every writer takes advisory locks first and
--   root row locks second, each in ascending order, and waits for nothing else
--   while holding them, so no two writers can wait on each other in a cycle.
--   Secondaries are only ever changed under the lock of their root.
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
    SELECT id, linked_id
    FROM ancestry
    WHERE NOT EXISTS (
        SELECT FROM ancestry AS parent WHERE parent.id = ancestry.linked_id
    )
)
SELECT
    contact.id,
    contact.deleted_at IS NULL
        AND contact.linked_id IS NOT DISTINCT FROM roots.linked_id
        AS still_root
FROM contact
JOIN roots ON roots.id = contact.id
ORDER BY contact.id
FOR NO KEY UPDATE OF contact;
