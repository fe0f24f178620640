-- How many connections PostgreSQL lets ordinary clients open: max_connections less the
-- slots kept for superusers. The parent of several workers compares it with what their
-- pools may open, to warn at start-up rather than fail requests under load.
-- returns: (connection_limit integer), one row
-- indexes: none
-- locks: none
SELECT current_setting('max_connections')::integer
       - current_setting('superuser_reserved_connections')::integer AS connection_limit;
