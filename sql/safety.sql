--
-- Production safety: the guard, schema fingerprints and drift, the
-- round-trip proof of down scripts (mig_verify), lock settings.
--
CREATE EXTENSION pgmig;
SET client_min_messages = notice;

SELECT * FROM mig_register(ARRAY['1_accounts.sql', '2_orders.sql'], ARRAY[
$$-- migrate:up
CREATE TABLE accounts (id bigint PRIMARY KEY, email text NOT NULL);
-- migrate:down
DROP TABLE accounts;
$$,
$$-- migrate:up
CREATE TABLE orders (id bigint PRIMARY KEY, account_id bigint REFERENCES accounts);
CREATE INDEX orders_account_idx ON orders (account_id);
-- migrate:down
DROP TABLE orders;
$$]);

--
-- The production guard
--
SELECT current_database() AS db \gset
ALTER DATABASE :"db" SET pgmig.environment = 'production';
\c
SHOW pgmig.environment;
SELECT mig_status();
SELECT * FROM mig_apply();
SELECT * FROM mig_stamp('1');
CALL mig_apply_each();
-- a dry run changes nothing, so it needs no confirmation
SELECT revision FROM mig_apply(dry_run => true);
SET pgmig.confirm = 'no';
SELECT * FROM mig_apply();
SET pgmig.confirm = 'yes';
SELECT revision FROM mig_apply('1');
SELECT revision FROM mig_revert('base');
RESET pgmig.confirm;
SELECT * FROM mig_revert('base');
ALTER DATABASE :"db" RESET pgmig.environment;
\c
SET client_min_messages = notice;
SELECT mig_status();

--
-- Fingerprints and drift
--
-- CREATE EXTENSION recorded the baseline
SELECT action, objects IS NOT NULL AS has_objects FROM pgmig.snapshots ORDER BY snapshot_id;
SELECT * FROM mig_drift();
SELECT revision FROM mig_apply();
SELECT action FROM pgmig.snapshots ORDER BY snapshot_id;
-- the latest snapshot's object map is kept as rows (snapshots recorded
-- at install or before 0.3.0 kept it in the row)
SELECT count(*) AS maps FROM pgmig.snapshots WHERE objects IS NOT NULL;
SELECT (SELECT jsonb_object_agg(key, hash) FROM pgmig.snapshot_objects) = pgmig.object_map()
  AS map_is_live;
SELECT fingerprint = mig_fingerprint() AS recorded_is_live
FROM pgmig.snapshots ORDER BY snapshot_id DESC LIMIT 1;
SELECT object FROM pgmig.schema_objects() ORDER BY object COLLATE "C";
SELECT mig_status();

-- data, statistics and vacuum are not drift
INSERT INTO accounts VALUES (1, 'a@example.com');
ANALYZE accounts;
VACUUM orders;
SELECT * FROM mig_drift();
-- drift is computed only after DDL outside pgmig, which an event trigger
-- notes; temporary objects do not count
SELECT schema_changed FROM pgmig.status_cache;
CREATE TEMP TABLE scratch (id int);
DROP TABLE scratch;
SELECT schema_changed FROM pgmig.status_cache;

-- out-of-band changes are
ALTER TABLE accounts ADD COLUMN phone text;
SELECT schema_changed FROM pgmig.status_cache;
DROP INDEX orders_account_idx;
CREATE FUNCTION account_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM accounts';
SELECT change, object FROM mig_drift();
SELECT mig_status();
-- so are changes to a column's type, a default, a constraint, a view
SELECT mig_fingerprint() AS fp_before \gset
ALTER TABLE accounts ALTER COLUMN phone SET DEFAULT '';
SELECT mig_fingerprint() <> :'fp_before' AS default_changes_fingerprint;
SELECT mig_fingerprint() AS fp_before \gset
ALTER TABLE accounts ADD CONSTRAINT email_has_at CHECK (email LIKE '%@%');
SELECT mig_fingerprint() <> :'fp_before' AS constraint_changes_fingerprint;
SELECT mig_fingerprint() AS fp_before \gset
CREATE OR REPLACE FUNCTION account_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) + 0 FROM accounts';
SELECT mig_fingerprint() <> :'fp_before' AS body_changes_fingerprint;
-- pgmig's own catalog is not part of it
SELECT mig_fingerprint() AS fp_before \gset
SELECT * FROM mig_register('3_note.sql', E'-- migrate:up\nSELECT 1;\n');
SELECT mig_fingerprint() = :'fp_before' AS catalog_not_fingerprinted;
-- the next run warns, then records the schema as it is
SELECT revision FROM mig_apply();
SELECT change, object FROM mig_drift();
SELECT mig_status();
-- a stamp records too
ALTER TABLE accounts DROP COLUMN phone;
DROP FUNCTION account_count();
SELECT * FROM mig_stamp('2');
SELECT change, object FROM mig_drift();
SELECT action FROM pgmig.snapshots ORDER BY snapshot_id DESC LIMIT 1;
-- and with pgmig.track_drift off, nothing is recorded or reported
SET pgmig.track_drift = off;
CREATE TABLE untracked (id int);
SELECT mig_status();
SELECT count(*) AS drift_rows FROM mig_drift();
SELECT count(*) AS snapshots_before FROM pgmig.snapshots \gset
SELECT * FROM mig_stamp('3');
SELECT count(*) = :snapshots_before AS none_recorded FROM pgmig.snapshots;
RESET pgmig.track_drift;
DROP TABLE untracked;
SELECT change, object FROM mig_drift();

