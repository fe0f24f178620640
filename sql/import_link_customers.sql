-- Add the existing customers to the graph: every identifier an existing customer holds
-- is linked to that customer's smallest node (its centre), both ways (a star per root,
-- which connects them all). In place of a round of propagation across these edges, each
-- identifier of a customer takes the smallest label its customer's identifiers hold (the
-- smallest of its customers', for a value that several roots hold: found only where a
-- deleted primary left two), and one whose label falls joins the frontier of round 1
-- (round 0). What import_propagate_labels relies on still holds: a node outside the
-- frontier holds a label no smaller than any of its neighbours' (it has nothing to offer
-- them). Across a star, every identifier now holds its customer's label, or a smaller one
-- that it took here and will pass on; along the file's edges nothing changed for a node
-- whose label did not fall (see import_find_identifiers). So when the file brings little
-- new (the same orders imported again), round 1 starts from the few labels that fell, not
-- from every identifier found in the table: for the bench's million orders into a million
-- contacts, this statement and the rounds took 2.4-3.0 s instead of 5.6-5.7 s, and for
-- 200,000 orders imported a second time 1.4-1.6 s instead of 4.1-4.5 s.
-- returns: nothing; the command tag counts the nodes put in the frontier
-- indexes: import_identifier (node_id) (import_index_identifiers: a probe per fallen label)
-- locks: none (temporary tables of this session)
WITH customer_link AS MATERIALIZED (
    SELECT node_id, root_id, min(node_id) OVER (PARTITION BY root_id) AS centre_id
    FROM import_known
),
added AS (
    INSERT INTO import_edge (node_id, neighbour_id)
    SELECT node_id, centre_id FROM customer_link WHERE node_id <> centre_id
    UNION ALL
    SELECT centre_id, node_id FROM customer_link WHERE node_id <> centre_id
),
customer_label AS (
    SELECT link.node_id, identifier.label AS own_label,
           min(identifier.label) OVER (PARTITION BY link.root_id) AS label
    FROM customer_link AS link
    JOIN import_identifier AS identifier ON identifier.node_id = link.node_id
),
fallen AS (
    SELECT node_id, min(label) AS label
    FROM customer_label
    WHERE label < own_label
    GROUP BY node_id
)
UPDATE import_identifier AS node
SET label = fallen.label,
    round = 0
FROM fallen
WHERE node.node_id = fallen.node_id;
