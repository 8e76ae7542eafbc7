-- Views: a column added at the end (CREATE OR REPLACE), a column removed
-- (dropped and created again, with the view over it), options, and a
-- materialized view with an index.
-- from
CREATE TABLE items (id integer, name text, price integer);
CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10;
CREATE VIEW names AS SELECT id, name, price FROM items;
CREATE VIEW name_list AS SELECT name FROM names;
-- to
CREATE TABLE items (id integer, name text, price integer);
CREATE VIEW cheap AS SELECT id, name, price FROM items WHERE price < 10;
CREATE VIEW names WITH (security_barrier) AS SELECT id, name FROM items;
CREATE VIEW name_list AS SELECT name FROM names;
CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n, sum(price) AS total FROM items;
CREATE UNIQUE INDEX totals_n ON totals (n);
COMMENT ON MATERIALIZED VIEW totals IS 'refreshed nightly';
