-- Find or build the customer of one checkout: the whole of POST /identify, one round trip.
-- The use case is the database function identify_contact (source and header in
-- migrations/0002.identify-contact-function.sql): a read-only snapshot answers a request
-- that brings nothing new for one customer in order; any other request locks its
-- identifiers, then its customers' primaries, merges them into the oldest and records
-- what is new, in the one implicit transaction of this statement.
-- $1 email text: normalized email, or NULL when the request has none
-- $2 phone_number text: normalized phone number, or NULL when the request has none
-- returns: one row (primary_contact_id bigint, emails text[], phone_numbers text[],
--   secondary_contact_ids bigint[], outcome text); outcome is unchanged, created_primary,
--   created_secondary or merged. SQLSTATE 40001 (serialization_failure) when a customer
--   changed under the call: nothing was written, call again.
-- indexes: contact_email_live_idx, contact_phone_number_live_idx, contact_pkey,
--   contact_linked_id_idx (probes only; see the function)
-- locks: advisory transaction locks on the identifiers, then FOR NO KEY UPDATE on the
--   primaries, both in ascending order, only when something must be written
SELECT primary_contact_id, emails, phone_numbers, secondary_contact_ids, outcome
FROM identify_contact($1::text, $2::text);
