-- One node per distinct identifier of the file, with the order that sighted it first.
-- Nodes are numbered in order of first sighting, so that the smallest label of a
-- customer (see import_propagate_labels) usually is its oldest identifier, which
-- spreads in few rounds. Each node starts as its own label, found in round 0.
-- returns: nothing; creates the temporary table import_identifier
--   (node_id bigint, kind text ('email' or 'phone'), value text, first_seq bigint,
--    label bigint, round integer)
-- indexes: none (one aggregate over import_ranked_order)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_identifier ON COMMIT DROP AS
WITH sighting AS (
    SELECT 'email' AS kind, email AS value, seq
    FROM import_ranked_order
    WHERE email IS NOT NULL
    UNION ALL
    SELECT 'phone', phone_number, seq
    FROM import_ranked_order
    WHERE phone_number IS NOT NULL
),
first_sighting AS (
    SELECT kind, value, min(seq) AS first_seq
    FROM sighting
    GROUP BY kind, value
),
numbered AS (
    SELECT row_number() OVER (ORDER BY first_seq, kind) AS node_id, kind, value, first_seq
    FROM first_sighting
)
SELECT node_id, kind, value, first_seq, node_id AS label, 0 AS round
FROM numbered;
