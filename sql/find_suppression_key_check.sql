-- Read which key the suppression list is written with (suppression_key_check).
-- returns: (key_check bytea), or no row when no erasure has recorded one yet
-- indexes: none (a one-row table)
-- locks: none
SELECT key_check
FROM suppression_key_check;
