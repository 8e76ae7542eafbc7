--
-- Resuming a no-transaction revision: pgmig.nontx_plan says what to run
-- from where an earlier attempt stopped, and how; pgmig.nontx_intent,
-- recorded before a statement that cannot run in a transaction block,
-- lets a later attempt tell what that statement left.
--
CREATE EXTENSION pgmig;
CREATE TABLE rt (a int, b int);
INSERT INTO rt SELECT i, i % 10 FROM generate_series(1, 100) i;
SELECT revision, action FROM mig_register('1_idx.sql', $f$-- migrate:up transaction:false
SET search_path = public;
CREATE INDEX CONCURRENTLY rt_a ON rt (a);
INSERT INTO rt VALUES (0, 0);
CREATE UNIQUE INDEX CONCURRENTLY rt_b ON rt (b);
VACUUM rt;
-- migrate:down
DROP INDEX CONCURRENTLY IF EXISTS rt_b;
DROP INDEX CONCURRENTLY rt_a;
$f$);

-- how each statement runs: in a transaction with its progress record, or
-- at top level after an intent
SELECT stmt, line, mode, total, left(sql, 40) AS sql FROM pgmig.nontx_plan('1', false);
SELECT stmt, line, mode FROM pgmig.nontx_plan('1', true);

-- an intent needs a running revision and the session lock
SELECT pgmig.nontx_intent('1', 2, 'CREATE INDEX CONCURRENTLY rt_a ON rt (a)');
CALL pgmig.lock();
SELECT pgmig.nontx_intent('1', 2, 'CREATE INDEX CONCURRENTLY rt_a ON rt (a)');
SELECT pgmig.nontx_begin('1', false);
SET search_path = public;
SELECT pgmig.nontx_progress('1', 1);

-- statement 2 ran, but the "client" died before recording its progress
SELECT pgmig.nontx_intent('1', 2, 'CREATE INDEX CONCURRENTLY rt_a ON rt (a)');
SELECT pending FROM pgmig.schema_migrations WHERE id = '1';
CREATE INDEX CONCURRENTLY rt_a ON rt (a);
-- the next attempt replays the SET, counts statement 2 as done, goes on
SELECT stmt, mode, left(sql, 40) AS sql FROM pgmig.nontx_plan('1', false);
SELECT pgmig.nontx_progress('1', 2);
SELECT pending FROM pgmig.schema_migrations WHERE id = '1';

-- statement 3 runs in a transaction with its progress: rolled back together
BEGIN;
INSERT INTO rt VALUES (0, 0);
SELECT pgmig.nontx_progress('1', 3);
ROLLBACK;
SELECT statements_done FROM pgmig.schema_migrations WHERE id = '1';
BEGIN;
INSERT INTO rt VALUES (0, 0);
SELECT pgmig.nontx_progress('1', 3);
COMMIT;

-- an index of that name that was there before the statement is not the
-- statement's work: the statement runs again, and PostgreSQL says it exists
CREATE INDEX rt_b ON rt (b);
SELECT pgmig.nontx_intent('1', 4, 'CREATE UNIQUE INDEX CONCURRENTLY rt_b ON rt (b)');
CREATE UNIQUE INDEX CONCURRENTLY rt_b ON rt (b);
SELECT pgmig.nontx_end('1', false, false, NULL, '42P07', 'relation "rt_b" already exists');
SELECT stmt, mode FROM pgmig.nontx_plan('1', false);
DROP INDEX rt_b;
SELECT pgmig.nontx_begin('1', false);
SET search_path = public;

