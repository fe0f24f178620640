-- The identify use case as one database function, so that a request is one round trip.
--
-- Three functions, each with its header: customer_roots and customer_members are the two
-- walks of the linked_id graph (up to the primaries, down to every member), identify_contact
-- is the use case built on them. The service calls identify_contact through sql/identify.sql.
--
-- Installed by this versioned migration, and changed only by later migrations (CREATE OR
-- REPLACE in a new file): the function a database runs is then always the one its
-- applied migrations name, /readyz reports a database whose function is older than the
-- service, and no step re-creates it behind a running service's back.
--
-- How the plans stay index probes whatever the statistics: every step of a walk is a
-- LATERAL subquery keyed by the row before it and fenced with OFFSET 0, which the planner
-- cannot pull up into a join over the whole table; customer_roots and customer_members are
-- plain SQL functions that the planner inlines into the statements that call them (so they
-- are planned once per session with their caller, not on every call: their arguments must
-- never hold a subquery, which stops the inlining); and
-- identify_contact pins its plans (SET clauses below) so that a table that is empty,
-- unanalyzed, or one giant customer cannot make a scan look cheaper.
-- tests/test_plans.py checks every plan of every request in such states.


-- The roots of the customers a request's identifiers belong to.
-- $1 email text: normalized email, or NULL
-- $2 phone_number text: normalized phone number, or NULL
-- returns: (id bigint, linked_id bigint) per root: a live contact with no live parent, a
--   primary (linked_id NULL) or a contact whose primary was deleted (linked_id as seen).
--   No rows: nothing matches.
-- indexes: contact_email_live_idx, contact_phone_number_live_idx (matched), contact_pkey
--   (one probe per step up)
-- locks: none
CREATE FUNCTION customer_roots(email text, phone_number text)
RETURNS TABLE (id bigint, linked_id bigint)
LANGUAGE sql
STABLE
AS $function$
WITH RECURSIVE matched AS (
    SELECT contact.id, contact.linked_id
    FROM contact
    WHERE contact.deleted_at IS NULL
      AND (contact.email = customer_roots.email OR contact.phone_number = customer_roots.phone_number)
),
-- Walk up linked_id to any depth; UNION (not UNION ALL) ends the walk on cycles.
ancestry AS (
    SELECT matched.id, matched.linked_id
    FROM matched
    UNION
    SELECT parent.id, parent.linked_id
    FROM ancestry
    CROSS JOIN LATERAL (
        SELECT contact.id, contact.linked_id
        FROM contact
        WHERE contact.id = ancestry.linked_id
          AND contact.deleted_at IS NULL
        OFFSET 0
    ) AS parent
)
SELECT ancestry.id, ancestry.linked_id
FROM ancestry
WHERE NOT EXISTS (SELECT FROM ancestry AS parent WHERE parent.id = ancestry.linked_id)
$function$;


-- Every live contact of the customer with this root, at any depth below it.
-- $1 root_id bigint: a root, as customer_roots returns them
-- returns: (id bigint, email text, phone_number text, linked_id bigint, created_at timestamptz,
--   depth integer) per contact; depth 0 is the root itself, 1 a contact linked straight to
--   it (a customer in order has no other depth).
-- indexes: contact_pkey (the root), contact_linked_id_idx (one probe per member)
-- locks: none
CREATE FUNCTION customer_members(root_id bigint)
RETURNS TABLE (id bigint, email text, phone_number text, linked_id bigint, created_at timestamptz,
               depth integer)
LANGUAGE sql
STABLE
AS $function$
-- UNION ALL: below a root the links form a tree (a contact has one linked_id), so nothing
-- repeats, and no hash table is built for the planner's guess of the cluster's size.
WITH RECURSIVE member AS (
    SELECT contact.id, contact.email, contact.phone_number, contact.linked_id, contact.created_at,
           0 AS depth
    FROM contact
    WHERE contact.id = customer_members.root_id
    UNION ALL
    SELECT child.id, child.email, child.phone_number, child.linked_id, child.created_at,
           member.depth + 1
    FROM member
    CROSS JOIN LATERAL (
        SELECT contact.id, contact.email, contact.phone_number, contact.linked_id, contact.created_at
        FROM contact
        WHERE contact.linked_id = member.id
          AND contact.deleted_at IS NULL
        OFFSET 0
    ) AS child
)
SELECT member.id, member.email, member.phone_number, member.linked_id, member.created_at, member.depth
FROM member
$function$;


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
-- $1 request_email text: normalized email, or NULL when the request has none
-- $2 request_phone_number text: normalized phone number, or NULL when the request has none
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
--   never waiting for an advisory lock while holding a row lock: no cycle of waits.
CREATE FUNCTION identify_contact(request_email text, request_phone_number text)
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
            SELECT gathered.id, gathered.email, gathered.phone_number, gathered.created_at, gathered.depth
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
               array_agg(member.email ORDER BY member.id = winner.id DESC, member.created_at, member.id),
               array_agg(member.phone_number ORDER BY member.id = winner.id DESC, member.created_at, member.id)
        INTO winner_id, winner_created_at, member_ids, member_emails, member_phone_numbers
        FROM member
        CROSS JOIN winner
        GROUP BY winner.id, winner.created_at;

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
