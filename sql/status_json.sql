-- mig_status_json(): mig_status() and mig_revisions() as one jsonb
-- document, in the order upgrades run the revisions.
CREATE EXTENSION pgmig;
SELECT mig_status_json();
SELECT revision FROM mig_register(ARRAY['1_a.sql', '2_b.sql', '3_c.sql'],
  ARRAY[E'-- migrate:up\nCREATE TABLE sj1 (id int);\n-- migrate:down\nDROP TABLE sj1;\n',
        E'-- pgmig:label side\n-- migrate:up\nCREATE TABLE sj2 (id int);\n',
        E'-- pgmig:revises 1\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY sj1_id ON sj1 (id);\n-- migrate:down\nDROP INDEX sj1_id;\n']);
SELECT revision FROM mig_apply('2');
SELECT j->>'status' = mig_status() AS same_status,
       jsonb_array_length(j->'revisions') AS revisions
FROM mig_status_json() j;
SELECT r->>'revision' AS revision, r->>'applied' AS applied, r->>'state' AS state,
       r->'labels' AS labels, r->>'is_head' AS is_head, r->>'reversible' AS reversible,
       r->>'transactional' AS transactional, r->>'source_file' AS source_file
FROM mig_status_json() j, jsonb_array_elements(j->'revisions') r;
-- the keys are mig_revisions()'s columns, no more, no less
SELECT (SELECT array_agg(k ORDER BY k) FROM (SELECT DISTINCT jsonb_object_keys(r) k
          FROM mig_status_json() j, jsonb_array_elements(j->'revisions') r) keys)
     = (SELECT array_agg(n::text ORDER BY n) FROM pg_proc p, unnest(p.proargnames) n
        WHERE p.proname = 'mig_revisions') AS same_columns;
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
DROP TABLE sj1, sj2;
