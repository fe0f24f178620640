-- Bring one phone number to the current rule and merge the customers that now share it, under
-- identify's locks (the function renormalize_phone_number, migrations/0009.identify-contact-guardrails-and-renormalize.sql).
-- $1 old_values text[]: the phone numbers as stored, which the current rule writes as new_value
-- $2 new_value text: the phone number under the current rule
-- $3 request_id text: kept with the events
-- $4 max_emails integer: MAX_EMAILS_PER_CUSTOMER
-- $5 max_phones integer: MAX_PHONES_PER_CUSTOMER
-- $6 max_contacts integer: MAX_CONTACTS_PER_CUSTOMER
-- returns: one row (changed_contact_ids bigint[], merged_primary_ids bigint[],
--   deleted_contact_ids bigint[], primary_contact_id bigint, guardrail text). SQLSTATE 40001
--   when a customer changed under the call: nothing was written, call again.
-- indexes: contact_phone_number_live_idx, contact_pkey, contact_linked_id_idx (see the function)
-- locks: advisory transaction locks on the values, then FOR NO KEY UPDATE on the primaries,
--   both ascending, as identify
SELECT changed_contact_ids, merged_primary_ids, deleted_contact_ids, primary_contact_id, guardrail
FROM renormalize_phone_number($1::text[], $2::text, $3::text, $4::integer, $5::integer, $6::integer);
