-- How the server cuts a script into statements (extension/src/split.c):
-- PostgreSQL's own scanner, and psql's rule for the BEGIN ... END body of
-- a SQL-standard routine.  pgmig.statements shows the cut; the client runs
-- the statements of a no-transaction revision one by one as shown.
CREATE EXTENSION pgmig;

SELECT * FROM mig_register('1_split.sql', $f$-- migrate:up transaction:false
CREATE TABLE sp (a int, note text DEFAULT 'a; b');
-- a comment; with a semicolon
/* a block comment; /* nested; */ */
CREATE FUNCTION sp_add(a int, b int) RETURNS int
LANGUAGE sql
BEGIN ATOMIC
  SELECT CASE WHEN a IS NULL THEN 0 ELSE a END + b;
END;
CREATE FUNCTION sp_body() RETURNS text LANGUAGE plpgsql AS $$
BEGIN RETURN 'x; y'; END;
$$;
-- BEGIN names a parameter: the semicolon still ends the statement (found
-- by the fuzz target; the rest of the script used to join this statement)
CREATE FUNCTION sp_since(begin timestamptz) RETURNS interval
LANGUAGE sql AS 'SELECT now() - $1';
-- a view named procedure is no routine: its BEGIN (a column alias) opens
-- no body (found by the fuzz target too)
CREATE VIEW procedure AS SELECT now() AS begin;
CREATE INDEX CONCURRENTLY sp_a ON sp (a);
$f$);

SELECT * FROM pgmig.statements('1');

-- a routine named begin: psql's rule (and so the splitter) cannot see where
-- the statement ends; the script is refused rather than run as one piece
SELECT revision, action FROM mig_register('2_begin.sql', $f$-- migrate:up
CREATE FUNCTION begin() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TABLE sp_after (x int);
$f$);
SELECT * FROM pgmig.statements('2');

DROP EXTENSION pgmig;
