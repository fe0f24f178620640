-- Hold the suppression key's two padded blocks for import_hash_file_identifiers, filled by
-- the caller with COPY. COPY, not a statement parameter: PostgreSQL writes a statement's
-- parameters into its log (log_statement, log_min_duration_statement), never COPY's rows,
-- and a pad is the key itself XOR a constant. The table is this session's only and dropped
-- at commit or rollback.
-- returns: nothing; creates the temporary table import_suppression_key (inner_pad bytea,
--   outer_pad bytea): one row, the key padded to 64 bytes XOR 0x36 and XOR 0x5c (RFC 2104)
-- indexes: none
-- locks: none (a temporary table of this session)
CREATE TEMPORARY TABLE import_suppression_key (
    inner_pad bytea NOT NULL,
    outer_pad bytea NOT NULL
) ON COMMIT DROP;
