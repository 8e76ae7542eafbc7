-- The settled part of the catalog: an upgrade to the heads reads only the
-- revisions after it and its edge.  The test instance runs with
-- pgmig.check_catalog = on: every plan and status line made that way is
-- compared with the ones made from the whole catalog.
CREATE EXTENSION pgmig;
SHOW pgmig.check_catalog;
\set settled 'SELECT settled_last, settled_sortkey, settled_frontier FROM pgmig.status_cache;'

-- nothing applied: nothing settled
SELECT revision, action FROM mig_register(
  ARRAY['010_a.sql', '020_b.sql', '030_c.sql'],
  ARRAY[E'-- migrate:up\nCREATE TABLE s1 (a int);\n-- migrate:down\nDROP TABLE s1;\n',
        E'-- migrate:up\nCREATE TABLE s2 (a int);\n-- migrate:down\nDROP TABLE s2;\n',
        E'-- migrate:up\nCREATE TABLE s3 (a int);\n-- migrate:down\nDROP TABLE s3;\n']);
:settled

-- applied: settled up to the last one
SELECT revision FROM mig_apply();
:settled
-- its reads are planned from statistics: pgmig analyzed its catalog
SELECT c.relname, c.reltuples FROM pg_class c
  WHERE c.oid IN ('pgmig.revisions'::regclass, 'pgmig.schema_migrations'::regclass)
  ORDER BY 1;

-- a new revision after it is read alone with the edge, and planned
SELECT revision, action FROM mig_register('040_d.sql',
  E'-- migrate:up\nCREATE TABLE s4 (a int);\n-- migrate:down\nDROP TABLE s4;\n');
:settled
SELECT revision FROM mig_plan();
SELECT mig_status();
SELECT revision FROM mig_apply();
:settled

-- a branch off a settled revision that is neither the last one nor on the
-- frontier: two heads, from the recent revisions as from the whole catalog
SELECT revision, action FROM mig_register('050_side.sql',
  E'-- pgmig:revises 020\n-- migrate:up\nCREATE TABLE s5 (a int);\n-- migrate:down\nDROP TABLE s5;\n');
SELECT revision FROM mig_plan('head');
SELECT revision FROM mig_plan('heads');
SELECT mig_status();
SELECT revision FROM mig_apply('+1');
-- both heads are settled now: both on the frontier
:settled
SELECT mig_status();
SELECT revision, action FROM mig_register('060_merge.sql',
  E'-- pgmig:revises 040 050\n-- migrate:up\n-- migrate:down\n');
SELECT revision FROM mig_plan();
SELECT revision FROM mig_apply();
:settled

-- a revision older than the settled part rewrites it: out of order,
-- settled up to the revision before it
SELECT revision, action FROM mig_register('015_late.sql',
  E'-- pgmig:revises 010\n-- migrate:up\nCREATE TABLE s15 (a int);\n-- migrate:down\nDROP TABLE s15;\n');
:settled
SELECT mig_status();
SELECT revision FROM mig_apply('heads');
:settled
SELECT mig_status();

-- a settled file edited and registered with force: its row is rewritten,
-- read again from the whole catalog
SELECT revision, action FROM mig_register('030_c.sql',
  E'-- migrate:up\nCREATE TABLE s3 (a int, b int);\n-- migrate:down\nDROP TABLE s3;\n', force => true);
:settled

-- a downgrade reads the whole catalog, and settles what is left
SELECT revision FROM mig_revert('-2');
:settled
SELECT revision FROM mig_apply();
:settled

-- a half-done revision stops the settled part before it
SELECT revision, action FROM mig_register('070_nontx.sql',
  E'-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY s1_a ON s1 (a);\n-- migrate:down\nDROP INDEX s1_a;\n');
CALL pgmig.lock();
SELECT pgmig.nontx_begin('070', false);
:settled
SELECT mig_status();
SELECT pgmig.unlock();

-- a change by hand clears it: the next change through pgmig reads
-- everything and settles again
DELETE FROM pgmig.schema_migrations WHERE id = '070';
:settled
SELECT mig_status();
SELECT mig_unregister(ARRAY['070']);
:settled

-- an edge that is not as recorded (a settled revision's row changed with
-- the trigger off) is not trusted: the whole catalog is read
ALTER TABLE pgmig.schema_migrations DISABLE TRIGGER status_invalidate;
UPDATE pgmig.schema_migrations SET state = 'failed' WHERE id = '060';
ALTER TABLE pgmig.schema_migrations ENABLE TRIGGER status_invalidate;
SELECT revision, action FROM mig_register('080_e.sql',
  E'-- migrate:up\nCREATE TABLE s8 (a int);\n-- migrate:down\nDROP TABLE s8;\n');
SELECT revision FROM mig_plan();
:settled
UPDATE pgmig.schema_migrations SET state = 'complete' WHERE id = '060';
SELECT revision FROM mig_apply();
:settled
SELECT mig_status();

-- pgmig.check_catalog catches a settled part that lies where the edge
-- cannot tell: a head left off the frontier
UPDATE pgmig.status_cache SET settled_frontier = '{}';
SELECT revision FROM mig_plan();
UPDATE pgmig.status_cache SET settled_frontier = '{080}';
SELECT revision FROM mig_plan();

-- the recent revisions are found through the index, in version order
SET enable_seqscan = off;
EXPLAIN (COSTS OFF)
  SELECT id FROM pgmig.revisions r
  WHERE (pg_catalog.length(r.sortkey), r.sortkey COLLATE "C") > (pg_catalog.length('60'), '60' COLLATE "C");
RESET enable_seqscan;

DROP TABLE s1, s2, s3, s4, s5, s8, s15;
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
