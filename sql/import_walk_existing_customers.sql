-- The existing customers the file touches, contact by contact: every live contact below
-- each root that import_match_contacts found, walked down linked_id as /identify's
-- customer walk does, with the customer (label) it is now part of. Taken once, before
-- anything is written: import_find_oversized_customers measures these customers,
-- import_summarize counts them and import_plan_customers weighs their roots (the rows
-- whose id is their root_id), and import_relink_contacts points their contacts at their
-- new primaries.
-- returns: nothing; creates the temporary table import_existing_member (label bigint,
--   root_id bigint, id bigint, linked_id bigint, email text, phone_number text,
--   created_at timestamptz), one row per live contact of a touched customer; linked_id is
--   its link as found (a root's too: NULL for a primary, the deleted primary's id for a
--   root left by a deletion)
-- indexes: contact_pkey (each root), contact_linked_id_idx (each member's children): one
--   probe per row, keyed by it (LATERAL), so that a small file into a large table reads
--   only its customers (a join planned from estimates read the whole linked_id index at
--   every step: 0.95 s for 10,000 orders into 1.5M contacts). The same walk as
--   customer_members (migration 0002), written out so that one recursion walks every root:
--   customer_members per root (LATERAL, inlined) starts a recursion per root, which took
--   5.0-5.4 s against 3.8-4.0 s for the 382,031 customers of a million orders imported again.
-- locks: none beyond import_lock_contacts or import_lock_empty_tables
CREATE TEMPORARY TABLE import_existing_member ON COMMIT DROP AS
WITH RECURSIVE touched_root AS (
    SELECT DISTINCT identifier.label, known.root_id, known.root_linked_id
    FROM import_known AS known
    JOIN import_identifier AS identifier ON identifier.node_id = known.node_id
),
-- UNION ALL: below a root the links form a tree, so nothing repeats.
member AS (
    SELECT touched_root.label, touched_root.root_id, root.id, touched_root.root_linked_id AS linked_id,
           root.email, root.phone_number, root.created_at
    FROM touched_root
    CROSS JOIN LATERAL (
        SELECT contact.id, contact.email, contact.phone_number, contact.created_at
        FROM contact
        WHERE contact.id = touched_root.root_id
        LIMIT 1
    ) AS root
    UNION ALL
    SELECT member.label, member.root_id, child.id, child.linked_id, child.email, child.phone_number,
           child.created_at
    FROM member
    CROSS JOIN LATERAL (
        SELECT contact.id, contact.linked_id, contact.email, contact.phone_number, contact.created_at
        FROM contact
        WHERE contact.linked_id = member.id
          AND contact.deleted_at IS NULL
        OFFSET 0
    ) AS child
)
SELECT label, root_id, id, linked_id, email, phone_number, created_at
FROM member;
