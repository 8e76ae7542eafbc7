-- pgmig.load_schema(): a schema file's statements run one by one in the
-- caller's transaction, with the caller's rights; errors name the file and
-- the line.
CREATE EXTENSION pgmig;

-- pg_dump --schema-only output loads as it is.  Ownership and privileges
-- are skipped (the role does not exist here), and so are the \restrict
-- lines; SET and set_config() end with the file.
SELECT pgmig.load_schema('schema.sql', $dump$\restrict Zx81bq7Lkj2
--
-- PostgreSQL database dump
--

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

CREATE SCHEMA shop;
ALTER SCHEMA shop OWNER TO pgmig_no_such_role;

CREATE EXTENSION IF NOT EXISTS plpgsql WITH SCHEMA pg_catalog;
COMMENT ON EXTENSION plpgsql IS 'PL/pgSQL procedural language';

SET default_tablespace = '';
SET default_table_access_method = heap;

-- check_function_bodies is off: the function may precede its table
CREATE FUNCTION shop.item_count() RETURNS bigint
    LANGUAGE sql
    AS $$SELECT count(*) FROM shop.items$$;
ALTER FUNCTION shop.item_count() OWNER TO pgmig_no_such_role;

CREATE TABLE shop.items (
    id integer NOT NULL,
    name text
);
ALTER TABLE shop.items OWNER TO pgmig_no_such_role;
ALTER TABLE ONLY shop.items
    ADD CONSTRAINT items_pkey PRIMARY KEY (id);
REVOKE ALL ON SCHEMA shop FROM PUBLIC;
GRANT SELECT ON TABLE shop.items TO pgmig_no_such_role;
ALTER DEFAULT PRIVILEGES FOR ROLE pgmig_no_such_role IN SCHEMA shop GRANT SELECT ON TABLES TO pgmig_no_such_role;
SET SESSION AUTHORIZATION pgmig_no_such_role;
RESET SESSION AUTHORIZATION;

--
-- PostgreSQL database dump complete
--

\unrestrict Zx81bq7Lkj2
$dump$) AS ran;
SELECT kind, id FROM pgmig.describe() WHERE id LIKE '%shop%' ORDER BY id COLLATE "C";
SELECT has_schema_privilege('public', 'shop', 'USAGE') AS public_usage,
	   tableowner = current_user AS owned_by_me
  FROM pg_tables WHERE schemaname = 'shop';
-- the settings are the caller's again
SHOW search_path;
SHOW check_function_bodies;
SHOW client_min_messages;

-- the statements run with the caller's search_path, in its transaction
SET search_path = shop, public;
BEGIN;
SELECT pgmig.load_schema('more.sql', $f$
CREATE TABLE orders (id integer PRIMARY KEY, item_id integer REFERENCES items);
SET LOCAL search_path = pg_catalog;
SET check_function_bodies = off;
$f$) AS ran;
SELECT to_regclass('shop.orders') AS created;
SHOW search_path;
SHOW check_function_bodies;
ROLLBACK;
SELECT to_regclass('shop.orders') AS rolled_back;
RESET search_path;

-- with privileges, ownership and grants run: a role that does not exist
-- is an error at its line
SELECT pgmig.load_schema('owned.sql', $f$CREATE TABLE shop.owned (a integer);

ALTER TABLE shop.owned OWNER TO pgmig_no_such_role;
$f$, privileges => true);
SELECT to_regclass('shop.owned') AS nothing_left;
CREATE ROLE pgmig_load_owner;
SELECT pgmig.load_schema('owned.sql', $f$CREATE TABLE shop.owned (a integer);
ALTER TABLE shop.owned OWNER TO pgmig_load_owner;
GRANT SELECT ON shop.owned TO PUBLIC;
$f$, privileges => true) AS ran;
SELECT tableowner FROM pg_tables WHERE tablename = 'owned';
SELECT has_table_privilege('public', 'shop.owned', 'SELECT') AS granted;

