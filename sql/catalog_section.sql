--
-- pgmig tells its own catalog work from anyone else's by counting catalog
-- sections.  A subtransaction that pgmig rolls back inside a run (the
-- check of deferred constraints after each revision, a lock retry) must
-- not make the rest of the run look like someone else's: the count is
-- kept per subtransaction.
--
CREATE TABLE cs_seen (step text, schema_changed boolean, status_kept boolean);
CREATE SEQUENCE cs_attempts;
CREATE EXTENSION pgmig;

-- DDL that revisions run is the run's own, not drift, also after the
-- deferred constraints were checked (and rolled back) before revision 1
SELECT revision, action FROM mig_register(ARRAY['1_a.sql', '2_b.sql'], ARRAY[
E'-- migrate:up\nCREATE TABLE cs_a (id int);\n',
E'-- migrate:up\nINSERT INTO cs_seen SELECT ''2_b'', schema_changed, status IS NOT NULL FROM pgmig.status_cache;\n']);
SELECT schema_changed, status FROM pgmig.status_cache;
SELECT revision FROM mig_apply();
SELECT * FROM cs_seen;
SELECT schema_changed, status FROM pgmig.status_cache;

-- the status line stored before mig_apply_each stays until the run stores
-- the new one: the writes of revision 3, after its check of deferred
-- constraints, are the run's own and do not clear it
SELECT revision, action FROM mig_register(ARRAY['3_c.sql', '4_d.sql'], ARRAY[
E'-- migrate:up\nCREATE TABLE cs_c (id int);\n',
E'-- migrate:up\nINSERT INTO cs_seen SELECT ''4_d'', schema_changed, status IS NOT NULL FROM pgmig.status_cache;\n']);
SET client_min_messages = warning;	-- its notices give durations
CALL mig_apply_each();
RESET client_min_messages;
SELECT * FROM cs_seen ORDER BY step;
SELECT schema_changed, status FROM pgmig.status_cache;

-- a lock retry inside the run: the attempt that timed out is rolled back
-- and the run goes on, its DDL and catalog writes still its own
SET pgmig.lock_retry_delay = 0;
SELECT revision, action FROM mig_register(ARRAY['5_retried.sql', '6_f.sql'], ARRAY[
E'-- migrate:up\nCREATE TABLE cs_e (id int);\nDO $$BEGIN IF nextval(''cs_attempts'') = 1 THEN RAISE ''simulated lock timeout'' USING ERRCODE = ''lock_not_available''; END IF; END$$;\n',
E'-- migrate:up\nINSERT INTO cs_seen SELECT ''6_f'', schema_changed, status IS NOT NULL FROM pgmig.status_cache;\n']);
SELECT revision FROM mig_apply();
RESET pgmig.lock_retry_delay;
SELECT * FROM cs_seen ORDER BY step;
SELECT schema_changed, status FROM pgmig.status_cache;

-- a savepoint rolled back after a run failed inside it ends that run's
-- section: DDL after it is noted as drift, a catalog change clears the line
SELECT revision, action FROM mig_register('7_fails.sql', E'-- migrate:up\nCREATE TABLE cs_g (id int);\nSELECT 1/0;\n');
BEGIN;
SAVEPOINT before_run;
SELECT revision FROM mig_apply();
ROLLBACK TO SAVEPOINT before_run;
CREATE TABLE cs_outside (id int);
SELECT schema_changed FROM pgmig.status_cache;
UPDATE pgmig.revisions SET description = 'fails' WHERE id = '7';
SELECT status IS NULL AS status_cleared FROM pgmig.status_cache;
ROLLBACK;

SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE cs_seen, cs_a, cs_c, cs_e;
DROP SEQUENCE cs_attempts;
