-- Erase the customer of a contact: physically delete all its contacts, record an `erased`
-- event (DELETE /customers/{id}). The work is the function erase_customer (migrations/0006).
-- $1 contact_id bigint: a live contact of the customer
-- $2 request_id text: X-Request-ID of the request, for the audit trail
-- returns: one row per erased contact (erased_customer_id bigint, erased_contact_id bigint,
--   erased_email text, erased_phone_number text); no rows when the contact is not live
-- indexes: contact_pkey, contact_linked_id_idx
-- locks: advisory locks on every identifier of the customer, ascending, then FOR NO KEY
--   UPDATE on its primary (as /identify); raises serialization_failure when the customer
--   changed meanwhile (the caller retries)
SELECT erased_customer_id, erased_contact_id, erased_email, erased_phone_number
FROM erase_customer($1::bigint, $2::text);
