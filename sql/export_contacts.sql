-- Every live contact, for `run.py export` (streamed out as CSV by COPY).
-- The column names are the API's; createdAt is ISO 8601 in UTC with microseconds, so
-- that `run.py import` reads the file back.
-- returns: rows (id bigint, email text, "phoneNumber" text, "linkedId" bigint,
--   "linkPrecedence" text, "createdAt" text), in id order
-- indexes: contact_pkey (in id order)
-- locks: none (a plain snapshot)
SELECT id,
       email,
       phone_number AS "phoneNumber",
       linked_id AS "linkedId",
       link_precedence AS "linkPrecedence",
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS "createdAt"
FROM contact
WHERE deleted_at IS NULL
ORDER BY id;
