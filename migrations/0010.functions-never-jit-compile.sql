-- The PL/pgSQL functions of migration 0006 never JIT-compile their statements either, whoever
-- calls them, as the functions of 0009 do (the reason is in 0009, at identify_contact's SET
-- clauses): their walks are planned from the same growing guesses. The setting is the
-- function's own, a SET clause, whatever the session says.
ALTER FUNCTION lock_contact_customer(bigint) SET jit = off;
ALTER FUNCTION remove_identifier(bigint, text, text, text) SET jit = off;
ALTER FUNCTION erase_customer(bigint, text) SET jit = off;
