-- Gather statistics on the file's keyed hashes and the copy of the suppression list (see
-- import_analyze_plan), before import_skip_erased_orders joins them. Without them the
-- planner takes the join of a million hashes with a few hundred erasures for millions of
-- rows and sorts every value of the file to merge them (8 s for a million orders);
-- with them it hashes the few erased values and scans the file once.
-- returns: nothing
-- indexes: none
-- locks: none (temporary tables of this session)
ANALYZE import_identifier_hmac, import_erasure;
