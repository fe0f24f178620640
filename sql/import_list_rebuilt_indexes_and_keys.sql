-- The secondary indexes and foreign keys of the empty tables an import is about to
-- fill, each with the statement that drops it and the one that builds it again, read
-- from the catalog (a migration that changes an index changes what is rebuilt), and the
-- statement that restores its comment.
-- A bulk build sorts once (a btree in parallel workers) and checks a foreign key with one join:
-- for a million orders into an empty table, about 2.3 s, where inserting each new row
-- into three btrees and a GIN index and checking its foreign key took 6.5 s. Left alone,
-- maintained row by row as usual: primary keys and every unique or exclusion index (they
-- enforce constraints row by row, and foreign keys rely on them); invalid indexes (a
-- failed CREATE INDEX CONCURRENTLY, which a DBA must see to); indexes whose definition
-- does not say everything about them: placed in another tablespace, marked for CLUSTER,
-- or with a statistics target of their own; foreign keys to other tables (dropping one
-- would lock that table too).
-- $1 tables regclass[]: the tables, empty and locked by import_lock_empty_tables
-- returns: (drop_statement text, build_statement text, comment_statement text), foreign
--   keys first (drop in this order, build in the reverse one); comment_statement NULL
--   when the index or key has no comment
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
      AND confrelid = ANY ($1::regclass[])
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
      AND NOT index_.indisclustered
      AND index_.indisvalid
      AND index_relation.reltablespace = 0
      AND NOT EXISTS (
          SELECT FROM pg_attribute AS index_column
          WHERE index_column.attrelid = index_.indexrelid
            AND index_column.attstattarget >= 0
      )
)
SELECT drop_statement, build_statement, comment_statement
FROM (
    SELECT 1 AS step, drop_statement, build_statement, comment_statement FROM foreign_key
    UNION ALL
    SELECT 2, drop_statement, build_statement, comment_statement FROM secondary_index
) AS structure
ORDER BY step, drop_statement;
