-- The happy path: install, register, plan, apply, status, revert, stamp.
CREATE EXTENSION pgmig;

-- the catalog lives in schema pgmig; the functions people call do not
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'pgmig' AND c.relkind = 'r' ORDER BY 1;
SELECT p.proname, n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.proname LIKE 'mig\_%' ORDER BY 1, 2;

-- a user table of the same name does not collide
CREATE TABLE public.schema_migrations (version text);

SELECT mig_status();

SELECT * FROM mig_register(
  ARRAY['20240101120000_create_customers.sql',
        '20240102120000_create_orders.sql',
        '20240103120000_backfill.sql'],
  ARRAY[
$f$-- migrate:up
CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        email text NOT NULL);
-- migrate:down
DROP TABLE customers;
$f$,
$f$-- migrate:up
CREATE TABLE orders (id bigint PRIMARY KEY,
                     customer_id bigint NOT NULL REFERENCES customers);
CREATE INDEX orders_customer_idx ON orders (customer_id);
-- migrate:down
DROP TABLE orders;
$f$,
$f$-- migrate:up
INSERT INTO customers (email) VALUES ('a@example.com'), ('b@example.com');
-- migrate:down
DELETE FROM customers;
$f$]);

SELECT mig_status();
SELECT step, revision, description, action, transactional, source_file FROM mig_plan();

-- apply up to a prefix of the second revision
SELECT revision, description, duration >= '0'::interval AS timed
  FROM mig_apply('20240102');
SELECT mig_status();
SELECT id, description, method, state, applied_by = current_user AS by_me
  FROM pgmig.schema_migrations ORDER BY id;

-- the rest
SELECT revision FROM mig_apply();
SELECT count(*) AS customers FROM customers;
SELECT mig_status();

-- applying again does nothing
SELECT revision FROM mig_apply();

-- registering the same files again changes nothing
SELECT * FROM mig_register('20240101120000_create_customers.sql', $f$-- migrate:up
CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                        email text NOT NULL);
-- migrate:down
DROP TABLE customers;
$f$);

-- the revision graph
SELECT revision, parents, applied, is_head, reversible FROM mig_revisions();
SELECT * FROM mig_heads();

-- revert one step, then to base
SELECT step, revision, action FROM mig_plan('-1', revert => true);
SELECT revision FROM mig_revert('-1');
SELECT count(*) AS customers FROM customers;
SELECT mig_status();
SELECT revision FROM mig_revert('base');
SELECT to_regclass('customers') IS NULL AS customers_gone;
SELECT mig_status();

-- stamp marks revisions without running them; stamping lower unstamps
SELECT * FROM mig_stamp('head');
SELECT to_regclass('customers') IS NULL AS still_gone;
SELECT id, method FROM pgmig.schema_migrations ORDER BY id;
SELECT * FROM mig_stamp('20240101120000');
SELECT * FROM mig_stamp('base');
SELECT mig_status();

-- everything above is in the audit log
SELECT action, revision, success FROM mig_history();

SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
SELECT count(*) FROM pg_namespace WHERE nspname = 'pgmig';
DROP TABLE public.schema_migrations;
