-- What the import does, counted from its plan (also what --dry-run prints).
-- customers_created: components with no existing customer in them;
-- customers_merged: existing customers that become part of another one (in each
-- component, every existing customer but one). Customers over a cap
-- (import_oversized_customer) are left as they are and count for nothing.
-- returns: one row (contacts_created bigint, customers_created bigint, customers_merged bigint)
-- indexes: none (temporary tables)
-- locks: none (temporary tables of this session)
WITH touched AS (
    SELECT root.label, root.root_id
    FROM import_existing_member AS root
    WHERE root.id = root.root_id
      AND NOT EXISTS (SELECT FROM import_oversized_customer AS oversized WHERE oversized.label = root.label)
)
SELECT
    (SELECT count(*) FROM import_new_contact) AS contacts_created,
    (SELECT count(DISTINCT label)
     FROM import_new_contact
     WHERE label NOT IN (SELECT label FROM touched)) AS customers_created,
    (SELECT count(*) - count(DISTINCT label) FROM touched) AS customers_merged;
