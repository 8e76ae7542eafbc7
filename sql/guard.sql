--
-- Guard: what only pgmig's administrators may switch off or erase.
-- pgmig.environment, pgmig.track_drift and pgmig.allow_drop are superuser
-- settings; the confirmation and the lock settings are the session's own.
--
CREATE EXTENSION pgmig;
SET client_min_messages = warning;
SELECT current_database() AS db,
	   format('dbname=%s user=%s', current_database(), current_user) AS as_admin \gset
CREATE ROLE pgmig_guard_user LOGIN;
CREATE SCHEMA guard_own AUTHORIZATION pgmig_guard_user;
GRANT EXECUTE ON FUNCTION mig_apply(text, boolean) TO pgmig_guard_user;
SELECT * FROM mig_register('1_guard.sql', $$-- migrate:up
CREATE TABLE guard_t (id int);
-- migrate:down
DROP TABLE guard_t;
$$);
SELECT revision FROM mig_apply();

-- who may set what
SELECT name, context FROM pg_settings WHERE name LIKE 'pgmig.%' ORDER BY name;

-- a role without the privilege can neither stop drift tracking nor lift
-- the production guard, in the session, a transaction or its own defaults
SET ROLE pgmig_guard_user;
SET pgmig.track_drift = off;
SET pgmig.environment = 'staging';
BEGIN;
SET LOCAL pgmig.environment = 'staging';
ROLLBACK;
ALTER ROLE pgmig_guard_user SET pgmig.track_drift = off;
ALTER ROLE pgmig_guard_user SET pgmig.environment = 'staging';
-- it confirms, and chooses its lock settings, as the client does
SET pgmig.confirm = 'yes';
SET pgmig.lock_timeout = '2s';
SET pgmig.lock_retries = 1;
SET pgmig.lock_retry_delay = '10ms';
SHOW pgmig.confirm;
RESET ROLE;
RESET pgmig.confirm;
RESET pgmig.lock_timeout;
RESET pgmig.lock_retries;
RESET pgmig.lock_retry_delay;

-- A value set in a session before the library is loaded is a placeholder;
-- PostgreSQL discards it with a warning when the library defines the
-- setting.  The event trigger loads the library and notes the DDL.
SELECT schema_changed FROM pgmig.status_cache;
\c - pgmig_guard_user
SET pgmig.track_drift = off;
SHOW pgmig.track_drift;
CREATE TABLE guard_own.hidden (id int);
SHOW pgmig.track_drift;
SELECT schema_changed FROM pgmig.status_cache;
DROP TABLE guard_own.hidden;

-- the same for the production guard, in a transaction
\c :as_admin
ALTER DATABASE :"db" SET pgmig.environment = 'production';
\c - pgmig_guard_user
BEGIN;
SET LOCAL pgmig.environment = 'staging';
SHOW pgmig.environment;
SELECT * FROM mig_apply();
ROLLBACK;

-- and given at connection start (PGOPTIONS): the value the database
-- stores stays in force
SELECT format('dbname=%s user=pgmig_guard_user options=''-c pgmig.environment=staging''',
			  current_database()) AS with_options \gset
\c :with_options
SHOW pgmig.environment;
SELECT * FROM mig_apply();
SHOW pgmig.environment;

-- a superuser may still set them
\c :as_admin
SET client_min_messages = warning;
SHOW pgmig.environment;
SET pgmig.environment = 'staging';
SET pgmig.track_drift = off;
RESET pgmig.environment;
RESET pgmig.track_drift;
ALTER DATABASE :"db" RESET pgmig.environment;
\c :as_admin

-- and may let a role set them (PostgreSQL 15 and later)
GRANT SET ON PARAMETER pgmig.track_drift TO pgmig_guard_user;
SET ROLE pgmig_guard_user;
SET pgmig.track_drift = off;
SHOW pgmig.track_drift;
RESET pgmig.track_drift;
RESET ROLE;
REVOKE SET ON PARAMETER pgmig.track_drift FROM pgmig_guard_user;

--
-- The drop guard: DROP EXTENSION pgmig, or a command that would drop it
-- with it, is refused while the catalog holds history (applied revisions,
-- events), unless pgmig.allow_drop confirms it.  The event trigger fires
-- for three command tags only.
--
SELECT evtevent, evttags FROM pg_event_trigger WHERE evtname = 'pgmig_drop_guard';
DROP EXTENSION pgmig;
DROP EXTENSION pgmig CASCADE;
DROP EXTENSION IF EXISTS guard_no_such_extension, pgmig;
DO $$ BEGIN EXECUTE 'DROP EXTENSION pgmig'; END $$;
-- the schema the extension is in, dropped with CASCADE, would drop it
BEGIN;
DROP SCHEMA public CASCADE;
ROLLBACK;
-- pgmig's own schema cannot be dropped by itself at all
BEGIN;
DROP SCHEMA pgmig CASCADE;
ROLLBACK;
-- a hostile search_path changes nothing
CREATE SCHEMA guard_evil;
CREATE TABLE guard_evil.schema_migrations (id text);
CREATE TABLE guard_evil.events (id int);
SET search_path = guard_evil, public;
DROP EXTENSION pgmig;
RESET search_path;
DROP SCHEMA guard_evil CASCADE;
-- unapplying everything leaves the audit log
SELECT * FROM mig_stamp('base');
DROP EXTENSION pgmig;
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
RESET pgmig.allow_drop;
DROP TABLE guard_t;

-- an extension without history drops as before
CREATE EXTENSION pgmig;
SELECT * FROM mig_register('1_guard.sql', E'-- migrate:up\nSELECT 1;\n');
DROP EXTENSION pgmig;

-- installed by another superuser, in a schema that a role without
-- privileges owns: DROP OWNED BY either of them would drop it
CREATE ROLE pgmig_guard_admin SUPERUSER;
CREATE SCHEMA guard_tools AUTHORIZATION pgmig_guard_user;
SET ROLE pgmig_guard_admin;
CREATE EXTENSION pgmig SCHEMA guard_tools;
RESET ROLE;
SELECT * FROM guard_tools.mig_register('1_guard.sql', E'-- migrate:up\nSELECT 1;\n');
SELECT revision FROM guard_tools.mig_apply();
BEGIN;
DROP OWNED BY pgmig_guard_admin;
ROLLBACK;
SET ROLE pgmig_guard_user;
DROP SCHEMA guard_tools CASCADE;
DROP OWNED BY pgmig_guard_user CASCADE;
-- without CASCADE PostgreSQL refuses it
DROP OWNED BY pgmig_guard_user;
-- commands it may not run at all are left to PostgreSQL to refuse
DROP EXTENSION pgmig;
DROP OWNED BY pgmig_guard_admin;
-- and only an administrator may confirm
SET pgmig.allow_drop = on;
RESET ROLE;

-- the confirmation may come before the library is loaded in the session
\c :as_admin
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP SCHEMA guard_own, guard_tools;
DROP ROLE pgmig_guard_user, pgmig_guard_admin;