--
-- mig_status() reads the line that pgmig keeps up to date; a change made
-- by hand clears it, and the line is computed from the catalog again
--
SELECT status AS kept_line FROM pgmig.status_cache \gset
SELECT :'kept_line' = mig_status() AS status_is_kept_line;
UPDATE pgmig.schema_migrations SET duration = duration WHERE id = '1';
SELECT status IS NULL AS cleared FROM pgmig.status_cache;
SELECT mig_status() = :'kept_line' AS computed_the_same;
DELETE FROM pgmig.schema_migrations WHERE id = '3';
SELECT mig_status();
SELECT * FROM mig_stamp('3');
SELECT status = mig_status() AS kept_again FROM pgmig.status_cache;

--
-- mig_verify: up, down, up of each revision, then everything rolled back
--
SELECT * FROM mig_register(ARRAY['4_good.sql', '5_leaves_index.sql', '6_after.sql'], ARRAY[
$$-- migrate:up
ALTER TABLE accounts ADD COLUMN name text;
-- migrate:down
ALTER TABLE accounts DROP COLUMN name;
$$,
$$-- migrate:up
CREATE INDEX accounts_email_idx ON accounts (email);
ALTER TABLE accounts ADD COLUMN active boolean NOT NULL DEFAULT true;
-- migrate:down
ALTER TABLE accounts DROP COLUMN active;
$$,
$$-- migrate:up
CREATE TABLE audit (id int);
-- migrate:down
DROP TABLE audit;
$$]);
SELECT mig_fingerprint() AS fp_before \gset
SELECT count(*) AS events_before FROM pgmig.events \gset
SELECT count(*) AS snapshots_before FROM pgmig.snapshots \gset
SELECT * FROM mig_verify();
-- nothing was left changed
SELECT mig_fingerprint() = :'fp_before' AS schema_unchanged;
SELECT to_regclass('audit') IS NULL AS no_audit_table;
SELECT count(*) = :events_before AS no_events FROM pgmig.events;
SELECT count(*) = :snapshots_before AS no_snapshots FROM pgmig.snapshots;
SELECT mig_status();
-- a target limits the check
SELECT revision, result FROM mig_verify('4');

-- a down script that fails is reported with its file and line
SELECT * FROM mig_register('5_leaves_index.sql', $$-- migrate:up
CREATE INDEX accounts_email_idx ON accounts (email);
-- migrate:down

DROP INDEX accounts_email_idx;
DROP TABLE no_such_table;
$$);
SELECT * FROM mig_verify();
-- an up script that fails too
SELECT * FROM mig_register('5_leaves_index.sql', $$-- migrate:up
CREATE INDEX accounts_email_idx ON accounts (emial);
-- migrate:down
DROP INDEX accounts_email_idx;
$$);
SELECT * FROM mig_verify();
-- an irreversible revision is checked up only, and the check goes on
SELECT * FROM mig_register('5_leaves_index.sql', $$-- migrate:up
CREATE INDEX accounts_email_idx ON accounts (email);
$$);
SELECT * FROM mig_verify();
-- a down script that drops too much
SELECT * FROM mig_register('5_leaves_index.sql', $$-- migrate:up
CREATE INDEX accounts_email_idx ON accounts (email);
-- migrate:down
DROP INDEX accounts_email_idx;
ALTER TABLE accounts DROP CONSTRAINT email_has_at;
$$);
SELECT * FROM mig_verify();
SELECT * FROM mig_register('5_leaves_index.sql', $$-- migrate:up
CREATE INDEX accounts_email_idx ON accounts (email);
-- migrate:down
DROP INDEX accounts_email_idx;
$$);
SELECT * FROM mig_verify();

-- redo: the applied revisions above the target go down, then round-trip
SELECT revision FROM mig_apply();
SELECT * FROM mig_verify('3', redo => true);
SELECT * FROM mig_verify('-1', redo => true);
SELECT mig_status();
-- a down script of an applied revision that drops too much, where the
-- round trip of its own up and down cannot see it
SELECT * FROM mig_register('6_after.sql', $$-- migrate:up
CREATE TABLE audit (id int);
-- migrate:down
DROP TABLE audit;
ALTER TABLE accounts DROP COLUMN IF EXISTS name;
$$);
SELECT * FROM mig_verify('-1', redo => true);
-- a down script of an applied revision that fails
SELECT * FROM mig_register('6_after.sql', $$-- migrate:up
CREATE TABLE audit (id int);
-- migrate:down
DROP TABLE audit_typo;
$$);
SELECT * FROM mig_verify('-1', redo => true);
SELECT mig_status();
-- a bad target is an error
SELECT * FROM mig_verify('99');
-- redo down to where the database is checks nothing
SELECT * FROM mig_verify('head', redo => true);

-- only the privileged may run scripts through it
CREATE ROLE pgmig_safety_reader;
SET ROLE pgmig_safety_reader;
SELECT * FROM mig_verify();
SELECT count(*) >= 0 AS can_read_drift FROM mig_drift();
RESET ROLE;
DROP ROLE pgmig_safety_reader;

--
-- Lock settings
--
SHOW pgmig.lock_timeout;
SHOW pgmig.lock_retries;
SHOW pgmig.lock_retry_delay;
SET pgmig.lock_timeout = -2;
SET pgmig.lock_retries = -1;
SELECT * FROM mig_register('7_bad_timeout.sql', $$-- pgmig:lock_timeout soon
-- migrate:up
SELECT 1;
$$);
SELECT * FROM mig_register('7_bad_timeout.sql', $$-- pgmig:lock_timeout 50ms
-- migrate:up
SELECT 1;
$$);
SELECT * FROM mig_unregister(ARRAY['7']);

SELECT * FROM mig_stamp('base');
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE orders, accounts, audit;
