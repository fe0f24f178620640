-- Index the graph's edges by neighbour for the rounds of label propagation.
-- After round 1 only a few nodes change per round; with this index a round probes
-- their edges instead of scanning every edge.
-- returns: nothing
-- indexes: creates one on import_edge (neighbour_id)
-- locks: none (temporary tables of this session)
CREATE INDEX ON import_edge (neighbour_id);
