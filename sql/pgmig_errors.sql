-- Bad input gets a clear error naming file and line, and changes nothing.
CREATE EXTENSION pgmig;

-- malformed files are refused before anything is registered
SELECT * FROM mig_register('1_no_up.sql', 'CREATE TABLE x (a int);');
SELECT * FROM mig_register('1_no_up.sql', E'-- just a comment\n');
SELECT * FROM mig_register('1_bad_directive.sql', E'-- pgmig:frobnicate\n-- migrate:up\nSELECT 1;\n');
SELECT * FROM mig_register('1_bad_option.sql', E'-- migrate:up transaction:maybe\nSELECT 1;\n');
SELECT * FROM mig_register('1_late.sql', E'-- migrate:up\nSELECT 1;\n-- pgmig:label x\n');
SELECT * FROM mig_register('1_twice.sql', E'-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n');
SELECT * FROM mig_register('1_down_first.sql', E'-- migrate:down\nSELECT 1;\n-- migrate:up\n');
SELECT * FROM mig_register('notaversion.sql', E'-- migrate:up\n');
SELECT * FROM mig_register('1_x.txt', E'-- migrate:up\n');
SELECT * FROM mig_register(ARRAY['1_a.sql', '001_b.sql'], ARRAY[E'-- migrate:up\n', E'-- migrate:up\n']);
SELECT * FROM mig_register(ARRAY['1_a.sql'], ARRAY[E'-- migrate:up\n', E'-- migrate:up\n']);
SELECT * FROM mig_register(ARRAY['1_a.sql'], ARRAY[NULL]);
SELECT * FROM mig_register('2_orphan.sql', E'-- pgmig:revises 1\n-- migrate:up\n');
SELECT count(*) AS registered FROM pgmig.revisions;

-- a working base
SELECT * FROM mig_register('1_base.sql', E'-- migrate:up\nCREATE TABLE base (a int);\n-- migrate:down\nDROP TABLE base;\n');
SELECT * FROM mig_register('01_again.sql', E'-- migrate:up\n');

-- syntax errors are found before anything runs, with the file's line
SELECT * FROM mig_register('2_syntax.sql', $f$-- pgmig:label broken
-- migrate:up
CREATE TABLE ok_so_far (a int);

CREATE TABLE broken (
  a int,
  b intt erger
);
$f$);
SELECT revision FROM mig_apply();
SELECT to_regclass('base') IS NULL AS nothing_ran;

-- runtime errors keep PostgreSQL's message, detail and SQLSTATE
SELECT * FROM mig_register('2_syntax.sql', $f$-- migrate:up
CREATE TABLE ok_so_far (a int);
INSERT INTO ok_so_far VALUES (1), (1);
CREATE UNIQUE INDEX ON ok_so_far (a);
-- migrate:down
DROP TABLE ok_so_far;
$f$);
SELECT revision FROM mig_apply();
DO $$
BEGIN
  PERFORM mig_apply();
EXCEPTION WHEN unique_violation THEN
  RAISE NOTICE 'caught SQLSTATE %', SQLSTATE;
END
$$;
SELECT * FROM mig_register('2_syntax.sql', $f$-- migrate:up
CREATE TABLE ok_so_far (a int);
SELECT *
  FROM no_such_table;
-- migrate:down
DROP TABLE ok_so_far;
$f$);
SELECT revision FROM mig_apply();

-- unterminated quotes are found by the scanner, with the line
SELECT * FROM mig_register('2_syntax.sql', $f$-- migrate:up
SELECT 1;
SELECT 'never closed;
-- migrate:down
$f$);
SELECT revision FROM mig_apply();

-- transaction control, psql meta-commands and COPY FROM STDIN are refused
SELECT * FROM mig_register('2_syntax.sql', E'-- migrate:up\nCREATE TABLE a (x int);\nCOMMIT;\n');
SELECT revision FROM mig_apply();
SELECT * FROM mig_register('2_syntax.sql', E'-- migrate:up\nSELECT 1;\n\\i other.sql\n');
SELECT revision FROM mig_apply();
SELECT * FROM mig_register('2_syntax.sql', E'-- migrate:up\nCOPY base FROM STDIN;\n');
SELECT revision FROM mig_apply();

-- statements that cannot run in a transaction need a no-transaction revision
SELECT * FROM mig_register('2_syntax.sql', E'-- migrate:up\nSELECT 1;\nCREATE INDEX CONCURRENTLY base_a ON base (a);\n');
SELECT revision FROM mig_apply();
SELECT * FROM mig_register('2_syntax.sql', E'-- migrate:up\nVACUUM base;\n');
SELECT revision FROM mig_apply();
-- ... and such a revision is the client's to run
SELECT * FROM mig_register('2_syntax.sql', E'-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY base_a ON base (a);\n-- migrate:down\nDROP INDEX CONCURRENTLY base_a;\n');
SELECT revision FROM mig_apply();
SELECT revision FROM mig_apply('1');
SELECT * FROM mig_register('2_syntax.sql', E'-- migrate:up\nSELECT 1;\n');

-- targets: unknown, ambiguous, wrong way, bad label
SELECT * FROM mig_plan('9');
SELECT * FROM mig_plan('nope');
SELECT * FROM mig_plan('-1');
SELECT * FROM mig_plan('+1', revert => true);
SELECT * FROM mig_plan('nolabel@head');
SELECT * FROM mig_plan('x@tail');
SELECT * FROM mig_register('120_a.sql', E'-- migrate:up\n');
SELECT * FROM mig_register('121_b.sql', E'-- migrate:up\n');
SELECT * FROM mig_plan('12');
SELECT revision FROM mig_plan('120');

-- an irreversible revision stops a revert before anything runs
SELECT revision FROM mig_apply();
SELECT revision FROM mig_revert('base');
SELECT to_regclass('base') IS NOT NULL AS base_still_there;

-- an applied script that changed is refused, unless forced (and logged)
SELECT * FROM mig_register('1_base.sql', E'-- migrate:up\nCREATE TABLE base (a bigint);\n-- migrate:down\nDROP TABLE base;\n');
SELECT * FROM mig_register('1_base.sql', E'-- migrate:up\nCREATE TABLE base (a int);\n-- migrate:down\nDROP TABLE IF EXISTS base;\n');
SELECT * FROM mig_register('1_base.sql', E'-- migrate:up\nCREATE TABLE base (a bigint);\n-- migrate:down\nDROP TABLE base;\n', force => true);
SELECT revision, changed FROM mig_revisions() WHERE revision = '1';
SELECT action, revision, message LIKE 'up script of file "1_base.sql" accepted%' AS logged
  FROM mig_history() WHERE action = 'override';

-- a changed script that was applied shows in the status
UPDATE pgmig.schema_migrations SET checksum = 'feed' WHERE id = '1';
SELECT mig_status();

-- unregistering an applied revision is refused
SELECT mig_unregister(ARRAY['1']);
SELECT mig_unregister(ARRAY['nonesuch']);

SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE base;
