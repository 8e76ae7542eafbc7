--
-- Drift tracking keeps the latest snapshot's map from what DDL touched
-- (issue 14).  With pgmig.check_map, every update of the map is compared
-- with the whole schema, and a difference fails the run: each revision
-- below is a kind of DDL the map must follow.  Which updates hash only
-- what was touched shows in the map's rows: a full update rewrites them
-- all, an incremental one leaves the row of an object nobody touched.
--
SET pgmig.check_map = on;
CREATE ROLE dm_role;
CREATE SCHEMA dm;
CREATE TYPE dm.mood AS ENUM ('sad', 'ok');
CREATE DOMAIN dm.pos AS int CONSTRAINT pos_check CHECK (VALUE > 0);
CREATE TYPE dm.pair AS (a int, b text);
CREATE TYPE dm.span AS RANGE (subtype = int4);
CREATE TABLE dm.parent (id int PRIMARY KEY, m dm.mood DEFAULT 'ok', p dm.pos, CHECK (id > 0));
CREATE TABLE dm.child (id serial PRIMARY KEY, parent_id int REFERENCES dm.parent,
					   x dm.pair, moods dm.mood[]);
CREATE INDEX child_parent ON dm.child (parent_id);
CREATE VIEW dm.v AS SELECT c.id, p.m FROM dm.child c JOIN dm.parent p ON p.id = c.parent_id;
CREATE MATERIALIZED VIEW dm.mv AS SELECT count(*) AS n FROM dm.parent;
CREATE FUNCTION dm.f(p dm.parent) RETURNS int LANGUAGE sql AS 'SELECT p.id';
CREATE FUNCTION dm.trg() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
CREATE TRIGGER t BEFORE INSERT ON dm.child FOR EACH ROW EXECUTE FUNCTION dm.trg();
ALTER TABLE dm.child ENABLE ROW LEVEL SECURITY;
CREATE POLICY pol ON dm.child USING (id > 0);
CREATE RULE r AS ON UPDATE TO dm.v DO INSTEAD NOTHING;
CREATE TABLE dm.part (k int, v text) PARTITION BY RANGE (k);
CREATE TABLE dm.part1 PARTITION OF dm.part FOR VALUES FROM (0) TO (10);
CREATE INDEX ON dm.part (k);
CREATE SEQUENCE dm.s;
CREATE TABLE dm.idt (id int GENERATED ALWAYS AS IDENTITY, n int DEFAULT nextval('dm.s'));
CREATE AGGREGATE dm.agg(int) (sfunc = int4pl, stype = int);
CREATE SCHEMA dm_aside;
CREATE TABLE dm_aside.bystander (a int);
GRANT SELECT ON dm.parent TO PUBLIC;

-- 0.2.0 hashed every object as 0.3.0 does: a database updated to 0.3.0
-- keeps its baseline, and shows no drift
CREATE EXTENSION pgmig VERSION '0.2.0';
ALTER EXTENSION pgmig UPDATE;
SELECT * FROM mig_drift();

-- the row of dm_aside.bystander in the map, which no revision touches:
-- rewritten only by a full update
CREATE FUNCTION pg_temp.bystander() RETURNS text LANGUAGE sql
AS $$ SELECT coalesce((SELECT xmin::text FROM pgmig.snapshot_objects
					  WHERE key = 'table dm_aside.bystander'), 'none') $$;
-- was the last update incremental?
CREATE TEMP TABLE last_seen AS SELECT pg_temp.bystander() AS x;
CREATE FUNCTION pg_temp.incremental() RETURNS boolean LANGUAGE sql AS $$
	WITH prev AS (SELECT x FROM last_seen),
		 seen AS (UPDATE last_seen SET x = pg_temp.bystander() RETURNING x)
	SELECT (SELECT x FROM prev) = (SELECT x FROM seen)
$$;
-- after each run: nothing pending, the map is the schema's, and the
-- fingerprint recorded is the live one
CREATE FUNCTION pg_temp.map_state() RETURNS TABLE (pending bigint, map_is_live boolean, fingerprint_is_live boolean)
LANGUAGE sql AS $$
	SELECT (SELECT count(*) FROM pgmig.snapshot_pending),
		   (SELECT jsonb_object_agg(key, hash) FROM pgmig.snapshot_objects) = pgmig.object_map(),
		   (SELECT fingerprint FROM pgmig.snapshots ORDER BY snapshot_id DESC LIMIT 1) = mig_fingerprint()
$$;

