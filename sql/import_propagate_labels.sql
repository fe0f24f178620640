-- One round of label propagation: the customers are the components of import_edge.
-- Every node whose label changed in the previous round offers it to its neighbours;
-- a node takes the smallest label offered when it is smaller than its own, and then
-- jumps ahead to that label's own label (pointer jumping: chains collapse in a
-- logarithmic number of rounds instead of one round per link). Labels only decrease
-- and always name a node of the same component, so when a round changes nothing every
-- node of a component holds its smallest node id. The caller runs rounds 1, 2, ...
-- until one updates no row; round 1 starts from the nodes of round 0 (import_find_identifiers,
-- import_link_customers).
-- $1 round integer: this round's number; nodes changed in round $1 - 1 offer their labels
-- returns: nothing; the command tag counts the nodes whose label changed
-- indexes: import_edge (neighbour_id), import_identifier (node_id) (import_index_graph,
--   import_index_identifiers)
-- locks: none (temporary tables of this session)
-- The per-node lookups are fenced LATERAL subqueries (OFFSET 0; LIMIT 1 also tells the
-- planner that node_id is unique): index probes for the few nodes of a late round,
-- where joins would scan every node and edge.
WITH frontier AS (
    SELECT node_id, label
    FROM import_identifier
    WHERE round = $1::integer - 1
),
offered AS (
    SELECT edge.node_id, min(frontier.label) AS label
    FROM frontier
    CROSS JOIN LATERAL (
        SELECT import_edge.node_id
        FROM import_edge
        WHERE import_edge.neighbour_id = frontier.node_id
        OFFSET 0
    ) AS edge
    GROUP BY edge.node_id
),
jumped AS (
    SELECT offered.node_id, least(offered.label, via.label) AS label
    FROM offered
    CROSS JOIN LATERAL (
        SELECT import_identifier.label
        FROM import_identifier
        WHERE import_identifier.node_id = offered.label
        LIMIT 1
    ) AS via
)
UPDATE import_identifier AS node
SET label = jumped.label,
    round = $1::integer
FROM jumped
WHERE node.node_id = jumped.node_id
  AND jumped.label < node.label;