-- statement 4 fails (duplicates): the build leaves an invalid index
SELECT pgmig.nontx_intent('1', 4, 'CREATE UNIQUE INDEX CONCURRENTLY rt_b ON rt (b)');
CREATE UNIQUE INDEX CONCURRENTLY rt_b ON rt (b);
SELECT indexrelid::regclass, indisvalid FROM pg_index WHERE indrelid = 'rt'::regclass ORDER BY indexrelid::regclass::text;
SELECT pgmig.nontx_end('1', false, false, NULL, '23505', 'could not create unique index "rt_b"');
-- the next attempt drops it concurrently, then builds it again
SELECT stmt, mode, sql FROM pgmig.nontx_plan('1', false);
-- an invalid index that IF NOT EXISTS skipped is not progress
SELECT pgmig.nontx_begin('1', false);
SELECT pgmig.nontx_intent('1', 4, 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS rt_b ON rt (b)');
SELECT pgmig.nontx_progress('1', 4);
DROP INDEX CONCURRENTLY rt_b;
DELETE FROM rt WHERE a <> b;
SELECT pgmig.nontx_intent('1', 4, 'CREATE UNIQUE INDEX CONCURRENTLY rt_b ON rt (b)');
CREATE UNIQUE INDEX CONCURRENTLY rt_b ON rt (b);
SELECT pgmig.nontx_progress('1', 4);

SELECT pgmig.nontx_intent('1', 5, 'VACUUM rt');
VACUUM rt;
SELECT pgmig.nontx_progress('1', 5);
SELECT pgmig.nontx_end('1', false, true, NULL, NULL, NULL);
SELECT id, state, statements_done, pending FROM pgmig.schema_migrations;
SELECT count(*) FROM pgmig.nontx_plan('1', false);

-- going down: DROP INDEX CONCURRENTLY is done once the index is gone
SELECT pgmig.nontx_begin('1', true);
SELECT pgmig.nontx_intent('1', 1, 'DROP INDEX CONCURRENTLY IF EXISTS rt_b');
SELECT pending->'object' FROM pgmig.schema_migrations WHERE id = '1';
DROP INDEX CONCURRENTLY IF EXISTS rt_b;
SELECT stmt, mode FROM pgmig.nontx_plan('1', true);
SELECT pgmig.nontx_progress('1', 1);
SELECT pgmig.nontx_intent('1', 2, 'DROP INDEX CONCURRENTLY rt_a');
SELECT stmt, mode FROM pgmig.nontx_plan('1', true);
DROP INDEX CONCURRENTLY rt_a;
SELECT pgmig.nontx_progress('1', 2);
SELECT pgmig.nontx_end('1', true, true, NULL, NULL, NULL);
SELECT count(*) FROM pgmig.schema_migrations;

-- an edited script of a revision that stopped going up starts over
SELECT pgmig.nontx_begin('1', false);
SELECT pgmig.nontx_progress('1', 1);
SELECT pgmig.nontx_end('1', false, false, NULL, '42P01', 'boom');
SELECT stmt FROM pgmig.nontx_plan('1', false) LIMIT 1;
SELECT revision, action FROM mig_register('1_idx.sql', $f$-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY rt_a ON rt (a);
-- migrate:down
DROP INDEX CONCURRENTLY rt_a;
$f$);
SELECT stmt, mode FROM pgmig.nontx_plan('1', false);

-- REINDEX and CLUSTER of a partitioned table cannot run in a transaction
-- block either: the catalog tells
CREATE TABLE pt (a int) PARTITION BY RANGE (a);
CREATE TABLE pt1 PARTITION OF pt FOR VALUES FROM (0) TO (10);
SELECT revision, action FROM mig_register('2_reindex.sql', $f$-- migrate:up transaction:false
REINDEX TABLE pt;
REINDEX TABLE pt1;
-- migrate:down
$f$);
SELECT stmt, mode FROM pgmig.nontx_plan('2', false);

-- the lock_timeout the statements wait with comes first, as a setting
-- (statement 0): the file's directive, or pgmig.lock_timeout when it was
-- set, not its default (CREATE INDEX CONCURRENTLY waits for older
-- transactions by design)
SELECT stmt, line, mode, sql FROM pgmig.nontx_plan('2', false) WHERE mode = 'replay';
SET pgmig.lock_timeout = '3s';
SELECT stmt, line, mode, sql FROM pgmig.nontx_plan('2', false) WHERE mode = 'replay';
SET pgmig.lock_timeout = -1;
SELECT stmt, line, mode, sql FROM pgmig.nontx_plan('2', false) WHERE mode = 'replay';
RESET pgmig.lock_timeout;
SELECT revision, action FROM mig_register('3_timeout.sql', $f$-- pgmig:lock_timeout 250ms
-- migrate:up transaction:false
VACUUM rt;
-- migrate:down
$f$);
SELECT stmt, line, mode, sql FROM pgmig.nontx_plan('3', false);

SELECT pgmig.unlock();
SELECT pgmig.unlock();
-- the lock is taken with CALL, outside a transaction block
BEGIN;
CALL pgmig.lock();
ROLLBACK;

SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE rt, pt;
