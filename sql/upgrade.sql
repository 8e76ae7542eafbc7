--
-- The upgrade path: a database that used 0.1.0 keeps its history through
-- ALTER EXTENSION pgmig UPDATE, and gets the same objects as a fresh
-- install of the current version.
--
CREATE EXTENSION pgmig VERSION '0.1.0';
SELECT extversion FROM pg_extension WHERE extname = 'pgmig';
SELECT revision, action FROM mig_register(ARRAY['1_items.sql', '2_prices.sql'], ARRAY[
$$-- migrate:up
CREATE TABLE items (id int PRIMARY KEY);
-- migrate:down
DROP TABLE items;
$$,
$$-- migrate:up
ALTER TABLE items ADD COLUMN price numeric;
-- migrate:down
ALTER TABLE items DROP COLUMN price;
$$]);
SELECT revision FROM mig_apply('1');
-- a deploy role with the grants 0.1.0 needed
CREATE ROLE pgmig_upgrade_deployer;
GRANT SELECT, INSERT, UPDATE, DELETE ON pgmig.revisions, pgmig.schema_migrations
  TO pgmig_upgrade_deployer;
-- settings that any role could make before 0.3.0 and that lift a
-- protection: the update names them
SELECT current_database() AS db \gset
ALTER ROLE pgmig_upgrade_deployer SET pgmig.track_drift = off;
ALTER ROLE pgmig_upgrade_deployer IN DATABASE :"db" SET pgmig.environment = 'staging';
ALTER DATABASE :"db" SET pgmig.track_drift = on;

ALTER EXTENSION pgmig UPDATE;
ALTER DATABASE :"db" RESET pgmig.track_drift;
-- it gets what 0.2.0 needs
SELECT has_table_privilege('pgmig_upgrade_deployer', 'pgmig.snapshots', 'INSERT') AS snapshots,
	   has_table_privilege('pgmig_upgrade_deployer', 'pgmig.status_cache', 'UPDATE') AS status_cache,
	   has_function_privilege('pgmig_upgrade_deployer', 'pgmig.record_snapshot(text)', 'EXECUTE') AS record;
-- and what 0.3.0 adds to every run (the note of a run in progress), and
-- loading a schema file for autogenerate
SELECT has_table_privilege('pgmig_upgrade_deployer', 'pgmig.runs', 'INSERT') AS runs,
	   has_function_privilege('pgmig_upgrade_deployer', 'pgmig.run_begin(text, text)', 'EXECUTE') AS run_begin,
	   has_function_privilege('pgmig_upgrade_deployer', 'pgmig.load_schema(text, text, boolean)', 'EXECUTE') AS load_schema,
	   has_function_privilege('pgmig_upgrade_deployer', 'pgmig.load_schema_each(text[], text[], boolean)', 'EXECUTE') AS load_schema_each,
	   has_function_privilege('pgmig_upgrade_deployer', 'pgmig.update_map(boolean)', 'EXECUTE') AS update_map,
	   has_function_privilege('pgmig_upgrade_deployer', 'pgmig.record_unrecorded()', 'EXECUTE') AS record_unrecorded,
	   has_function_privilege('pgmig_upgrade_deployer', 'pgmig.import(text[], text)', 'EXECUTE') AS import;
-- and Flyway's repeatable migrations
SELECT has_table_privilege('pgmig_upgrade_deployer', 'pgmig.repeatables', 'UPDATE') AS repeatables,
	   has_function_privilege('pgmig_upgrade_deployer', 'mig_apply_repeatables()', 'EXECUTE') AS apply_repeatables,
	   has_function_privilege('pgmig_upgrade_deployer', 'pgmig.import_repeatables(text[], text)', 'EXECUTE') AS import_repeatables;
REVOKE ALL ON ALL TABLES IN SCHEMA pgmig FROM pgmig_upgrade_deployer;
REVOKE ALL ON FUNCTION pgmig.record_snapshot(text), pgmig.run_begin(text, text), pgmig.run_end(),
  pgmig.load_schema(text, text, boolean), pgmig.update_map(boolean), pgmig.record_unrecorded(),
  pgmig.import(text[], text), mig_apply_repeatables(), pgmig.import_repeatables(text[], text)
  FROM pgmig_upgrade_deployer;
REVOKE ALL ON PROCEDURE pgmig.load_schema_each(text[], text[], boolean) FROM pgmig_upgrade_deployer;
DROP ROLE pgmig_upgrade_deployer;
SELECT extversion FROM pg_extension WHERE extname = 'pgmig';

-- the history is kept
SELECT id, method, state FROM pgmig.schema_migrations;
SELECT action, revision, success FROM mig_history();
SELECT mig_status();
-- the update recorded the schema as it was: no drift
SELECT action FROM pgmig.snapshots;
SELECT change, object FROM mig_drift();
-- the new functions work on the old data
SELECT revision, result FROM mig_verify();
SELECT revision FROM mig_apply();
SELECT revision, result FROM mig_verify('base', redo => true);
SELECT mig_status();
-- pg_dump keeps the catalog
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'pgmig' ORDER BY 1::text;

-- the members of an updated extension and of a fresh install are the same
CREATE TEMP TABLE updated AS
SELECT pg_describe_object(classid, objid, objsubid) AS member
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgmig');
SELECT revision FROM mig_revert('base');
-- the updated extension keeps its history from DROP EXTENSION too
DROP EXTENSION pgmig;
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
RESET pgmig.allow_drop;
CREATE EXTENSION pgmig;
SELECT extversion FROM pg_extension WHERE extname = 'pgmig';
CREATE TEMP TABLE fresh AS
SELECT pg_describe_object(classid, objid, objsubid) AS member
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pgmig');
SELECT count(*) > 30 AS many_members FROM fresh;
(SELECT * FROM updated EXCEPT SELECT * FROM fresh)
UNION ALL
(SELECT * FROM fresh EXCEPT SELECT * FROM updated);

DROP EXTENSION pgmig;
