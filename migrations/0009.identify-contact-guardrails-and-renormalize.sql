-- identify_contact, protecting the identity graph (README "Protecting the identity graph"),
-- and renormalize_phone_number, which brings stored phones to the current rule (below).
-- identify_contact:
-- blocked values are treated as absent, and a merge or new contact that would take a
-- customer over a cap is refused. Replaces the function of migration 0007 (DROP + CREATE:
-- its parameters and result columns change); everything else about it is as 0007 says:
-- installed and changed only by versioned migrations, plans pinned by its SET clauses and
-- checked by tests/test_plans.py. It comes after the tables of 0008 it reads and writes.

DROP FUNCTION identify_contact(text, text, text);


-- Lock the roots a caller found under its advisory locks, FOR NO KEY UPDATE in ascending id
-- order, and make sure none moved in between: a root that a concurrent merge demoted before
-- the lock was granted raises serialization_failure (SQLSTATE 40001), and the caller's
-- caller rolls back and calls again. Step 3 of identify_contact, and of renormalize_phone_number.
-- $1 root_ids bigint[]: the roots, ascending
-- $2 roots_seen_linked_to bigint[]: their linked_id as found, in the same order
-- returns: nothing
-- indexes: contact_pkey
-- locks: FOR NO KEY UPDATE on each root, ascending id
CREATE FUNCTION lock_customer_roots(root_ids bigint[], roots_seen_linked_to bigint[])
RETURNS void
LANGUAGE plpgsql
VOLATILE
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    roots_now_linked_to bigint[];
BEGIN
    SELECT array_agg(locked.linked_id ORDER BY locked.id)
    INTO roots_now_linked_to
    FROM (
        SELECT contact.id, contact.linked_id
        FROM contact
        WHERE contact.id = ANY (root_ids)
          AND contact.deleted_at IS NULL
        ORDER BY contact.id
        FOR NO KEY UPDATE
    ) AS locked;

    IF roots_now_linked_to IS DISTINCT FROM roots_seen_linked_to THEN
        RAISE EXCEPTION 'a customer to change moved before it could be locked'
            USING ERRCODE = 'serialization_failure',
                  HINT = 'Run the call again: it is idempotent.';
    END IF;
END
$function$;