-- errors name the file and the line, the \restrict line counted
SELECT pgmig.load_schema('broken.sql', $f$\restrict k1
CREATE TABLE shop.fine (a integer);

CREATE TABLE shop.broken (
  a integer,
  b intt erger
);
$f$);
SELECT pgmig.load_schema('broken.sql', $f$CREATE TABLE shop.fine (a integer);
-- a comment
INSERT INTO shop.missing VALUES (1);
$f$);
SELECT to_regclass('shop.fine') AS nothing_left;
SELECT pgmig.load_schema('broken.sql', $f$CREATE TABLE shop.fine (a integer;$f$);
SELECT pgmig.load_schema('broken.sql', $f$CREATE TABLE shop.fine (a text DEFAULT 'unterminated);
$f$);

-- what a schema file may not hold, refused before anything runs
SELECT pgmig.load_schema('tx.sql', $f$CREATE TABLE shop.t1 (a integer);
BEGIN;
CREATE TABLE shop.t2 (a integer);
COMMIT;
$f$);
SELECT pgmig.load_schema('cic.sql', $f$CREATE TABLE shop.t1 (a integer);
CREATE INDEX CONCURRENTLY t1_a ON shop.t1 (a);
$f$);
SELECT pgmig.load_schema('vacuum.sql', $f$VACUUM shop.items;$f$);
SELECT pgmig.load_schema('db.sql', $f$CREATE DATABASE pgmig_other;$f$);
SELECT pgmig.load_schema('role.sql', $f$CREATE ROLE pgmig_other;$f$);
SELECT pgmig.load_schema('role.sql', $f$ALTER ROLE pgmig_load_owner SET work_mem = '1MB';$f$);
SELECT pgmig.load_schema('copy.sql', $f$COPY shop.items FROM STDIN;$f$);
SELECT to_regclass('shop.t1') AS nothing_ran;
-- psql meta-commands: only pg_dump's \restrict lines, at a line's start
SELECT pgmig.load_schema('meta.sql', $f$CREATE TABLE shop.t1 (a integer);
\connect other
$f$);
SELECT pgmig.load_schema('meta.sql', $f$SELECT 1; \restrict k2
$f$);
SELECT pgmig.load_schema('meta.sql', $f$\restrict
SELECT 1;
$f$);
-- in a quoted body, a \restrict line is the body's text
SELECT pgmig.load_schema('quoted.sql', $f$CREATE FUNCTION shop.f() RETURNS text LANGUAGE sql AS $$SELECT '
\restrict k3
'$$;
$f$) AS ran;
SELECT shop.f() AS body;

-- nothing to run
SELECT pgmig.load_schema('empty.sql', '') AS ran;
SELECT pgmig.load_schema('empty.sql', E'-- nothing\n\n/* at all */\n') AS ran;
SELECT pgmig.load_schema('empty.sql', E'\\restrict k4\n\\unrestrict k4\n') AS ran;
SELECT pgmig.load_schema('null.sql', NULL) IS NULL AS strict;

-- it runs with the caller's rights, and only roles granted it may call it
SELECT p.prosecdef, has_function_privilege('public', p.oid, 'EXECUTE') AS public_execute
  FROM pg_proc p WHERE p.oid = 'pgmig.load_schema(text, text, boolean)'::regprocedure;
CREATE ROLE pgmig_load_caller;
SET ROLE pgmig_load_caller;
SELECT pgmig.load_schema('denied.sql', 'CREATE TABLE shop.t3 (a integer)');
RESET ROLE;
GRANT EXECUTE ON FUNCTION pgmig.load_schema(text, text, boolean) TO pgmig_load_caller;
GRANT USAGE ON SCHEMA shop TO pgmig_load_caller;
SET ROLE pgmig_load_caller;
SELECT pgmig.load_schema('denied.sql', 'CREATE TABLE shop.t3 (a integer)');
RESET ROLE;

-- CALL pgmig.load_schema_each(): files in order, a transaction per
-- statement, RESET ALL after each file
CALL pgmig.load_schema_each(ARRAY['each1.sql', 'each2.sql'], ARRAY[
$f$SET search_path = shop;
CREATE TYPE mood AS ENUM ('sad');
ALTER TYPE mood ADD VALUE 'happy';
CREATE TABLE feelings (m mood DEFAULT 'happy');
$f$, $f$CREATE TABLE after_reset (a integer);
$f$]);
SELECT pg_get_expr(adbin, adrelid) FROM pg_attrdef WHERE adrelid = 'shop.feelings'::regclass;
SELECT to_regclass('public.after_reset') IS NOT NULL AS in_public, to_regclass('shop.after_reset') IS NULL AS not_in_shop;
SHOW search_path;
DROP TABLE public.after_reset;
-- the same in one transaction: the new enum value cannot be used yet
SELECT pgmig.load_schema('each1.sql', $f$SET search_path = shop;
CREATE TYPE mood2 AS ENUM ('sad');
ALTER TYPE mood2 ADD VALUE 'happy';
CREATE TABLE feelings2 (m mood2 DEFAULT 'happy');
$f$);
-- a failing statement: the ones before it stay, the error names file and line
CALL pgmig.load_schema_each(ARRAY['ok.sql', 'bad.sql'],
  ARRAY[E'CREATE TABLE shop.each_ok (a integer);\n', E'CREATE TABLE shop.each_kept (a integer);\n\nCREATE TABLE shop.each_bad (a nosuchtype);\n']);
SELECT to_regclass('shop.each_ok') IS NOT NULL AS ok, to_regclass('shop.each_kept') IS NOT NULL AS kept,
       to_regclass('shop.each_bad') IS NULL AS bad_absent;
-- not in a transaction block, not with bad arrays
BEGIN;
CALL pgmig.load_schema_each(ARRAY['tx.sql'], ARRAY['SELECT 1']);
ROLLBACK;
CALL pgmig.load_schema_each(ARRAY['a.sql', 'b.sql'], ARRAY['SELECT 1']);
CALL pgmig.load_schema_each(NULL, ARRAY['SELECT 1']);
CALL pgmig.load_schema_each(ARRAY[NULL], ARRAY['SELECT 1']);
SELECT has_function_privilege('public', 'pgmig.load_schema_each(text[], text[], boolean)', 'EXECUTE') AS public_execute;

SET client_min_messages = warning;
DROP SCHEMA shop CASCADE;
RESET client_min_messages;
REVOKE EXECUTE ON FUNCTION pgmig.load_schema(text, text, boolean) FROM pgmig_load_caller;
DROP ROLE pgmig_load_caller;
DROP ROLE pgmig_load_owner;
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
