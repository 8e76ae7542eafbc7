/* extension/pgmig--0.2.0--0.3.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmig UPDATE TO '0.3.0'" to load this file. \quit

/*
 * 0.3.0: reliability.  No-transaction revisions that survive crashes and
 * concurrency, settings and history that only pgmig's administrators can
 * switch off or erase.
 */

/*
 * No-transaction revisions that survive crashes and concurrency: the
 * runner (the client, or psql with "pgmig up --sql") asks the server what
 * to run (pgmig.nontx_plan), runs each statement that can run in a
 * transaction block in one with its progress record, and records an
 * intent before each one that cannot (pgmig.nontx_intent), so that a later
 * attempt knows what an interrupted one left.  Waiting for the migration
 * lock never holds a snapshot that a concurrent index build waits for
 * (CALL pgmig.lock()).
 */
ALTER TABLE pgmig.schema_migrations ADD COLUMN pending jsonb;
COMMENT ON COLUMN pgmig.schema_migrations.pending IS
	'a no-transaction statement that was started and whose end is not recorded: its number and what it touches';

CREATE FUNCTION pgmig.nontx_plan(revision text, revert boolean)
	RETURNS TABLE (stmt integer, line integer, sql text, mode text, total integer)
	AS 'MODULE_PATHNAME', 'pgmig_nontx_plan' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION pgmig.nontx_plan(text, boolean) IS
	'the commands that run a no-transaction revision from where an earlier attempt stopped';

CREATE FUNCTION pgmig.nontx_intent(revision text, stmt integer, sql text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmig_nontx_intent' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION pgmig.nontx_intent(text, integer, text) IS
	'record that a statement that cannot run in a transaction block is about to run';

CREATE PROCEDURE pgmig.lock()
	AS 'MODULE_PATHNAME', 'pgmig_lock' LANGUAGE C;
COMMENT ON PROCEDURE pgmig.lock() IS
	'take the session-level migration lock, waiting without holding a snapshot';

CREATE FUNCTION pgmig.unlock() RETURNS boolean
	AS 'MODULE_PATHNAME', 'pgmig_unlock' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION pgmig.unlock() IS 'release the session-level migration lock';

REVOKE EXECUTE ON FUNCTION
	pgmig.nontx_plan(text, boolean),
	pgmig.nontx_intent(text, integer, text),
	pgmig.unlock()
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE pgmig.lock() FROM PUBLIC;

-- roles that could run no-transaction revisions keep doing so
DO $$
DECLARE
	r name;
BEGIN
	FOR r IN
		SELECT DISTINCT a.grantee::regrole::name
		FROM pg_catalog.pg_proc p,
			 LATERAL pg_catalog.aclexplode(p.proacl) a
		WHERE p.oid = 'pgmig.nontx_begin(text, boolean)'::pg_catalog.regprocedure
		  AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0
		  AND a.grantee <> p.proowner
	LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION pgmig.nontx_plan(text, boolean), pgmig.nontx_intent(text, integer, text), pgmig.unlock() TO %I', r);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON PROCEDURE pgmig.lock() TO %I', r);
	END LOOP;
END
$$;
