-- One round of label propagation: the customers are the components of import_edge.
-- Every node whose label changed in the previous round offers it to its neighbours;
-- a node takes the smallest label offered when it is smaller than its own, and then
-- jumps ahead to that label's own label (pointer jumping: chains collapse in a
-- logarithmic number of rounds instead of one round per link). Labels only decrease
-- and always name a node of the same component, so when a round changes nothing every
-- node of a component holds its smallest node id. The caller runs rounds 1, 2, ...
-- until one updates no row; round 1 starts from every node (round 0).
-- $1 round integer: this round's number; nodes changed in round $1 - 1 offer their labels
-- returns: nothing; the command tag counts the nodes whose label changed
-- indexes: none (hash joins of temporary tables)
-- locks: none (temporary tables of this session)
WITH offered AS (
    SELECT edge.node_id, min(neighbour.label) AS label
    FROM import_identifier AS neighbour
    JOIN import_edge AS edge ON edge.neighbour_id = neighbour.node_id
    WHERE neighbour.round = $1::integer - 1
    GROUP BY edge.node_id
),
jumped AS (
    SELECT offered.node_id, least(offered.label, via.label) AS label
    FROM offered
    JOIN import_identifier AS via ON via.node_id = offered.label
)
UPDATE import_identifier AS node
SET label = jumped.label,
    round = $1::integer
FROM jumped
WHERE node.node_id = jumped.node_id
  AND jumped.label < node.label;
