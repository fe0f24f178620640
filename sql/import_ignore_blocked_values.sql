-- Treat the blocked values of the staged orders as absent, as identify_contact does for a
-- request: a blocked email or phone is taken out of its order (it matches nothing and is
-- not stored). An order is rejected when its phone is no number of the region and not
-- blocked, or when nothing usable is left. A phone is blocked when its E.164 form or its
-- digits as typed are listed, so 000-000-0000 is ignored rather than refused as no number
-- of the region. Runs before anything is planned from import_order; the blocked values are
-- those of the statement's snapshot.
-- The list is small and hashed; one scan of import_order finds the orders it concerns,
-- which are few, and only those are deleted or updated, found again by their ctid.
-- returns: (line bigint, blocked text[], phone_number_problem text) per rejected order, in
--   line order: the fields whose values are blocked (email, phoneNumber), and the phone's
--   problem when that is why it was rejected (NULL when nothing usable was left)
-- indexes: none (blocked_identifier is read whole, import_order scanned once, then TID scans)
-- locks: none (a plain read of blocked_identifier; temporary tables of this session)
WITH concerned AS MATERIALIZED (
    SELECT ctid,
           line,
           email,
           phone_number,
           coalesce(email IN (SELECT value FROM blocked_identifier WHERE kind = 'email'), false) AS email_blocked,
           coalesce(phone_number IN (SELECT value FROM blocked_identifier WHERE kind = 'phone')
                    OR phone_number_as_typed IN (SELECT value FROM blocked_identifier WHERE kind = 'phone'),
                    false) AS phone_blocked,
           phone_number_problem
    FROM import_order
    WHERE email IN (SELECT value FROM blocked_identifier WHERE kind = 'email')
       OR phone_number IN (SELECT value FROM blocked_identifier WHERE kind = 'phone')
       OR phone_number_as_typed IN (SELECT value FROM blocked_identifier WHERE kind = 'phone')
       OR phone_number_problem IS NOT NULL
),
verdict AS (
    SELECT ctid,
           line,
           email_blocked,
           phone_blocked,
           CASE WHEN NOT phone_blocked THEN phone_number_problem END AS phone_number_problem,
           (NOT phone_blocked AND phone_number_problem IS NOT NULL)
           OR ((email IS NULL OR email_blocked) AND (phone_number IS NULL OR phone_blocked)) AS rejected
    FROM concerned
),
rejected AS (
    DELETE FROM import_order
    USING verdict
    WHERE import_order.ctid = ANY (ARRAY(SELECT ctid FROM verdict WHERE rejected))
      AND import_order.ctid = verdict.ctid
    RETURNING import_order.line,
              array_remove(ARRAY[CASE WHEN verdict.email_blocked THEN 'email' END,
                                 CASE WHEN verdict.phone_blocked THEN 'phoneNumber' END], NULL) AS blocked,
              verdict.phone_number_problem
),
ignored AS (
    UPDATE import_order
    SET email = CASE WHEN verdict.email_blocked THEN NULL ELSE import_order.email END,
        phone_number = CASE WHEN verdict.phone_blocked THEN NULL ELSE import_order.phone_number END,
        phone_number_as_typed = CASE WHEN verdict.phone_blocked THEN NULL ELSE import_order.phone_number_as_typed END
    FROM verdict
    WHERE import_order.ctid = ANY (ARRAY(SELECT ctid FROM verdict WHERE NOT rejected))
      AND import_order.ctid = verdict.ctid
)
SELECT line, blocked, phone_number_problem
FROM rejected
ORDER BY line;
