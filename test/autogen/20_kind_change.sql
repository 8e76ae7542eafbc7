-- A name moves from a table to a view of another shape, and a table is
-- partitioned (re-created).
-- from
CREATE TABLE report (id integer, total integer);
CREATE TABLE log (id integer, at date);
-- to
CREATE TABLE report_data (id integer, total integer);
CREATE VIEW report AS SELECT id, total FROM report_data;
CREATE TABLE log (id integer, at date) PARTITION BY RANGE (at);
