-- The graph whose connected components are the customers after the import.
-- Two nodes are joined when one order carries both (the order links them, as
-- /identify would merge their customers), and every identifier held by an existing
-- customer is joined to that customer's first identifier in the file (a star per
-- root, which connects them all). Both directions are stored, so a node finds its
-- neighbours by node_id alone.
-- returns: nothing; creates the temporary table import_edge (node_id bigint, neighbour_id bigint)
-- indexes: none (temporary tables)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_edge ON COMMIT DROP AS
WITH order_link AS (
    SELECT email_node AS node_id, phone_node AS neighbour_id
    FROM import_order_node
    WHERE email_node IS NOT NULL
      AND phone_node IS NOT NULL
),
customer_link AS (
    SELECT node_id, min(node_id) OVER (PARTITION BY root_id) AS neighbour_id
    FROM import_known
),
link AS (
    SELECT node_id, neighbour_id FROM order_link
    UNION ALL
    SELECT node_id, neighbour_id FROM customer_link WHERE node_id <> neighbour_id
)
SELECT node_id, neighbour_id FROM link
UNION ALL
SELECT neighbour_id, node_id FROM link;
