-- Security: scripts run with the caller's rights, changing functions are
-- not PUBLIC, the catalog is not writable by PUBLIC, the audit log is
-- append-only, and a hostile search_path does not redirect pgmig.
CREATE EXTENSION pgmig;
CREATE ROLE pgmig_nobody;
CREATE ROLE pgmig_deployer;

SELECT count(*) FROM mig_register('1_t.sql',
  E'-- migrate:up\nCREATE TABLE sec_t (a int);\n-- migrate:down\nDROP TABLE sec_t;\n');

SET ROLE pgmig_nobody;
-- reading works
SELECT mig_status();
SELECT revision, applied FROM mig_revisions();
-- changing does not
SELECT revision FROM mig_apply();
SELECT * FROM mig_stamp('head');
SELECT * FROM mig_register('2_x.sql', E'-- migrate:up\n');
INSERT INTO pgmig.schema_migrations (id) VALUES ('1');
DELETE FROM pgmig.events;
-- scripts may hold secrets: their text is not readable
SELECT up_script FROM pgmig.revisions;
RESET ROLE;

-- what a deploy role needs (as in the README); scripts run with its rights
GRANT EXECUTE ON FUNCTION mig_apply(text, boolean), mig_revert(text, boolean),
  mig_register(text[], text[], boolean), pgmig.record_snapshot(text),
  pgmig.update_map(boolean), pgmig.record_unrecorded() TO pgmig_deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmig.revisions, pgmig.schema_migrations
  TO pgmig_deployer;
GRANT SELECT, INSERT ON pgmig.events TO pgmig_deployer;
GRANT SELECT, INSERT, UPDATE ON pgmig.snapshots TO pgmig_deployer;
GRANT UPDATE ON pgmig.status_cache TO pgmig_deployer;
SET ROLE pgmig_deployer;
-- no CREATE on schema public for this role: the script fails with its rights
SELECT revision FROM mig_apply();
RESET ROLE;
GRANT CREATE ON SCHEMA public TO pgmig_deployer;
SET ROLE pgmig_deployer;
SELECT revision FROM mig_apply();
SELECT tableowner FROM pg_tables WHERE tablename = 'sec_t';
-- a command event triggers do not report (REINDEX): drift tracking asks,
-- as the extension's owner, for the whole schema to be hashed at the
-- run's end, which the role may not write itself
SELECT count(*) FROM mig_register(ARRAY['2_reindex.sql'],
  ARRAY[E'-- migrate:up\nREINDEX TABLE sec_t;\n-- migrate:down\nSELECT 1;\n']);
SELECT revision FROM mig_apply();
SELECT count(*) AS pending FROM pgmig.snapshot_pending;
INSERT INTO pgmig.snapshot_pending VALUES (0, 0, false);
SELECT revision FROM mig_revert('1');
RESET ROLE;
SELECT mig_unregister(ARRAY['2']);

-- the audit log is append-only, even for its owner
UPDATE pgmig.events SET success = false;
DELETE FROM pgmig.events;
TRUNCATE pgmig.events;

-- a hostile search_path: a schema earlier in the path shadows = for text
CREATE SCHEMA evil;
CREATE FUNCTION evil.texteq_always(text, text) RETURNS boolean
  LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq_always);
CREATE TABLE evil.schema_migrations (id text);
SET search_path = evil, pg_catalog, public;
SELECT 'a'::text = 'b'::text AS shadowed;
SELECT mig_status();
SELECT revision FROM mig_revert('base');
SELECT count(*) AS applied FROM pgmig.schema_migrations;
SELECT revision, action FROM mig_register('1_t.sql',
  E'-- migrate:up\nCREATE TABLE sec_t (a int);\n-- migrate:down\nDROP TABLE sec_t;\n');
RESET search_path;

DROP SCHEMA evil CASCADE;
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
REVOKE CREATE ON SCHEMA public FROM pgmig_deployer;
DROP ROLE pgmig_nobody;
DROP ROLE pgmig_deployer;
