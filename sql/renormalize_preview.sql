-- What renormalizing these phone numbers to one would touch (`run.py renormalize --dry-run`).
-- $1 old_values text[]: the phone numbers as stored, which the current rule writes as new_value
-- $2 new_value text: the phone number under the current rule
-- returns: one row (contact_ids bigint[], customer_ids bigint[]): the live contacts holding one
--   of old_values (to be rewritten), and the roots of the customers holding any of the values
--   (more than one: they would be merged)
-- indexes: contact_phone_number_live_idx, those of customer_roots
-- locks: none
WITH holder AS (
    SELECT contact.id
    FROM contact
    WHERE contact.phone_number = ANY ($1::text[])
      AND contact.deleted_at IS NULL
),
customer AS (
    SELECT DISTINCT found.id
    FROM unnest($1::text[] || $2::text) AS value (phone_number)
    CROSS JOIN LATERAL customer_roots(NULL, value.phone_number) AS found
)
SELECT ARRAY(SELECT holder.id FROM holder ORDER BY holder.id) AS contact_ids,
       ARRAY(SELECT customer.id FROM customer ORDER BY customer.id) AS customer_ids;
