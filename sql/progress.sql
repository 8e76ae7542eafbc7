--
-- Progress reports (pgmig.progress): INFO messages with SQLSTATE 00M01 as
-- each revision starts and ends, and with "statements" as each statement
-- starts, with its line.  Off by default.  The durations are in the
-- details, which VERBOSITY terse leaves out.
--
CREATE EXTENSION pgmig;
\set VERBOSITY terse
SELECT revision FROM mig_register('1_one.sql', $$-- migrate:up
CREATE TABLE progress_one (id int);

INSERT INTO progress_one VALUES (1);
-- migrate:down
DROP TABLE progress_one;
$$);
SELECT revision FROM mig_register('2_two.sql', $$-- migrate:up
CREATE TABLE progress_two (id int);
-- migrate:down
DROP TABLE progress_two;
$$);
SHOW pgmig.progress;

-- off: nothing new
SELECT revision FROM mig_apply('1');

-- INFO reaches the client whatever client_min_messages says
SET client_min_messages = error;
SET pgmig.progress = 'revisions';
SELECT revision FROM mig_apply();
SET pgmig.progress = 'statements';
SELECT revision FROM mig_revert('base');
-- with the commit-per-revision procedure too
SET pgmig.progress = 'revisions';
CALL mig_apply_each();
RESET client_min_messages;

-- a script's own INFO is its own, with the SQLSTATE it gives
SELECT revision FROM mig_register('3_three.sql', $$-- migrate:up
DO $do$BEGIN RAISE INFO 'from the script'; END$do$;
-- migrate:down
SELECT 1;
$$);
\set VERBOSITY sqlstate
SELECT revision FROM mig_apply();
\set VERBOSITY terse

SET pgmig.progress = 'sometimes';
RESET pgmig.progress;
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE progress_one, progress_two;
