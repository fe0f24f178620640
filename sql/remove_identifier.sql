-- Remove an email or a phone number from a customer and split it into the connected
-- components of the identifiers its contacts still share (POST /customers/{id}/remove-identifier).
-- The work is the function remove_identifier (migrations/0006), which writes the audit events.
-- $1 contact_id bigint: a live contact of the customer
-- $2 email text: the normalized email to remove, or NULL
-- $3 phone_number text: the normalized phone number to remove, or NULL (exactly one is set)
-- $4 request_id text: X-Request-ID of the request, for the audit trail
-- returns: one row (customer_found boolean, primary_ids bigint[]): whether the contact was
--   live, and the primaries of the resulting customers, oldest first
-- indexes: contact_pkey, contact_linked_id_idx, contact_email_live_idx, contact_phone_number_live_idx
-- locks: advisory locks on every identifier of the customer, ascending, then FOR NO KEY
--   UPDATE on its primary (as /identify); raises serialization_failure when the customer
--   changed meanwhile (the caller retries)
SELECT customer_found, primary_ids
FROM remove_identifier($1::bigint, $2::text, $3::text, $4::text);
