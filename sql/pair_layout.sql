-- golang-migrate's and sqlx's layout through the SQL API: a revision is an
-- up file and, if it has one, a down file, registered in one call.
CREATE EXTENSION pgmig;
SELECT * FROM mig_register(
  ARRAY['1_init.up.sql', '1_init.down.sql', '2_idx.up.sql', '10_last.up.sql'],
  ARRAY[E'CREATE TABLE p1 (id int);\n', E'DROP TABLE p1;\n',
        E'-- no-transaction\nCREATE INDEX CONCURRENTLY p1_id ON p1 (id);\n',
        E'CREATE TABLE p10 (id int);\n']);
SELECT revision, transactional, reversible, source_file FROM mig_revisions();
SELECT id, up_line, down_line, down_script FROM pgmig.revisions ORDER BY sortkey::numeric;
-- a down file needs its up file in the same call
SELECT * FROM mig_register('3_alone.down.sql', E'SELECT 1;\n');
-- a file of dbmate's format named as a pair's would run its down going up
SELECT * FROM mig_register('3_x.up.sql', E'-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n');
-- the down file changes the revision's checksum: registered again, updated
SELECT file_checksum AS before FROM pgmig.revisions WHERE id = '10' \gset
SELECT * FROM mig_register(ARRAY['10_last.up.sql', '10_last.down.sql'],
  ARRAY[E'CREATE TABLE p10 (id int);\n', E'DROP TABLE p10;\n']);
SELECT file_checksum <> :'before' AS changed, down_script FROM pgmig.revisions WHERE id = '10';
-- applied and reverted as any revision; a down error names the down file
SELECT revision FROM mig_apply('1');
SELECT * FROM mig_register(ARRAY['1_init.up.sql', '1_init.down.sql'],
  ARRAY[E'CREATE TABLE p1 (id int);\n', E'DROP TABLE p1;\nDROP TABLE nowhere;\n']);
SELECT revision FROM mig_revert('base');
SELECT * FROM mig_register(ARRAY['1_init.up.sql', '1_init.down.sql'],
  ARRAY[E'CREATE TABLE p1 (id int);\n', E'DROP TABLE p1;\n']);
SELECT revision FROM mig_revert('base');
-- Diesel's layout: a folder per revision, named with the folder; its
-- metadata.toml may say run_in_transaction = false (and counts in the checksum)
SELECT * FROM mig_register(
  ARRAY['migrations/2030-01-01-000000_posts/up.sql', 'migrations/2030-01-01-000000_posts/down.sql',
        '2030-01-02-000000_idx/up.sql', '2030-01-02-000000_idx/metadata.toml'],
  ARRAY[E'CREATE TABLE d1 (id int);\n', E'DROP TABLE d1;\n',
        E'CREATE INDEX CONCURRENTLY d1_id ON d1 (id);\n', E'run_in_transaction = false\n']);
SELECT revision, transactional, reversible, source_file FROM mig_revisions() WHERE revision LIKE '2030%';
SELECT * FROM mig_register('2030-01-03-000000_x/metadata.toml', E'run_in_transaction = false\n');
SET pgmig.allow_drop = on;
DROP EXTENSION pgmig;
