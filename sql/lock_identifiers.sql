-- Serialize the requests that carry the same email or the same phone number.
-- First step of every write. Every contact is inserted by a request holding the
-- locks of its own identifiers, so once these are held no other transaction can
-- add a contact with this email or phone number: the set of matching contacts
-- stays fixed until commit. Two first-time requests sharing a value therefore
-- cannot both create a primary.
-- $1 email text: normalized email, or NULL when the request has none
-- $2 phone_number text: normalized phone number, or NULL when the request has none
-- returns: one row per lock taken (void); callers only wait for it
-- indexes: none
-- locks: transaction-level advisory locks (pg_advisory_xact_lock) on
--   hashtextextended('email:' || $1, 0) and hashtextextended('phone:' || $2, 0),
--   taken in ascending key order so that two requests never wait on each other
--   in a cycle; held until commit or rollback. A hash collision only makes two
--   unrelated requests queue behind each other.
SELECT pg_advisory_xact_lock(lock_key)
FROM (
    SELECT DISTINCT hashtextextended(identifier, 0) AS lock_key
    FROM unnest(ARRAY['email:' || $1::text, 'phone:' || $2::text]) AS identifier
    WHERE identifier IS NOT NULL
) AS lock_keys
-- The lock calls are evaluated after this sort (volatile functions in the select
-- list are computed above the Sort node), so the locks are taken in this order.
ORDER BY lock_key;