-- Find or build the customer of one checkout: the whole of POST /identify in one call.
-- First the request's values are looked up in blocked_identifier (one probe of its key per
-- kind); a blocked value is treated as absent from here on (named in `ignored`). When
-- nothing is left the answer is outcome 'blocked' with no customer; when the phone was not
-- a valid number for the region (request_phone_number NULL, request_phone_as_typed set)
-- and is not blocked, the call raises invalid_parameter_value (SQLSTATE 22023) before
-- anything is written. A VOLATILE function in READ COMMITTED takes a fresh snapshot for each statement, which the
-- locking scheme (README "Concurrency") relies on:
--   1. read:    the customers the request matches, in one snapshot, without locks. When
--               exactly one matches, it is in order, and it holds every identifier of the
--               request, that snapshot is the answer and nothing is written.
--   2. lock the identifiers: transaction-level advisory locks on the request's email and
--               phone, in ascending key order. Every contact is inserted under the locks of
--               its own values, so from here the set of matching contacts is fixed.
--   3. lock the roots: find the roots of the matching customers again and lock them FOR NO
--               KEY UPDATE in ascending id order. A root that a concurrent merge demoted
--               before our lock was granted raises serialization_failure (SQLSTATE 40001);
--               the caller rolls back and calls again.
--   4. merge:   with every lock held, gather the locked customers; the oldest root (by
--               created_at, then id) wins; every other contact is relinked straight to it
--               (demoting the other roots, flattening deeper chains) in one UPDATE.
--   5. create:  when the request brings an email or phone the merged customer lacks, one
--               contact holding both values: a secondary of the winner, or a new primary.
--   4b. caps:   when the request would merge customers or create a contact, and the customer
--               it would make holds more distinct emails than max_emails, phones than
--               max_phones or contacts than max_contacts, nothing is merged or created: the
--               answer is the customer of the oldest contact the request matched, unchanged,
--               with `guardrail` naming the cap. The refusal is a guardrail_refused event;
--               each value of the request found in the locked customers (what glued it
--               there) has its refusals counted in guardrail_refusal, and at auto_block_after
--               refusals it is added to blocked_identifier with source 'auto' (named in
--               `quarantined`). Those rows are written under the advisory locks of their values.
--   6. answer:  the customer, primary first, then by creation.
-- Each change is an event in identity_event (ids only, never emails or phones): merged
-- {loser, winner} per demoted primary, relinked {contact, its previous primary} per other
-- contact whose link changed, created_primary or created_secondary {new contact}; the
-- customer_id of each is the primary afterwards.
-- $1 request_email text: normalized email, or NULL when the request has none
-- $2 request_phone_number text: normalized phone number (E.164 when a region is set), or NULL
--   when the request has none or it is not a valid number for the region
-- $3 request_phone_as_typed text: the request's phone as digits with an optional leading +
--   (the rule without a region), or NULL when it has none; a blocked phone matches either form
-- $4 request_id text: what caused the call (the request's X-Request-ID), kept with its events
-- $5 max_emails integer: most distinct emails a customer may reach by a merge or a new contact
-- $6 max_phones integer: the same for phone numbers
-- $7 max_contacts integer: the same for contacts
-- $8 auto_block_after integer: guardrail refusals of a value before it is blocked (source auto)
-- returns: one row (primary_contact_id bigint, emails text[], phone_numbers text[],
--   secondary_contact_ids bigint[], outcome text, ignored text[], guardrail text,
--   quarantined text[]): the primary's email first, then every other distinct email in
--   contact creation order, phones likewise, the other contacts by creation; outcome is
--   unchanged, created_primary, created_secondary, merged, or blocked (no customer: every
--   value given was blocked); ignored names the blocked fields (email, phoneNumber);
--   guardrail the cap that refused the change (MAX_EMAILS_PER_CUSTOMER,
--   MAX_PHONES_PER_CUSTOMER or MAX_CONTACTS_PER_CUSTOMER) or NULL; quarantined the fields
--   whose values this call blocked.
-- indexes: blocked_identifier_pkey (the request's values); those of customer_roots and
--   customer_members; contact_pkey (locking the roots, relinking by an id array);
--   guardrail_refusal_pkey (counting a refusal)
-- locks: pg_advisory_xact_lock(hashtextextended('email:' || email, 0)) and the same for
--   'phone:', ascending; FOR NO KEY UPDATE on each root, ascending id; the UPDATE's row locks
--   on relinked members (all in locked customers); FOR KEY SHARE on the winner (foreign key
--   check of the insert). Advisory locks first, row locks second, each in ascending order,
--   never waiting for an advisory lock while holding a row lock: no cycle of waits. The
--   events are inserted (identity_event takes no other locks).
CREATE FUNCTION identify_contact(request_email text, request_phone_number text, request_phone_as_typed text,
                                 request_id text, max_emails integer, max_phones integer,
                                 max_contacts integer, auto_block_after integer)
RETURNS TABLE (primary_contact_id bigint, emails text[], phone_numbers text[],
               secondary_contact_ids bigint[], outcome text, ignored text[], guardrail text,
               quarantined text[])
LANGUAGE plpgsql
VOLATILE
-- Plans made once per session, and no statistics can make a scan of contact or a merge join
-- look cheaper than the index probes (hash joins stay: they only ever join small CTEs). No JIT:
-- the planner's guess for a recursive walk grows with the table (about 335,000 rows for a
-- one-contact customer at 1M contacts), which put the gather statement past jit_above_cost,
-- and a caller with PostgreSQL's default jit = on (psql, pgbench) paid 25-35 ms of
-- compilation per call of a statement that runs in 0.2 ms.
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_mergejoin = off
SET jit = off
AS $function$
DECLARE
    root_count integer;
    in_order boolean;
    root_ids bigint[];
    roots_seen_linked_to bigint[];
    winner_id bigint;
    winner_created_at timestamptz;
    member_ids bigint[];
    member_linked_ids bigint[];
    member_emails text[];
    member_phone_numbers text[];
    created_id bigint;
    email_blocked boolean;
    phone_blocked boolean;
    oldest_matched_root_id bigint;
BEGIN
    -- 0. blocked values
    SELECT EXISTS (SELECT FROM blocked_identifier AS blocked
                   WHERE blocked.kind = 'email' AND blocked.value = request_email),
           EXISTS (SELECT FROM blocked_identifier AS blocked
                   WHERE blocked.kind = 'phone' AND blocked.value = ANY (ARRAY[request_phone_number, request_phone_as_typed]))
    INTO email_blocked, phone_blocked;

    ignored := '{}';
    quarantined := '{}';
    IF email_blocked THEN
        ignored := ignored || 'email'::text;
        request_email := NULL;
    END IF;
    IF phone_blocked THEN
        ignored := ignored || 'phoneNumber'::text;
        request_phone_number := NULL;
    ELSIF request_phone_as_typed IS NOT NULL AND request_phone_number IS NULL THEN
        RAISE EXCEPTION 'the phone number is not a valid number for the region'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF request_email IS NULL AND request_phone_number IS NULL THEN
        outcome := 'blocked';
        RETURN NEXT;
        RETURN;
    END IF;

    -- 1. read
    SELECT count(*) FILTER (WHERE member.depth = 0),
           coalesce(bool_and(CASE WHEN member.depth = 0 THEN member.linked_id IS NULL
                                  ELSE member.depth = 1 END), false),
           array_agg(member.id ORDER BY member.depth = 0 DESC, member.created_at, member.id),
           array_agg(member.email ORDER BY member.depth = 0 DESC, member.created_at, member.id),
           array_agg(member.phone_number ORDER BY member.depth = 0 DESC, member.created_at, member.id)
    INTO root_count, in_order, member_ids, member_emails, member_phone_numbers
    FROM customer_roots(request_email, request_phone_number) AS root
    CROSS JOIN LATERAL customer_members(root.id) AS member;

    IF root_count = 1 AND in_order
       AND (request_email IS NULL OR array_position(member_emails, request_email) IS NOT NULL)
       AND (request_phone_number IS NULL OR array_position(member_phone_numbers, request_phone_number) IS NOT NULL)
    THEN
        outcome := 'unchanged';
    ELSE
        -- 2. lock the identifiers. The lock calls are evaluated above the sort (volatile
        -- functions in the select list), so they are taken in this order.
        PERFORM pg_advisory_xact_lock(lock_keys.lock_key)
        FROM (
            SELECT DISTINCT hashtextextended(identifier, 0) AS lock_key
            FROM unnest(ARRAY['email:' || request_email, 'phone:' || request_phone_number]) AS identifier
            WHERE identifier IS NOT NULL
        ) AS lock_keys
        ORDER BY lock_keys.lock_key;

        -- 3. lock the roots, after finding them again in a snapshot taken under the advisory locks.
        SELECT array_agg(root.id ORDER BY root.id), array_agg(root.linked_id ORDER BY root.id)
        INTO root_ids, roots_seen_linked_to
        FROM customer_roots(request_email, request_phone_number) AS root;

        PERFORM lock_customer_roots(root_ids, roots_seen_linked_to);

        -- 4. merge: a fresh snapshot, with every lock held, sees the locked customers as they are.
        WITH member AS (
            SELECT gathered.id, gathered.email, gathered.phone_number, gathered.linked_id, gathered.created_at,
                   gathered.depth
            FROM unnest(root_ids) AS locked (id)
            CROSS JOIN LATERAL customer_members(locked.id) AS gathered
        ),
        winner AS (
            SELECT member.id, member.created_at
            FROM member
            WHERE member.depth = 0
            ORDER BY member.created_at, member.id
            LIMIT 1
        )
        SELECT winner.id,
               winner.created_at,
               array_agg(member.id ORDER BY member.id = winner.id DESC, member.created_at, member.id),
               array_agg(member.linked_id ORDER BY member.id = winner.id DESC, member.created_at, member.id),
               array_agg(member.email ORDER BY member.id = winner.id DESC, member.created_at, member.id),
               array_agg(member.phone_number ORDER BY member.id = winner.id DESC, member.created_at, member.id)
        INTO winner_id, winner_created_at, member_ids, member_linked_ids, member_emails, member_phone_numbers
        FROM member
        CROSS JOIN winner
        GROUP BY winner.id, winner.created_at;

        -- 4b. caps: only a change (a merge, or a new contact) is refused; a customer already
        -- over a lowered cap still answers requests that bring nothing new.
        IF cardinality(root_ids) > 1
           OR (request_email IS NOT NULL AND array_position(member_emails, request_email) IS NULL)
           OR (request_phone_number IS NOT NULL AND array_position(member_phone_numbers, request_phone_number) IS NULL)
        THEN
            SELECT CASE
                       WHEN count(DISTINCT value.email) > max_emails THEN 'MAX_EMAILS_PER_CUSTOMER'
                       WHEN count(DISTINCT value.phone_number) > max_phones THEN 'MAX_PHONES_PER_CUSTOMER'
                       WHEN cardinality(member_ids)
                            + CASE WHEN (request_email IS NOT NULL AND array_position(member_emails, request_email) IS NULL)
                                     OR (request_phone_number IS NOT NULL
                                         AND array_position(member_phone_numbers, request_phone_number) IS NULL)
                                   THEN 1 ELSE 0 END > max_contacts THEN 'MAX_CONTACTS_PER_CUSTOMER'
                   END
            INTO guardrail
            FROM unnest(member_emails || request_email, member_phone_numbers || request_phone_number)
                AS value (email, phone_number);
        END IF;

        IF guardrail IS NOT NULL THEN
            WITH matched_value AS (
                SELECT 'email' AS kind, request_email AS value
                WHERE array_position(member_emails, request_email) IS NOT NULL
                UNION ALL
                SELECT 'phone', request_phone_number
                WHERE array_position(member_phone_numbers, request_phone_number) IS NOT NULL
            ),
            counted AS (
                INSERT INTO guardrail_refusal AS refusal (kind, value, refusals, last_refused_at)
                SELECT matched_value.kind, matched_value.value, 1, clock_timestamp()
                FROM matched_value
                ON CONFLICT (kind, value) DO UPDATE
                SET refusals = refusal.refusals + 1,
                    last_refused_at = excluded.last_refused_at
                RETURNING refusal.kind, refusal.value, refusal.refusals
            ),
            newly_blocked AS (
                INSERT INTO blocked_identifier (kind, value, reason, source)
                SELECT counted.kind, counted.value, 'refused by a guardrail ' || counted.refusals || ' times', 'auto'
                FROM counted
                WHERE counted.refusals >= auto_block_after
                ON CONFLICT (kind, value) DO NOTHING
                RETURNING blocked_identifier.kind
            )
            SELECT coalesce(array_agg(CASE newly_blocked.kind WHEN 'email' THEN 'email' ELSE 'phoneNumber' END), '{}')
            INTO quarantined
            FROM newly_blocked;

            -- The customer of the oldest contact the request matched, as it is.
            SELECT locked.id
            INTO oldest_matched_root_id
            FROM unnest(root_ids) AS locked (id)
            CROSS JOIN LATERAL customer_members(locked.id) AS member
            WHERE member.email = request_email OR member.phone_number = request_phone_number
            ORDER BY member.created_at, member.id
            LIMIT 1;

            SELECT array_agg(member.id ORDER BY member.depth = 0 DESC, member.created_at, member.id),
                   array_agg(member.email ORDER BY member.depth = 0 DESC, member.created_at, member.id),
                   array_agg(member.phone_number ORDER BY member.depth = 0 DESC, member.created_at, member.id)
            INTO member_ids, member_emails, member_phone_numbers
            FROM customer_members(oldest_matched_root_id) AS member;

            INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
            VALUES ('guardrail_refused', root_ids, member_ids[1], request_id);

            outcome := 'unchanged';
        ELSE
            -- The events of the relinking below, from what the locked snapshot holds: every
            -- other root is demoted (merged), every other contact whose link changes is relinked.
            INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
            SELECT CASE WHEN demoted THEN 'merged' ELSE 'relinked' END,
                   CASE WHEN demoted THEN ARRAY[member.id, winner_id]
                        ELSE ARRAY[member.id, coalesce(member.linked_id, member.id)] END,
                   winner_id,
                   request_id
            FROM unnest(member_ids, member_linked_ids) AS member (id, linked_id)
            CROSS JOIN LATERAL (SELECT member.id <> winner_id AND member.id = ANY (root_ids) AS demoted) AS root
            WHERE member.linked_id IS DISTINCT FROM NULLIF(winner_id, member.id);

            -- NULLIF: the winner gets NULL (primary), every other member the winner's id.
            UPDATE contact
            SET linked_id = NULLIF(winner_id, contact.id),
                updated_at = clock_timestamp()
            WHERE contact.id = ANY (member_ids)
              AND contact.linked_id IS DISTINCT FROM NULLIF(winner_id, contact.id);

            outcome := CASE WHEN cardinality(root_ids) > 1 THEN 'merged' ELSE 'unchanged' END;

            -- 5. create
            IF (request_email IS NOT NULL AND array_position(member_emails, request_email) IS NULL)
               OR (request_phone_number IS NOT NULL AND array_position(member_phone_numbers, request_phone_number) IS NULL)
            THEN
                -- clock_timestamp(), not now(): the transaction may have waited on a lock. GREATEST:
                -- even if the clock stepped back, a secondary never predates its primary.
                INSERT INTO contact (email, phone_number, linked_id, created_at, updated_at)
                VALUES (request_email, request_phone_number, winner_id,
                        GREATEST(clock_timestamp(), winner_created_at),
                        GREATEST(clock_timestamp(), winner_created_at))
                RETURNING contact.id INTO created_id;

                INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
                VALUES (CASE WHEN winner_id IS NULL THEN 'created_primary' ELSE 'created_secondary' END,
                        ARRAY[created_id], coalesce(winner_id, created_id), request_id);

                member_ids := coalesce(member_ids, '{}') || created_id;
                member_emails := coalesce(member_emails, '{}') || request_email;
                member_phone_numbers := coalesce(member_phone_numbers, '{}') || request_phone_number;
                IF outcome = 'unchanged' THEN
                    outcome := CASE WHEN winner_id IS NULL THEN 'created_primary' ELSE 'created_secondary' END;
                END IF;
            END IF;
        END IF;
    END IF;

    -- 6. answer
    primary_contact_id := member_ids[1];
    emails := ARRAY(
        SELECT value.email
        FROM unnest(member_emails) WITH ORDINALITY AS value (email, position)
        WHERE value.email IS NOT NULL
        GROUP BY value.email
        ORDER BY min(value.position)
    );
    phone_numbers := ARRAY(
        SELECT value.phone_number
        FROM unnest(member_phone_numbers) WITH ORDINALITY AS value (phone_number, position)
        WHERE value.phone_number IS NOT NULL
        GROUP BY value.phone_number
        ORDER BY min(value.position)
    );
    secondary_contact_ids := member_ids[2:];
    RETURN NEXT;
END
$function$;


-- Bring one phone number to the current rule (`run.py renormalize`, service/renormalize.py): every
-- live contact holding one of old_values gets new_value instead, and the customers that now
-- share new_value are merged as a request carrying it would merge them, by identify_contact
-- itself (the oldest wins; its merged and relinked events; the caps apply, and a blocked
-- new_value glues nothing). A contact left with no value its older fellow members lack is
-- deleted (a contact_deleted event), so no duplicate remains.
-- Under the same locks as identify_contact, in the same order, so it is safe beside a
-- running service: the advisory locks of every old value and of new_value, ascending; then
-- the roots of their customers FOR NO KEY UPDATE, ascending (a root a concurrent merge
-- demoted raises serialization_failure: the caller calls again); then the rows it changes.
-- identify_contact takes the same locks again, which a transaction already holds.
-- $1 old_values text[]: the phone numbers as stored, which the current rule writes as new_value
-- $2 new_value text: the phone number under the current rule
-- $3 request_id text: kept with the events (cli:renormalize)
-- $4 max_emails integer: MAX_EMAILS_PER_CUSTOMER, for identify_contact
-- $5 max_phones integer: MAX_PHONES_PER_CUSTOMER, for identify_contact
-- $6 max_contacts integer: MAX_CONTACTS_PER_CUSTOMER, for identify_contact
-- returns: one row (changed_contact_ids bigint[], merged_primary_ids bigint[],
--   deleted_contact_ids bigint[], primary_contact_id bigint, guardrail text): the contacts
--   whose phone was rewritten, the primaries demoted by the merge, the duplicates deleted, the
--   customer holding new_value afterwards (NULL when new_value is blocked), the cap that
--   refused the merge.
-- indexes: contact_phone_number_live_idx (the values), those of customer_roots and
--   customer_members, contact_pkey
-- locks: as identify_contact, for every value of old_values and new_value
CREATE FUNCTION renormalize_phone_number(old_values text[], new_value text, request_id text,
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
