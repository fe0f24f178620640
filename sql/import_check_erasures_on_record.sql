-- Whether the suppression list holds any value as the import begins: then the import
-- collects the file's values as it reads them, and hashes them in Python after it
-- (import_create_identifier_hmac). Whatever is erased later is still found: the list is
-- copied after the file is read (import_snapshot_erasures), and again under the lock.
-- returns: one row, (on_record boolean)
-- indexes: none (the first row found ends the scan)
-- locks: none (a plain read of erased_identifier)
SELECT EXISTS (SELECT FROM erased_identifier) AS on_record;
