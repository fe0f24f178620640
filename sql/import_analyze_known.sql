-- Gather statistics on import_known (see import_analyze_plan), for the steps that join
-- the existing customers found in the table: linking, planning and relinking them.
-- returns: nothing
-- indexes: none
-- locks: none (temporary tables of this session)
ANALYZE import_known;
