--
-- What a run checks at the end of each revision, and what it holds.
--
CREATE EXTENSION pgmig;
SET pgmig.track_drift = off;

-- A deferred constraint that a revision violates fails that revision, at
-- its end, with its file: not the commit after the whole run.
CREATE TABLE rc_parent (id int PRIMARY KEY);
CREATE TABLE rc_child (pid int REFERENCES rc_parent DEFERRABLE INITIALLY DEFERRED);
SELECT revision, action FROM mig_register(ARRAY['1_both.sql', '2_orphan.sql', '3_late.sql'], ARRAY[
E'-- migrate:up\nINSERT INTO rc_child VALUES (1);\nINSERT INTO rc_parent VALUES (1);\n',
E'-- migrate:up\nINSERT INTO rc_child VALUES (2);\n',
E'-- migrate:up\nINSERT INTO rc_parent VALUES (2);\n']);
SELECT revision FROM mig_apply();
SELECT count(*) FROM pgmig.schema_migrations;
SELECT count(*) FROM rc_child;
-- the same through mig_apply_each: revision 1 stays
SET client_min_messages = warning;	-- its notices give durations
CALL mig_apply_each();
RESET client_min_messages;
SELECT id FROM pgmig.schema_migrations;
SELECT action, revision, success, sqlstate FROM pgmig.events ORDER BY event_id;

-- after a revision's check, the constraints keep their own timing: the
-- next revision and the caller may still insert a child before its parent
SELECT revision, action FROM mig_register('2_orphan.sql', E'-- migrate:up\nINSERT INTO rc_child VALUES (3);\nINSERT INTO rc_parent VALUES (3);\n');
BEGIN;
SELECT revision FROM mig_apply();
INSERT INTO rc_child VALUES (4);
INSERT INTO rc_parent VALUES (4);
COMMIT;
SELECT pid FROM rc_child ORDER BY pid;

-- deferred checks the caller's own transaction left pending are not
-- blamed on a revision: they are checked at commit, as before
SELECT revision, action FROM mig_register('4_more.sql', E'-- migrate:up\nINSERT INTO rc_parent VALUES (5);\n');
BEGIN;
INSERT INTO rc_child VALUES (6);
SELECT revision FROM mig_apply();
COMMIT;
SELECT id FROM pgmig.schema_migrations WHERE id = '4';

-- A run of many revisions holds one subtransaction for lock retries, not
-- one per revision: each revision that writes would take a transaction id
-- of its own, and past 64 the subtransaction cache overflows.
CREATE TABLE rc_xids (n bigint);
SELECT count(*) FROM mig_register(
	ARRAY(SELECT i || '_xid.sql' FROM generate_series(10, 109) i),
	ARRAY(SELECT E'-- migrate:up\nINSERT INTO rc_xids SELECT count(*) FROM pg_locks WHERE locktype = ''transactionid'' AND pid = pg_backend_pid();\n'
		  FROM generate_series(10, 109)));
SELECT count(*) FROM mig_apply();
SELECT count(*) AS revisions, max(n) <= 2 AS at_most_two_xids FROM rc_xids;

SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE rc_child, rc_parent, rc_xids;
