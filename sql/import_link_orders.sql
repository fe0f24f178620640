-- The edges that orders add to the graph of customers: an order holding an email and a
-- phone number links their two nodes, as /identify would merge their customers.
-- Distinct (repeat orders add nothing), stored in both directions so that a node finds
-- its neighbours by node_id alone. import_link_customers adds the existing customers' edges.
-- returns: nothing; creates the temporary table import_edge (node_id bigint, neighbour_id bigint)
-- indexes: none (temporary tables)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_edge ON COMMIT DROP AS
WITH order_link AS (
    SELECT DISTINCT email_node AS node_id, phone_node AS neighbour_id
    FROM import_order_node
    WHERE email_node IS NOT NULL
      AND phone_node IS NOT NULL
)
SELECT node_id, neighbour_id FROM order_link
UNION ALL
SELECT neighbour_id, node_id FROM order_link;
