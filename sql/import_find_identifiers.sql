-- One node per distinct identifier of the file, labelled for the first round of
-- label propagation (see import_propagate_labels).
-- A node's label starts as the smallest of its own id and its neighbours' ids, which
-- settles most customers (one email, one phone) at once. A node whose label is now
-- smaller than its id and that has other neighbours than the one it took the label
-- from must pass it on: it is in the frontier of round 1 (round 0). Every other node's
-- label has reached all its neighbours already (round -1): its id went to all of them,
-- or its only neighbour is where its label came from.
-- returns: nothing; creates the temporary table import_identifier
--   (node_id bigint, kind text ('email' or 'phone'), value text, label bigint, round integer)
-- indexes: none (temporary tables)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_identifier ON COMMIT DROP AS
WITH node AS (
    SELECT email_node AS node_id, 'email' AS kind, email AS value
    FROM import_order_node
    WHERE email_node = 2 * seq
    UNION ALL
    SELECT phone_node, 'phone', phone_number
    FROM import_order_node
    WHERE phone_node = 2 * seq + 1
),
nearest AS (
    SELECT node_id, min(neighbour_id) AS neighbour_id, count(*) AS degree
    FROM import_edge
    GROUP BY node_id
),
labelled AS (
    SELECT node.node_id, node.kind, node.value, least(node.node_id, nearest.neighbour_id) AS label,
           coalesce(nearest.degree, 0) AS degree
    FROM node
    LEFT JOIN nearest ON nearest.node_id = node.node_id
)
SELECT node_id, kind, value, label, CASE WHEN label < node_id AND degree > 1 THEN 0 ELSE -1 END AS round
FROM labelled;
