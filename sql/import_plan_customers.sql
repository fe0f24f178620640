-- The primary of every customer the import creates or touches: its oldest contact.
-- Candidates are the component's existing roots and its new contacts (id: the reserved
-- first id plus ordinal - 1); the oldest by (created_at, id) wins, so an imported
-- contact older than an existing primary becomes the primary, and otherwise the oldest
-- existing root stays it, as in /identify. A customer over a cap (import_oversized_customer)
-- is left as it is: it has no new contacts, and its existing roots are no candidates.
-- $1 first_id bigint: the first id reserved by import_reserve_ids (any, when no contact is new)
-- returns: nothing; creates the temporary table import_customer (label bigint, primary_id bigint)
-- indexes: none (temporary tables)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_customer ON COMMIT DROP AS
WITH candidate AS (
    SELECT root.label, root.id, root.created_at
    FROM import_existing_member AS root
    WHERE root.id = root.root_id
      AND NOT EXISTS (SELECT FROM import_oversized_customer AS oversized WHERE oversized.label = root.label)
    UNION ALL
    SELECT label, $1::bigint + ordinal - 1, created_at
    FROM import_new_contact
)
SELECT DISTINCT ON (label) label, id AS primary_id
FROM candidate
ORDER BY label, created_at, id;
