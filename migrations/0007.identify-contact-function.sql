-- identify_contact: the whole of POST /identify as one database function, so that a request
-- is one round trip, and every change it makes is recorded in identity_event in the same
-- transaction, by the statements that make it.
--
-- Installed by this versioned migration, and changed only by later migrations (CREATE OR
-- REPLACE in a new file): the function a database runs is then always the one its
-- applied migrations name, /readyz reports a database whose function is older than the
-- service, and nothing re-creates it behind a running service's back. It comes after the
-- event table (0004) it writes to, and builds on the walks of 0002.
--
-- Its plans are pinned by its SET clauses: made once per session, and no statistics (an
-- empty or never analyzed table, one giant customer) can make a scan of contact or a merge
-- join look cheaper than the index probes. tests/test_plans.py checks them.


-- Find or build the customer of one checkout: the whole of POST /identify in one call.
-- A VOLATILE function in READ COMMITTED takes a fresh snapshot for each statement, which the
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
--   6. answer:  the customer, primary first, then by creation.
-- Each change is an event in identity_event (ids only, never emails or phones): merged
-- {loser, winner} per demoted primary, relinked {contact, its previous primary} per other
-- contact whose link changed, created_primary or created_secondary {new contact}; the
-- customer_id of each is the primary afterwards.
-- $1 request_email text: normalized email, or NULL when the request has none
-- $2 request_phone_number text: normalized phone number, or NULL when the request has none
-- $3 request_id text: what caused the call (the request's X-Request-ID), kept with its events
-- returns: one row (primary_contact_id bigint, emails text[], phone_numbers text[],
--   secondary_contact_ids bigint[], outcome text): the primary's email first, then every
--   other distinct email in contact creation order, phones likewise, the other contacts by
--   creation; outcome is unchanged, created_primary, created_secondary or merged.
-- indexes: those of customer_roots and customer_members; contact_pkey (locking the roots,
--   relinking by an id array)
-- locks: pg_advisory_xact_lock(hashtextextended('email:' || email, 0)) and the same for
--   'phone:', ascending; FOR NO KEY UPDATE on each root, ascending id; the UPDATE's row locks
--   on relinked members (all in locked customers); FOR KEY SHARE on the winner (foreign key
--   check of the insert). Advisory locks first, row locks second, each in ascending order,
--   never waiting for an advisory lock while holding a row lock: no cycle of waits. The
--   events are inserted (identity_event takes no other locks).
CREATE FUNCTION identify_contact(request_email text, request_phone_number text, request_id text)
RETURNS TABLE (primary_contact_id bigint, emails text[], phone_numbers text[],
               secondary_contact_ids bigint[], outcome text)
LANGUAGE plpgsql
VOLATILE
-- Plans made once per session, and no statistics can make a scan of contact or a merge join
-- look cheaper than the index probes (hash joins stay: they only ever join small CTEs).
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_mergejoin = off
AS $function$
DECLARE
    root_count integer;
    in_order boolean;
    root_ids bigint[];
    roots_seen_linked_to bigint[];
    roots_now_linked_to bigint[];
    winner_id bigint;
    winner_created_at timestamptz;
    member_ids bigint[];
    member_linked_ids bigint[];
    member_emails text[];
    member_phone_numbers text[];
    created_id bigint;
BEGIN
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
            RAISE EXCEPTION 'a customer this request matches changed before it could be locked'
                USING ERRCODE = 'serialization_failure',
                      HINT = 'Run the call again: it is idempotent.';
        END IF;

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