-- one revision per kind of DDL
SELECT count(*) AS registered FROM mig_register(ARRAY[
	'01_first.sql', '02_rename_table.sql', '03_rename_column.sql', '04_rename_types.sql',
	'05_rename_index_constraint.sql', '06_rename_function_sequence.sql', '07_set_schema.sql',
	'08_owner_grants.sql', '09_partitions.sql', '10_alter_type.sql', '11_drops.sql',
	'12_domains_enums.sql', '13_other.sql', '14_each_a.sql', '15_each_b.sql'], ARRAY[
$$-- migrate:up
CREATE TABLE dm.n1 (a int);
$$,
$$-- migrate:up
ALTER TABLE dm.parent RENAME TO parent2;
$$,
$$-- migrate:up
ALTER TABLE dm.parent2 RENAME COLUMN m TO mood;
$$,
$$-- migrate:up
ALTER TYPE dm.mood RENAME TO feeling;
ALTER TYPE dm.feeling RENAME VALUE 'ok' TO 'fine';
ALTER DOMAIN dm.pos RENAME TO positive;
ALTER TYPE dm.pair RENAME TO couple;
ALTER TYPE dm.couple ADD ATTRIBUTE c int;
ALTER TYPE dm.span RENAME TO span2;
$$,
$$-- migrate:up
ALTER INDEX dm.child_parent RENAME TO child_parent_idx;
ALTER TABLE dm.child RENAME CONSTRAINT child_pkey TO child_pk;
ALTER TABLE dm.parent2 RENAME CONSTRAINT parent_id_check TO id_positive;
$$,
$$-- migrate:up
ALTER FUNCTION dm.trg() RENAME TO trg2;
ALTER SEQUENCE dm.s RENAME TO s2;
ALTER AGGREGATE dm.agg(int) RENAME TO agg2;
$$,
$$-- migrate:up
CREATE SCHEMA dm2;
ALTER TABLE dm.child SET SCHEMA dm2;
ALTER TYPE dm.feeling SET SCHEMA dm2;
ALTER FUNCTION dm.f(dm.parent2) SET SCHEMA dm2;
$$,
$$-- migrate:up
ALTER TABLE dm2.child OWNER TO dm_role;
GRANT SELECT ON ALL TABLES IN SCHEMA dm TO dm_role;
GRANT USAGE ON SCHEMA dm TO dm_role;
GRANT EXECUTE ON FUNCTION dm2.f(dm.parent2) TO dm_role;
REVOKE SELECT ON dm.parent2 FROM PUBLIC;
GRANT USAGE ON TYPE dm.positive TO dm_role;
GRANT USAGE ON SEQUENCE dm.s2 TO dm_role;
$$,
$$-- migrate:up
CREATE TABLE dm.part2 (k int, v text);
ALTER TABLE dm.part ATTACH PARTITION dm.part2 FOR VALUES FROM (10) TO (20);
ALTER TABLE dm.part DETACH PARTITION dm.part1;
ALTER TABLE dm.part ADD COLUMN w int;
$$,
$$-- migrate:up
CREATE INDEX idt_n ON dm.idt (n);
ALTER TABLE dm.idt ALTER COLUMN n TYPE bigint;
ALTER TABLE dm.idt ALTER COLUMN id SET GENERATED BY DEFAULT;
$$,
$$-- migrate:up
DROP VIEW dm.v;
ALTER TABLE dm2.child ALTER COLUMN parent_id TYPE bigint;
ALTER TABLE dm2.child DROP COLUMN x;
DROP TRIGGER t ON dm2.child;
DROP POLICY pol ON dm2.child;
ALTER TABLE dm.parent2 ALTER COLUMN mood DROP DEFAULT;
DROP TYPE dm.couple;
DROP TABLE dm.parent2 CASCADE;
$$,
$$-- migrate:up
ALTER DOMAIN dm.positive ADD CONSTRAINT small CHECK (VALUE < 1000);
ALTER DOMAIN dm.positive DROP CONSTRAINT pos_check;
ALTER TYPE dm2.feeling ADD VALUE 'great';
$$,
$$-- migrate:up
CREATE MATERIALIZED VIEW dm.mv2 AS SELECT 1 AS one;
REFRESH MATERIALIZED VIEW dm.mv2;
COMMENT ON TABLE dm.idt IS 'identities';
ALTER SEQUENCE dm.s2 INCREMENT BY 5;
CREATE UNLOGGED TABLE dm.u (a int);
ALTER TABLE dm.u SET LOGGED;
CREATE TABLE dm.tmp_like (LIKE dm.idt INCLUDING ALL);
DO $do$ BEGIN EXECUTE 'CREATE TABLE dm.from_do (a int)'; END $do$;
$$,
$$-- migrate:up
CREATE TABLE dm.each_a (a int);
$$,
$$-- migrate:up
ALTER TABLE dm.each_a RENAME TO each_b;
$$]);

