-- The customers the import would take over a cap on a customer's size, which it leaves
-- out whole (README "Importing history": why not order by order).
-- As identify_contact's step 4b judges a request: only a customer the import changes
-- counts (it gets a new contact, or several existing customers merge into it), and it is
-- over a cap when it would hold more distinct emails than max_emails, phones than
-- max_phones or contacts than max_contacts. Its size is what it would be after the
-- import: its new values are its nodes found nowhere in the table (each is stored by the
-- contact of the order sighting it first, and node_id / 2 is that order's seq, so the
-- distinct halves count the new contacts), its existing values and contacts those of the
-- existing customers it touches (import_existing_member). Only customers that can be
-- over a cap are measured: those touching an existing customer, and those with more nodes
-- than the smallest cap (one made of new contacts only has no more emails, phones or
-- contacts than nodes).
-- $1 max_emails integer: MAX_EMAILS_PER_CUSTOMER
-- $2 max_phones integer: MAX_PHONES_PER_CUSTOMER
-- $3 max_contacts integer: MAX_CONTACTS_PER_CUSTOMER
-- returns: nothing; creates the temporary table import_oversized_customer (label bigint,
--   guardrail text, would_have bigint): the cap (a setting's name, the first of emails,
--   phones, contacts that is exceeded) and what the customer would have of it; the command
--   tag counts the customers
-- indexes: none (temporary tables)
-- locks: none (temporary tables of this session)
CREATE TEMPORARY TABLE import_oversized_customer ON COMMIT DROP AS
WITH measured AS (
    SELECT label FROM import_existing_member
    UNION
    SELECT label FROM import_identifier GROUP BY label HAVING count(*) > least($1::integer, $2::integer, $3::integer)
),
new_value AS (
    SELECT identifier.label, identifier.kind, identifier.node_id
    FROM import_identifier AS identifier
    JOIN measured ON measured.label = identifier.label
    WHERE NOT EXISTS (SELECT FROM import_known AS known WHERE known.node_id = identifier.node_id)
),
new_size AS (
    SELECT label,
           count(*) FILTER (WHERE kind = 'email') AS emails,
           count(*) FILTER (WHERE kind = 'phone') AS phones,
           count(DISTINCT node_id / 2) AS contacts
    FROM new_value
    GROUP BY label
),
existing_size AS (
    SELECT label,
           count(DISTINCT root_id) AS customers,
           count(DISTINCT email) AS emails,
           count(DISTINCT phone_number) AS phones,
           count(*) AS contacts
    FROM import_existing_member
    GROUP BY label
),
size AS (
    SELECT measured.label,
           coalesce(new_size.emails, 0) + coalesce(existing_size.emails, 0) AS emails,
           coalesce(new_size.phones, 0) + coalesce(existing_size.phones, 0) AS phones,
           coalesce(new_size.contacts, 0) + coalesce(existing_size.contacts, 0) AS contacts,
           coalesce(new_size.contacts, 0) > 0 OR coalesce(existing_size.customers, 0) > 1 AS changed
    FROM measured
    LEFT JOIN new_size ON new_size.label = measured.label
    LEFT JOIN existing_size ON existing_size.label = measured.label
)
SELECT label,
       CASE WHEN emails > $1::integer THEN 'MAX_EMAILS_PER_CUSTOMER'
            WHEN phones > $2::integer THEN 'MAX_PHONES_PER_CUSTOMER'
            ELSE 'MAX_CONTACTS_PER_CUSTOMER' END AS guardrail,
       CASE WHEN emails > $1::integer THEN emails
            WHEN phones > $2::integer THEN phones
            ELSE contacts END AS would_have
FROM size
WHERE changed
  AND (emails > $1::integer OR phones > $2::integer OR contacts > $3::integer);
