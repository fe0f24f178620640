-- Rank the staged orders as /identify would have seen them, and find, for each, which
-- order sighted its email and its phone number first.
-- One at a time means createdAt order, file order (line) for ties: seq, a window
-- function, is that position. The first sighting of a value is its smallest seq, and
-- that seq, doubled (plus one for a phone), names the value's node in the graph of
-- customers; an order whose node is its own seq sighted the value first. The first
-- sightings are hash aggregates joined back, not windows partitioned by value: sorting
-- a million text values costs several times more.
-- returns: nothing; creates the temporary table import_order_node
--   (seq bigint, line bigint, email text, phone_number text, created_at timestamptz,
--    email_node bigint, phone_node bigint), a node NULL where the order has no value
-- indexes: none (one sort and hash joins of temporary tables)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_order_node ON COMMIT DROP AS
WITH ranked AS MATERIALIZED (
    SELECT row_number() OVER (ORDER BY created_at, line) AS seq, line, email, phone_number, created_at
    FROM import_order
),
first_email AS (
    SELECT email, min(seq) AS seq
    FROM ranked
    WHERE email IS NOT NULL
    GROUP BY email
),
first_phone AS (
    SELECT phone_number, min(seq) AS seq
    FROM ranked
    WHERE phone_number IS NOT NULL
    GROUP BY phone_number
)
SELECT ranked.seq,
       ranked.line,
       ranked.email,
       ranked.phone_number,
       ranked.created_at,
       2 * first_email.seq AS email_node,
       2 * first_phone.seq + 1 AS phone_node
FROM ranked
LEFT JOIN first_email ON first_email.email = ranked.email
LEFT JOIN first_phone ON first_phone.phone_number = ranked.phone_number;
