-- Index the nodes by id for the rounds of label propagation (updates and jumps by node).
-- returns: nothing
-- indexes: creates one on import_identifier (node_id)
-- locks: none (temporary tables of this session)
CREATE INDEX ON import_identifier (node_id);
