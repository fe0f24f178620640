-- renormalize_phone_number, as migration 0009 wrote it (header there), with step 5 rewritten:
-- a contact is redundant when an older member of its customer already holds its email and
-- its phone number. 0009 asked that with two EXISTS over the gathered members for every
-- member, so a customer of n contacts cost n² comparisons: minutes for a 10,000-contact
-- customer, holding the locks of identify all along. A row_number() per (customer, value),
-- in age order, answers it in one sort per value kind: the contact is not the first of its
-- customer to hold the value. Replaced in place (same parameters and result); the SET
-- clauses are those of 0009 and 0010, which CREATE OR REPLACE would otherwise drop.
CREATE OR REPLACE FUNCTION renormalize_phone_number(old_values text[], new_value text, request_id text,
                                                    max_emails integer, max_phones integer, max_contacts integer)
RETURNS TABLE (changed_contact_ids bigint[], merged_primary_ids bigint[], deleted_contact_ids bigint[],
               primary_contact_id bigint, guardrail text)
LANGUAGE plpgsql
VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    root_ids bigint[];
    roots_seen_linked_to bigint[];
BEGIN
    -- 1. lock the values, ascending.
    PERFORM pg_advisory_xact_lock(lock_keys.lock_key)
    FROM (
        SELECT DISTINCT hashtextextended('phone:' || value.phone_number, 0) AS lock_key
        FROM unnest(old_values || new_value) AS value (phone_number)
    ) AS lock_keys
    ORDER BY lock_keys.lock_key;

    -- 2. lock the roots, found again under the advisory locks, ascending.
    SELECT array_agg(root.id ORDER BY root.id), array_agg(root.linked_id ORDER BY root.id)
    INTO root_ids, roots_seen_linked_to
    FROM (
        SELECT DISTINCT found.id, found.linked_id
        FROM unnest(old_values || new_value) AS value (phone_number)
        CROSS JOIN LATERAL customer_roots(NULL, value.phone_number) AS found
    ) AS root;

    PERFORM lock_customer_roots(root_ids, roots_seen_linked_to);

    -- 3. rewrite the values.
    WITH rewritten AS (
        UPDATE contact
        SET phone_number = new_value,
            updated_at = clock_timestamp()
        WHERE contact.phone_number = ANY (old_values)
          AND contact.deleted_at IS NULL
        RETURNING contact.id
    )
    SELECT coalesce(array_agg(rewritten.id ORDER BY rewritten.id), '{}')
    INTO changed_contact_ids
    FROM rewritten;

    -- 4. merge the customers that share new_value now, as a request carrying it would.
    SELECT identified.primary_contact_id, identified.guardrail
    INTO primary_contact_id, guardrail
    FROM identify_contact(NULL, new_value, new_value, request_id, max_emails, max_phones, max_contacts,
                          2147483647) AS identified;
    merged_primary_ids := ARRAY(
        SELECT root.id
        FROM unnest(root_ids) AS root (id)
        WHERE guardrail IS NULL
          AND root.id <> primary_contact_id
        ORDER BY root.id
    );

    -- 5. delete the contacts that brought nothing their customer's older members lack.
    WITH customer AS (
        SELECT DISTINCT coalesce(contact.linked_id, contact.id) AS root_id
        FROM contact
        WHERE contact.id = ANY (changed_contact_ids)
    ),
    member AS (
        SELECT customer.root_id, gathered.id, gathered.email, gathered.phone_number, gathered.created_at,
               gathered.depth
        FROM customer
        CROSS JOIN LATERAL customer_members(customer.root_id) AS gathered
    ),
    -- A value is old news for a contact unless the contact is the first of its customer, by
    -- age, to hold it; a missing value counts as old news.
    seen_before AS (
        SELECT member.id,
               member.depth,
               member.email IS NULL
                   OR row_number() OVER (PARTITION BY member.root_id, member.email
                                         ORDER BY member.created_at, member.id) > 1 AS email_seen_before,
               member.phone_number IS NULL
                   OR row_number() OVER (PARTITION BY member.root_id, member.phone_number
                                         ORDER BY member.created_at, member.id) > 1 AS phone_seen_before
        FROM member
    ),
    redundant AS (
        SELECT seen_before.id
        FROM seen_before
        WHERE seen_before.depth > 0
          AND seen_before.email_seen_before
          AND seen_before.phone_seen_before
    ),
    deleted AS (
        UPDATE contact
        SET deleted_at = clock_timestamp(),
            updated_at = clock_timestamp()
        WHERE contact.id = ANY (ARRAY(SELECT redundant.id FROM redundant))
        RETURNING contact.id, contact.linked_id
    ),
    recorded AS (
        INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
        SELECT 'contact_deleted', array_agg(deleted.id ORDER BY deleted.id), deleted.linked_id, request_id
        FROM deleted
        GROUP BY deleted.linked_id
    )
    SELECT coalesce(array_agg(deleted.id ORDER BY deleted.id), '{}')
    INTO deleted_contact_ids
    FROM deleted;

    RETURN NEXT;
END
$function$;
