-- What the import does, counted from its plan (also what --dry-run prints).
-- customers_created: components with no existing customer in them;
-- customers_merged: existing customers that become part of another one (in each
-- component, every existing customer but one). Customers over a cap
-- (import_oversized_customer) are left as they are and count for nothing.
-- returns: one row (contacts_created bigint, customers_created bigint, customers_merged bigint)
-- indexes: none (temporary tables)
-- locks: none (temporary tables of this session)
WITH touched AS (
    SELECT DISTINCT identifier.label, known.root_id
    FROM import_known AS known
    JOIN import_identifier AS identifier ON identifier.node_id = known.node_id
    WHERE NOT EXISTS (SELECT FROM import_oversized_customer AS oversized WHERE oversized.label = identifier.label)
)
SELECT
    (SELECT count(*) FROM import_new_contact) AS contacts_created,
    (SELECT count(DISTINCT label)
     FROM import_new_contact
     WHERE label NOT IN (SELECT label FROM touched)) AS customers_created,
    (SELECT count(*) - count(DISTINCT label) FROM touched) AS customers_merged;
