-- Create the staging table the import COPYs the file's valid orders into.
-- First step of `run.py import` (service/importer.py). Rows arrive parsed and
-- normalized exactly as POST /identify would (service/order_file.py); rejected lines
-- never get here. Temporary: private to the import's session, dropped at commit or
-- rollback, never WAL-logged.
-- returns: nothing
-- indexes: none
-- locks: none (a temporary table of this session)
CREATE TEMPORARY TABLE import_order (
    line bigint NOT NULL,
    email text,
    phone_number text,
    created_at timestamptz NOT NULL
) ON COMMIT DROP;
