-- Create the staging table the import COPYs the file's valid orders into.
-- First step of `run.py import` (service/importer.py). Rows arrive parsed and
-- normalized exactly as POST /identify would (service/order_file.py); rejected lines
-- never get here. The phone columns are those identify_contact takes: phone_number in
-- E.164 when a region is set (NULL when the phone is no number of the region; then
-- phone_number_problem says why), phone_number_as_typed the digits as typed, which a
-- blocked value matches too. Temporary: private to the import's session, dropped at
-- commit or rollback, never WAL-logged.
-- returns: nothing
-- indexes: none
-- locks: none (a temporary table of this session)
CREATE TEMPORARY TABLE import_order (
    line bigint NOT NULL,
    email text,
    phone_number text,
    phone_number_as_typed text,
    phone_number_problem text,
    created_at timestamptz NOT NULL
) ON COMMIT DROP;
