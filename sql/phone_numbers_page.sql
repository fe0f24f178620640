-- One page of the distinct phone numbers of live contacts, in order (`run.py renormalize` reads
-- them all, page by page).
-- $1 after text: the last phone number of the previous page; '' for the first
-- $2 page_size integer: most phone numbers in the page
-- returns: (phone_number text) per distinct number, ascending
-- indexes: contact_phone_number_live_idx (a range of it, from after)
-- locks: none
SELECT DISTINCT contact.phone_number
FROM contact
WHERE contact.deleted_at IS NULL
  AND contact.phone_number > $1::text
ORDER BY contact.phone_number
LIMIT $2::integer;
