-- Give the planned contacts their ids from contact's identity sequence, in seq order.
-- /identify would have created them one at a time in that order, so ids grow with
-- seq. Run under import_lock_contacts: no other transaction inserts meanwhile, so the
-- ids follow every existing one.
-- returns: nothing
-- indexes: none (temporary table)
-- locks: none beyond import_lock_contacts (nextval takes none that is waited for)
UPDATE import_new_contact AS planned
SET id = numbered.id
FROM (
    -- nextval in the select list is evaluated after the sort, so ids follow seq.
    SELECT seq, nextval(pg_get_serial_sequence('contact', 'id')) AS id
    FROM import_new_contact
    ORDER BY seq
) AS numbered
WHERE planned.seq = numbered.seq;
