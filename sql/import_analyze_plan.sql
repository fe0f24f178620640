-- Gather statistics on the import's temporary tables, which autovacuum never analyzes.
-- Without them the planner guesses their sizes from their pages, and would as soon
-- hash the whole contact table for a file of ten orders as probe its indexes for a
-- file of a million; with them each step gets the plan its real sizes call for.
-- returns: nothing
-- indexes: none
-- locks: none (temporary tables of this session)
ANALYZE import_order_node, import_edge, import_identifier;
