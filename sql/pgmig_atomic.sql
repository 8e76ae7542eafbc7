-- All or nothing: a failing revision leaves no trace of the ones before
-- it; the commit-per-revision procedure keeps them and logs the failure.
CREATE EXTENSION pgmig;

SELECT count(*) FROM mig_register(
  ARRAY['1_one.sql', '2_two.sql', '3_three.sql'],
  ARRAY[
$f$-- migrate:up
CREATE TABLE t1 (a int);
-- migrate:down
DROP TABLE t1;
$f$,
$f$-- migrate:up
CREATE TABLE t2 (a int);
INSERT INTO t2 VALUES (1);
-- migrate:down
DROP TABLE t2;
$f$,
$f$-- migrate:up
CREATE TABLE t3 (a int);

INSERT INTO t3
  SELECT 1 / 0;
-- migrate:down
DROP TABLE t3;
$f$]);

-- the third fails at its file's line 4; nothing of the first two remains
SELECT revision FROM mig_apply();
SELECT to_regclass('t1') IS NULL AS t1_gone, to_regclass('t2') IS NULL AS t2_gone;
SELECT count(*) AS applied FROM pgmig.schema_migrations;
SELECT mig_status();

-- inside an explicit transaction, the caller decides
BEGIN;
SELECT revision FROM mig_apply('2');
SELECT mig_status();
ROLLBACK;
SELECT mig_status();

-- commit per revision: the first two stay, the third is reported and logged
-- (its notices carry timings)
SET client_min_messages = warning;
CALL mig_apply_each();
RESET client_min_messages;
SELECT to_regclass('t1') IS NOT NULL AS t1_kept, to_regclass('t2') IS NOT NULL AS t2_kept,
       to_regclass('t3') IS NULL AS t3_gone;
SELECT id FROM pgmig.schema_migrations ORDER BY id;
SELECT action, revision, success, sqlstate, message FROM mig_history();
SELECT mig_status();

-- the procedure wants CALL outside a transaction block
BEGIN;
CALL mig_apply_each();
ROLLBACK;

-- an unapplied revision may be fixed and registered again
SELECT * FROM mig_register('3_three.sql', $f$-- migrate:up
CREATE TABLE t3 (a int);
-- migrate:down
DROP TABLE t3;
$f$);

-- settings a script changes end with the script
SELECT count(*) FROM mig_register('4_settings.sql', $f$-- migrate:up
SET search_path = nowhere;
SET LOCAL statement_timeout = '1h';
SELECT set_config('pgmig_test.value', 'leaked', false);
CREATE TABLE public.t4 (a int);
-- migrate:down
DROP TABLE public.t4;
$f$);
SET statement_timeout = '5min';
SELECT revision FROM mig_apply('4');
SHOW search_path;
SHOW statement_timeout;
SELECT current_setting('pgmig_test.value', true) IS DISTINCT FROM 'leaked' AS not_leaked;
RESET statement_timeout;

-- a dry run runs everything, reports it, and leaves nothing behind
SELECT revision FROM mig_revert('2');
SELECT mig_status();
SELECT count(*) AS events_before FROM pgmig.events \gset
SELECT revision FROM mig_apply('3', dry_run => true);
SELECT to_regclass('t3') IS NULL AS t3_still_gone;
SELECT revision FROM mig_revert('1', dry_run => true);
SELECT to_regclass('t2') IS NOT NULL AS t2_still_there;
SELECT mig_status();
SELECT count(*) = :events_before AS no_new_events FROM pgmig.events;

SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE t1, t2;
