-- Let one process at a time apply migrations, however many start together.
-- Run on a connection of its own before applying migrations; closing that
-- connection releases the lock, so a crashed process cannot leave it held.
-- returns: one row (void) once the lock is held
-- indexes: none
-- locks: session-level advisory lock hashtextextended('identity-service:migrations', 0),
--   waited for, held until the connection closes
SELECT pg_advisory_lock(hashtextextended('identity-service:migrations', 0));
