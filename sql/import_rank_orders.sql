-- Number the staged orders in the order /identify would have seen them.
-- One at a time means createdAt order, file order for ties: seq is that position.
-- returns: nothing; creates the temporary table import_ranked_order
--   (seq bigint, email text, phone_number text, created_at timestamptz)
-- indexes: none (one sort of import_order)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_ranked_order ON COMMIT DROP AS
SELECT row_number() OVER (ORDER BY created_at, line) AS seq,
       email,
       phone_number,
       created_at
FROM import_order;
