-- No-transaction revisions: the server splits them, the client runs the
-- statements one by one and records progress, so a half-done revision
-- shows in the status and a later attempt resumes.
CREATE EXTENSION pgmig;

SELECT revision, action FROM mig_register(ARRAY['1_table.sql', '2_index.sql'], ARRAY[
E'-- migrate:up\nCREATE TABLE nt (a int, b int);\n-- migrate:down\nDROP TABLE nt;\n',
$f$-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY nt_a ON nt (a);
CREATE INDEX CONCURRENTLY nt_b
  ON nt (b);
-- migrate:down
DROP INDEX CONCURRENTLY nt_b;
DROP INDEX CONCURRENTLY nt_a;
$f$]);

-- the server's split, with file lines
SELECT * FROM pgmig.statements('2');
SELECT * FROM pgmig.statements('2', revert => true);
SELECT * FROM mig_plan();

-- mig_apply stops before the no-transaction revision; pgmig.apply can
-- apply the steps before it
SELECT revision FROM mig_apply();
SELECT revision FROM pgmig.apply('head', 1, false);

-- the session lock is required
SELECT pgmig.nontx_begin('2', false);
SELECT pg_advisory_lock(1885826409, 103);
SELECT pgmig.nontx_begin('2', false);
-- first statement done, then the "client" dies
CREATE INDEX CONCURRENTLY nt_a ON nt (a);
SELECT pgmig.nontx_progress('2', 1);
SELECT id, state, statements_done FROM pgmig.schema_migrations ORDER BY id;
SELECT mig_status();
SELECT revision, applied, state FROM mig_revisions();

-- a new attempt resumes after statement 1
SELECT pgmig.nontx_begin('2', false);
CREATE INDEX CONCURRENTLY nt_b ON nt (b);
SELECT pgmig.nontx_progress('2', 2);
SELECT pgmig.nontx_end('2', false, true, '1 second', NULL, NULL);
SELECT mig_status();

-- going down, a failure is recorded as such
SELECT pgmig.nontx_begin('2', true);
SELECT pgmig.nontx_end('2', true, false, NULL, '55P03', 'lock timeout');
SELECT id, state FROM pgmig.schema_migrations ORDER BY id;
SELECT pgmig.nontx_begin('2', false);
SELECT pgmig.nontx_begin('2', true);
DROP INDEX CONCURRENTLY nt_b;
DROP INDEX CONCURRENTLY nt_a;
SELECT pgmig.nontx_end('2', true, true, NULL, NULL, NULL);
SELECT mig_status();
SELECT pgmig.nontx_progress('2', 1);

-- a revision that failed going up is not applied: its file may be fixed,
-- and the fixed script starts over
SELECT pgmig.nontx_begin('2', false);
SELECT pgmig.nontx_end('2', false, false, NULL, '42P07', 'relation "nt_a" already exists');
SELECT revision, action FROM mig_register('2_index.sql', $f$-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY IF NOT EXISTS nt_a ON nt (a);
CREATE INDEX CONCURRENTLY nt_b
  ON nt (b);
-- migrate:down
DROP INDEX CONCURRENTLY nt_b;
DROP INDEX CONCURRENTLY nt_a;
$f$);
SELECT id, state, statements_done FROM pgmig.schema_migrations ORDER BY id;
SELECT pgmig.nontx_begin('2', false);
SELECT pg_advisory_unlock(1885826409, 103);

-- the client logs failures of transactional runs after rolling back
SELECT pgmig.log_failure('apply', '1', NULL, '22012', 'division by zero');
SELECT pgmig.log_failure('explode', '1', NULL, NULL, NULL);
SELECT action, revision, success, sqlstate, message FROM mig_history();

SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE nt;
