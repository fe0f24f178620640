-- The two walks of the linked_id graph that every customer lookup is built on:
-- customer_roots goes up from the contacts holding an email or phone number to their
-- primaries, customer_members goes down from a primary to every contact below it. Each has
-- its header below; identify_contact (migration 0007) and the /customers operations use them.
--
-- How their plans stay index probes whatever the statistics: every step of a walk is a
-- LATERAL subquery keyed by the row before it and fenced with OFFSET 0, which the planner
-- cannot pull up into a join over the whole table. Both are plain SQL functions (STABLE,
-- not STRICT, no SET clause) that the planner inlines into the statements that call them,
-- so they are planned once per session with their caller, not on every call: their
-- arguments must never hold a subquery, which stops the inlining.
-- tests/test_plans.py checks every plan of every request in seven states of the table.


-- The roots of the customers a request's identifiers belong to.
-- $1 email text: normalized email, or NULL
-- $2 phone_number text: normalized phone number, or NULL
-- returns: (id bigint, linked_id bigint) per root: a live contact with no live parent, a
--   primary (linked_id NULL) or a contact whose primary was deleted (linked_id as seen).
--   No rows: nothing matches.
-- indexes: contact_email_live_idx, contact_phone_number_live_idx (matched), contact_pkey
--   (one probe per step up)
-- locks: none
CREATE FUNCTION customer_roots(email text, phone_number text)
RETURNS TABLE (id bigint, linked_id bigint)
LANGUAGE sql
STABLE
AS $function$
WITH RECURSIVE matched AS (
    SELECT contact.id, contact.linked_id
    FROM contact
    WHERE contact.deleted_at IS NULL
      AND (contact.email = customer_roots.email OR contact.phone_number = customer_roots.phone_number)
),
-- Walk up linked_id to any depth; UNION (not UNION ALL) ends the walk on cycles.
ancestry AS (
    SELECT matched.id, matched.linked_id
    FROM matched
    UNION
    SELECT parent.id, parent.linked_id
    FROM ancestry
    CROSS JOIN LATERAL (
        SELECT contact.id, contact.linked_id
        FROM contact
        WHERE contact.id = ancestry.linked_id
          AND contact.deleted_at IS NULL
        OFFSET 0
    ) AS parent
)
SELECT ancestry.id, ancestry.linked_id
FROM ancestry
WHERE NOT EXISTS (SELECT FROM ancestry AS parent WHERE parent.id = ancestry.linked_id)
$function$;


-- Every live contact of the customer with this root, at any depth below it.
-- $1 root_id bigint: a root, as customer_roots returns them
-- returns: (id bigint, email text, phone_number text, linked_id bigint, created_at timestamptz,
--   depth integer) per contact; depth 0 is the root itself, 1 a contact linked straight to
--   it (a customer in order has no other depth).
-- indexes: contact_pkey (the root), contact_linked_id_idx (one probe per member)
-- locks: none
CREATE FUNCTION customer_members(root_id bigint)
RETURNS TABLE (id bigint, email text, phone_number text, linked_id bigint, created_at timestamptz,
               depth integer)
LANGUAGE sql
STABLE
AS $function$
-- UNION ALL: below a root the links form a tree (a contact has one linked_id), so nothing
-- repeats, and no hash table is built for the planner's guess of the cluster's size.
WITH RECURSIVE member AS (
    SELECT contact.id, contact.email, contact.phone_number, contact.linked_id, contact.created_at,
           0 AS depth
    FROM contact
    WHERE contact.id = customer_members.root_id
    UNION ALL
    SELECT child.id, child.email, child.phone_number, child.linked_id, child.created_at,
           member.depth + 1
    FROM member
    CROSS JOIN LATERAL (
        SELECT contact.id, contact.email, contact.phone_number, contact.linked_id, contact.created_at
        FROM contact
        WHERE contact.linked_id = member.id
          AND contact.deleted_at IS NULL
        OFFSET 0
    ) AS child
)
SELECT member.id, member.email, member.phone_number, member.linked_id, member.created_at, member.depth
FROM member
$function$;
