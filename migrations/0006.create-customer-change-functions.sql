-- The two administrative changes to a customer, remove_identifier and erase_customer,
-- each one PL/pgSQL function run in the caller's transaction (sql/remove_identifier.sql,
-- sql/erase_customer.sql call them). They keep the locking discipline of /identify
-- (README "Concurrency"): advisory locks on every email and phone of the customer in
-- ascending key order, then FOR NO KEY UPDATE on its primary, then the change, each
-- statement with a fresh snapshot (READ COMMITTED). When the customer changed while the
-- locks were being taken (its primary demoted, a contact added with a value not locked),
-- they raise serialization_failure and the caller tries the transaction again.

-- The roots of the customers of live contacts: the contact itself or, walking up linked_id,
-- the first ancestor with no live parent. Each step up is a fenced index probe, as in
-- customer_roots (migrations/0002), which starts from identifiers instead.
-- $1 contact_ids bigint[]: the contacts (those not live have no root)
-- returns: (id bigint) per root
-- indexes: contact_pkey (the contacts, one probe per step up)
-- locks: none
CREATE FUNCTION contact_roots(contact_ids bigint[])
RETURNS TABLE (id bigint)
LANGUAGE sql STABLE
AS $$
WITH RECURSIVE ancestry AS (
    SELECT contact.id, contact.linked_id
    FROM contact
    WHERE contact.id = ANY (contact_roots.contact_ids)
      AND contact.deleted_at IS NULL
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
SELECT ancestry.id
FROM ancestry
WHERE NOT EXISTS (SELECT FROM ancestry AS parent WHERE parent.id = ancestry.linked_id)
$$;

-- The live contacts of the customer a live contact belongs to, with the customer's root.
-- No rows when the contact is not live. The walk down is identify's customer_members.
CREATE FUNCTION contact_customer_members(p_contact_id bigint)
RETURNS TABLE (id bigint, email text, phone_number text, linked_id bigint, created_at timestamptz, root_id bigint)
LANGUAGE sql STABLE
AS $$
SELECT member.id, member.email, member.phone_number, member.linked_id, member.created_at, root.id
FROM contact_roots(ARRAY[p_contact_id]) AS root
CROSS JOIN LATERAL customer_members(root.id) AS member
$$;

-- The advisory lock keys of every identifier of a live contact's customer, ascending,
-- and its root; both NULL when the contact is not live.
CREATE FUNCTION contact_customer_lock_keys(p_contact_id bigint, OUT root_id bigint, OUT lock_keys bigint[])
LANGUAGE sql STABLE
AS $$
SELECT min(member.root_id),
       array_agg(DISTINCT lock_key.key ORDER BY lock_key.key) FILTER (WHERE lock_key.key IS NOT NULL)
FROM contact_customer_members(p_contact_id) AS member
CROSS JOIN LATERAL (VALUES (hashtextextended('email:' || member.email, 0)),
                           (hashtextextended('phone:' || member.phone_number, 0))) AS lock_key (key)
$$;

-- Lock a live contact's customer for a change; returns its root, or NULL when the contact
-- is not live. Raises serialization_failure when the customer changed meanwhile.
CREATE FUNCTION lock_contact_customer(p_contact_id bigint)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    root bigint;
    locked_keys bigint[];
    root_now bigint;
    keys_now bigint[];
BEGIN
    SELECT seen.root_id, seen.lock_keys INTO root, locked_keys FROM contact_customer_lock_keys(p_contact_id) AS seen;
    IF root IS NULL THEN
        RETURN NULL;
    END IF;
    -- unnest keeps the array's ascending order; the lock calls run in that order.
    PERFORM pg_advisory_xact_lock(lock_key) FROM unnest(locked_keys) AS lock_key;
    PERFORM FROM contact WHERE contact.id = root FOR NO KEY UPDATE;
    -- A fresh snapshot, now that the locks are held: the customer as nobody else can change it.
    SELECT seen.root_id, seen.lock_keys INTO root_now, keys_now FROM contact_customer_lock_keys(p_contact_id) AS seen;
    IF root_now IS DISTINCT FROM root OR NOT (keys_now <@ locked_keys) THEN
        RAISE EXCEPTION 'the customer of contact % changed while it was being locked', p_contact_id
            USING ERRCODE = 'serialization_failure';
    END IF;
    RETURN root;
END
$$;

-- Remove an email (p_email) or a phone number (p_phone_number; the other one NULL) from
-- every contact of a live contact's customer, then split the customer into the connected
-- components of the identifiers its contacts still share. A contact left with no value,
-- or only with a value an older contact holds (it would bring nothing new), is deleted.
-- Each component's oldest contact becomes (or stays) primary; every other member points
-- straight at it. Returns (customer_found, primary_ids): whether the contact was live, and
-- the primaries of the resulting customers, oldest first. Changes nothing when no contact
-- of the customer holds the value.
CREATE FUNCTION remove_identifier(p_contact_id bigint, p_email text, p_phone_number text, p_request_id text,
                                  OUT customer_found boolean, OUT primary_ids bigint[])
LANGUAGE plpgsql
AS $$
DECLARE
    root bigint;
    stripped bigint[];
    doomed bigint[];
    remaining bigint[];
    seed bigint;
    component bigint[];
BEGIN
    root := lock_contact_customer(p_contact_id);
    customer_found := root IS NOT NULL;
    primary_ids := '{}';
    IF root IS NULL THEN
        RETURN;
    END IF;

    WITH member AS (
        SELECT customer.id, customer.email, customer.phone_number, customer.created_at
        FROM contact_customer_members(p_contact_id) AS customer
    ),
    holder AS (
        SELECT member.id, member.created_at,
               NULLIF(member.email, p_email) AS kept_email,
               NULLIF(member.phone_number, p_phone_number) AS kept_phone_number
        FROM member
        WHERE member.email = p_email OR member.phone_number = p_phone_number
    ),
    verdict AS (
        SELECT holder.id,
               (holder.kept_email IS NULL AND holder.kept_phone_number IS NULL)
               OR EXISTS (
                   SELECT FROM member AS older
                   WHERE (older.email = holder.kept_email OR older.phone_number = holder.kept_phone_number)
                     AND (older.created_at, older.id) < (holder.created_at, holder.id)
               ) AS brings_nothing
        FROM holder
    )
    SELECT coalesce(array_agg(verdict.id ORDER BY verdict.id) FILTER (WHERE NOT verdict.brings_nothing), '{}'),
           coalesce(array_agg(verdict.id ORDER BY verdict.id) FILTER (WHERE verdict.brings_nothing), '{}')
    INTO stripped, doomed
    FROM verdict;

    IF cardinality(stripped) + cardinality(doomed) = 0 THEN
        primary_ids := ARRAY[root];
        RETURN;
    END IF;

    UPDATE contact
    SET email = NULLIF(contact.email, p_email),
        phone_number = NULLIF(contact.phone_number, p_phone_number),
        updated_at = clock_timestamp()
    WHERE contact.id = ANY (stripped);

    -- The doomed are still in place (deleted last, once nobody points at them), so the
    -- customer is still reached from p_contact_id even when it is one of them.
    remaining := ARRAY(
        SELECT member.id
        FROM contact_customer_members(p_contact_id) AS member
        WHERE member.id <> ALL (doomed)
        ORDER BY member.created_at, member.id);

    WHILE cardinality(remaining) > 0 LOOP
        seed := remaining[1];
        -- The seed's component: walk from identifier to the contacts holding it to their
        -- other identifier. Each identifier is visited once (UNION), so the walk is linear
        -- in the component, even when thousands of contacts share one phone.
        WITH RECURSIVE reached (email, phone_number) AS (
            SELECT seed_value.email, seed_value.phone_number
            FROM contact
            CROSS JOIN LATERAL (VALUES (contact.email, NULL::text), (NULL::text, contact.phone_number))
                AS seed_value (email, phone_number)
            WHERE contact.id = seed
              AND (seed_value.email IS NOT NULL OR seed_value.phone_number IS NOT NULL)
            UNION
            SELECT next_value.email, next_value.phone_number
            FROM reached
            CROSS JOIN LATERAL (
                SELECT holder.email, holder.phone_number
                FROM contact AS holder
                WHERE holder.deleted_at IS NULL
                  AND (holder.email = reached.email OR holder.phone_number = reached.phone_number)
                  AND holder.id = ANY (remaining)
                OFFSET 0
            ) AS holder
            CROSS JOIN LATERAL (VALUES (holder.email, NULL::text), (NULL::text, holder.phone_number))
                AS next_value (email, phone_number)
            WHERE next_value.email IS NOT NULL OR next_value.phone_number IS NOT NULL
        )
        SELECT array_agg(contact.id ORDER BY contact.created_at, contact.id)
        INTO component
        FROM contact
        WHERE contact.id = ANY (remaining)
          AND (contact.email IN (SELECT reached.email FROM reached)
               OR contact.phone_number IN (SELECT reached.phone_number FROM reached));

        WITH before AS (
            SELECT contact.id, contact.linked_id
            FROM contact
            WHERE contact.id = ANY (component)
        ),
        relinked AS (
            UPDATE contact
            SET linked_id = NULLIF(seed, contact.id),
                updated_at = clock_timestamp()
            FROM before
            WHERE contact.id = before.id
              AND contact.linked_id IS DISTINCT FROM NULLIF(seed, contact.id)
            RETURNING contact.id, before.linked_id AS previous_linked_id
        )
        INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
        SELECT 'relinked', ARRAY[relinked.id, coalesce(relinked.previous_linked_id, relinked.id)], seed, p_request_id
        FROM relinked
        ORDER BY relinked.id;

        INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
        SELECT 'identifier_removed', array_agg(lost.id ORDER BY lost.id), seed, p_request_id
        FROM unnest(component) AS lost (id)
        WHERE lost.id = ANY (stripped)
        HAVING count(*) > 0;

        primary_ids := primary_ids || seed;
        remaining := ARRAY(SELECT left_over.id FROM unnest(remaining) WITH ORDINALITY AS left_over (id, position)
                           WHERE left_over.id <> ALL (component) ORDER BY left_over.position);
    END LOOP;

    IF cardinality(doomed) > 0 THEN
        DELETE FROM contact WHERE contact.id = ANY (doomed);
        INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
        VALUES ('contact_deleted', doomed, root, p_request_id);
    END IF;
END
$$;

-- Erase a live contact's customer: physically delete every one of its contacts and record
-- an `erased` event (ids only). Returns each erased contact's id, email and phone number, so
-- that the caller can add their keyed hashes to the suppression list in the same
-- transaction; no rows when the contact is not live.
CREATE FUNCTION erase_customer(p_contact_id bigint, p_request_id text)
RETURNS TABLE (erased_customer_id bigint, erased_contact_id bigint, erased_email text, erased_phone_number text)
LANGUAGE plpgsql
AS $$
DECLARE
    root bigint;
    member_ids bigint[];
BEGIN
    root := lock_contact_customer(p_contact_id);
    IF root IS NULL THEN
        RETURN;
    END IF;
    member_ids := ARRAY(SELECT member.id FROM contact_customer_members(p_contact_id) AS member ORDER BY member.id);
    INSERT INTO identity_event (kind, contact_ids, customer_id, request_id)
    VALUES ('erased', member_ids, root, p_request_id);
    RETURN QUERY
    DELETE FROM contact
    WHERE contact.id = ANY (member_ids)
    RETURNING root, contact.id, contact.email, contact.phone_number;
END
$$;
