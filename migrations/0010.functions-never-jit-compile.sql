-- The project's PL/pgSQL functions never JIT-compile their statements, whoever calls them.
-- The planner's estimate for a recursive walk of the linked_id graph is a fixed guess that
-- grows with the table (about 335,000 rows on a 1M-contact table for a one-contact customer),
-- so on a large table the cost of identify_contact's gather statement passes jit_above_cost,
-- and a session with PostgreSQL's default jit = on (psql, pgbench, any client other than the
-- service's pool, which turns JIT off) paid 25-35 ms of compilation on every call of a
-- statement that runs in 0.2 ms. Like the plan settings pinned in 0007 and 0009, the setting
-- is the function's own: a SET clause, whatever the session says.
ALTER FUNCTION identify_contact(text, text, text, text, integer, integer, integer, integer) SET jit = off;
ALTER FUNCTION lock_customer_roots(bigint[], bigint[]) SET jit = off;
ALTER FUNCTION renormalize_phone_number(text[], text, text, integer, integer, integer) SET jit = off;
ALTER FUNCTION lock_contact_customer(bigint) SET jit = off;
ALTER FUNCTION remove_identifier(bigint, text, text, text) SET jit = off;
ALTER FUNCTION erase_customer(bigint, text) SET jit = off;
