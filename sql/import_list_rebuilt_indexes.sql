-- The secondary indexes and foreign keys of the empty tables an import is about to
-- fill, each with the statements that drop it and that build it again, read from the
-- catalog (a migration that changes an index changes what is rebuilt), its storage
-- parameters and its comment included.
-- A bulk build sorts once and checks a foreign key with one join: for a million orders
-- into an empty table, about 2 s, where inserting each new row into three btrees and a
-- GIN index and checking its foreign key took 6.5 s. Left alone: primary keys and
-- every unique or exclusion index (they enforce constraints row by row, and foreign
-- keys rely on them), invalid indexes (a failed CREATE INDEX CONCURRENTLY, which a DBA
-- must see to) and indexes placed in another tablespace (the definition does not say
-- which). The foreign keys come first: drop in this order, build in the reverse one.
-- $1 tables regclass[]: the tables, empty and locked by import_lock_empty_tables
-- returns: (drop_statement text, build_statement text, comment_statement text), foreign
--   keys first; comment_statement NULL when the structure has no comment
-- indexes: none (the catalog)
-- locks: none (reads the catalog; the statements returned run under
--   import_lock_empty_tables)
WITH foreign_key AS (
    SELECT format('ALTER TABLE %s DROP CONSTRAINT %I', conrelid::regclass, conname) AS drop_statement,
           format('ALTER TABLE %s ADD CONSTRAINT %I %s', conrelid::regclass, conname, pg_get_constraintdef(oid))
               AS build_statement,
           format('COMMENT ON CONSTRAINT %I ON %s IS ', conname, conrelid::regclass)
               || quote_literal(obj_description(oid, 'pg_constraint')) AS comment_statement
    FROM pg_constraint
    WHERE conrelid = ANY ($1::regclass[])
      AND contype = 'f'
),
secondary_index AS (
    SELECT format('DROP INDEX %s', index_.indexrelid::regclass) AS drop_statement,
           pg_get_indexdef(index_.indexrelid) AS build_statement,
           format('COMMENT ON INDEX %s IS ', index_.indexrelid::regclass)
               || quote_literal(obj_description(index_.indexrelid, 'pg_class')) AS comment_statement
    FROM pg_index AS index_
    JOIN pg_class AS index_relation ON index_relation.oid = index_.indexrelid
    WHERE index_.indrelid = ANY ($1::regclass[])
      AND NOT index_.indisunique
      AND NOT index_.indisexclusion
      AND index_.indisvalid
      AND index_relation.reltablespace = 0
)
SELECT drop_statement, build_statement, comment_statement
FROM (
    SELECT 1 AS step, drop_statement, build_statement, comment_statement FROM foreign_key
    UNION ALL
    SELECT 2, drop_statement, build_statement, comment_statement FROM secondary_index
) AS structure
ORDER BY step, drop_statement;