-- the first run after the update hashes everything (the map is new);
-- each of the others only what it touched
SELECT revision, pg_temp.incremental() FROM mig_apply('01');
SELECT * FROM pg_temp.map_state();
SELECT revision, pg_temp.incremental() FROM mig_apply('02');
SELECT revision, pg_temp.incremental() FROM mig_apply('03');
SELECT revision, pg_temp.incremental() FROM mig_apply('04');
SELECT revision, pg_temp.incremental() FROM mig_apply('05');
SELECT revision, pg_temp.incremental() FROM mig_apply('06');
SELECT revision, pg_temp.incremental() FROM mig_apply('07');
SELECT revision, pg_temp.incremental() FROM mig_apply('08');
SELECT revision, pg_temp.incremental() FROM mig_apply('09');
SELECT revision, pg_temp.incremental() FROM mig_apply('10');
SELECT revision, pg_temp.incremental() FROM mig_apply('11');
SELECT revision, pg_temp.incremental() FROM mig_apply('12');
SELECT revision, pg_temp.incremental() FROM mig_apply('13');
SELECT * FROM pg_temp.map_state();
-- a transaction per revision: the map follows each, the snapshot is one
SELECT count(*) AS snapshots FROM pgmig.snapshots \gset
SET client_min_messages = warning;
CALL mig_apply_each();
RESET client_min_messages;
SELECT pg_temp.incremental();
SELECT count(*) - :snapshots AS snapshots_recorded FROM pgmig.snapshots;
SELECT * FROM pg_temp.map_state();

-- a revision that fails leaves nothing pending
SELECT count(*) AS registered FROM mig_register(ARRAY['16_fails.sql'], ARRAY[
$$-- migrate:up
CREATE TABLE dm.doomed (a int);
SELECT 1 / 0;
$$]);
SELECT revision FROM mig_apply('16');
SELECT count(*) AS pending FROM pgmig.snapshot_pending;
SELECT mig_unregister(ARRAY['16']);

-- what the event triggers cannot show makes the next update a full one:
-- a command they do not report, DDL while they do not fire, a role renamed
SELECT count(*) AS registered FROM mig_register(ARRAY[
	'17_event_trigger.sql', '18_replica.sql', '19_role_rename.sql'], ARRAY[
$$-- migrate:up
CREATE FUNCTION dm.et() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
CREATE EVENT TRIGGER dm_et ON ddl_command_start EXECUTE FUNCTION dm.et();
$$,
$$-- migrate:up
SET LOCAL session_replication_role = replica;
CREATE TABLE dm.unseen (a int);
SET LOCAL session_replication_role = origin;
$$,
$$-- migrate:up
ALTER ROLE dm_role RENAME TO dm_role2;
$$]);
SELECT revision, pg_temp.incremental() FROM mig_apply('17');
SELECT revision, pg_temp.incremental() FROM mig_apply('18');
SELECT revision, pg_temp.incremental() FROM mig_apply('19');
SELECT * FROM pg_temp.map_state();
DROP EVENT TRIGGER dm_et;

-- DDL outside pgmig is drift: reported, then taken in by the next run
-- (a full update)
CREATE TABLE dm.outside (a int);
SELECT change, object FROM mig_drift();
SELECT count(*) AS registered FROM mig_register(ARRAY['20_after_outside.sql'], ARRAY[
$$-- migrate:up
CREATE TABLE dm.n20 (a int);
$$]);
SELECT revision, pg_temp.incremental() FROM mig_apply('20');
SELECT change, object FROM mig_drift();
SELECT * FROM pg_temp.map_state();

-- with drift tracking off, DDL leaves the map out of date: drift shows
-- the change once tracking is on again, and the next run takes it in
SELECT count(*) AS registered FROM mig_register(ARRAY['21_untracked.sql', '22_tracked.sql'], ARRAY[
$$-- migrate:up
CREATE TABLE dm.untracked (a int);
$$,
$$-- migrate:up
CREATE TABLE dm.tracked (a int);
$$]);
SET pgmig.track_drift = off;
SELECT revision, pg_temp.incremental() FROM mig_apply('21');
SELECT map_valid FROM pgmig.status_cache;
RESET pgmig.track_drift;
SELECT change, object FROM mig_drift();
SELECT revision, pg_temp.incremental() FROM mig_apply('22');
SELECT change, object FROM mig_drift();
SELECT * FROM pg_temp.map_state();

-- a stamp records a snapshot too
SELECT count(*) AS snapshots FROM pgmig.snapshots \gset
SELECT revision FROM mig_stamp('21');
SELECT count(*) - :snapshots AS snapshots_recorded FROM pgmig.snapshots;

SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP SCHEMA dm, dm2, dm_aside CASCADE;
DROP ROLE dm_role2;
