-- Add the existing customers to the graph: every identifier an existing customer holds
-- is linked to that customer's smallest node, both ways (a star per root, which
-- connects them all), and every such identifier joins the frontier of round 1, since
-- its label has not crossed these edges yet.
-- returns: nothing; the command tag counts the nodes put in the frontier
-- indexes: none (temporary tables)
-- locks: none (temporary tables of this session)
WITH customer_link AS (
    SELECT node_id, min(node_id) OVER (PARTITION BY root_id) AS neighbour_id
    FROM import_known
),
added AS (
    INSERT INTO import_edge (node_id, neighbour_id)
    SELECT node_id, neighbour_id FROM customer_link WHERE node_id <> neighbour_id
    UNION ALL
    SELECT neighbour_id, node_id FROM customer_link WHERE node_id <> neighbour_id
)
UPDATE import_identifier
SET round = 0
WHERE node_id IN (SELECT node_id FROM import_known);
