-- The contact table: one row per distinct set of contact details seen at checkout.
--
-- A customer is a cluster of contacts: one primary (linked_id IS NULL, the oldest
-- contact of the cluster) and any number of secondaries whose linked_id points
-- straight at that primary. link_precedence is derived from linked_id, so the two
-- can never disagree. Rows with deleted_at set are invisible to the service.

CREATE TABLE contact (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    phone_number text,
    email text,
    linked_id bigint REFERENCES contact (id),
    link_precedence text NOT NULL
        GENERATED ALWAYS AS (CASE WHEN linked_id IS NULL THEN 'primary' ELSE 'secondary' END) STORED,
    -- clock_timestamp(), not now(): now() is the start of the transaction, and a
    -- contact written after waiting on a lock must not look older than it is.
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    deleted_at timestamptz,
    CONSTRAINT contact_has_an_identifier
        CHECK (email IS NOT NULL OR phone_number IS NOT NULL),
    CONSTRAINT contact_is_not_linked_to_itself
        CHECK (linked_id <> id),
    -- The service stores normalized values only; see README "API".
    CONSTRAINT contact_email_is_normalized
        CHECK (email <> '' AND length(email) <= 254),
    CONSTRAINT contact_phone_number_is_normalized
        CHECK (phone_number ~ '^\+?[0-9]{1,20}$')
);

-- Lookups by identifier only ever concern live rows.
CREATE INDEX contact_email_live_idx
    ON contact (email)
    WHERE deleted_at IS NULL AND email IS NOT NULL;

CREATE INDEX contact_phone_number_live_idx
    ON contact (phone_number)
    WHERE deleted_at IS NULL AND phone_number IS NOT NULL;

-- Not partial on deleted_at: it also serves the foreign key's checks on delete.
CREATE INDEX contact_linked_id_idx
    ON contact (linked_id)
    WHERE linked_id IS NOT NULL;
