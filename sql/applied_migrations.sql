-- List the migrations applied to this database, for the readiness check.
-- yoyo records each applied migration in _yoyo_migration.
-- returns: (migration_id text) per applied migration
-- indexes: none (a handful of rows)
-- locks: none
SELECT migration_id
FROM _yoyo_migration;
