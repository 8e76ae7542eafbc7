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

/*
 * Runs in progress: the client (and CALL mig_apply_each()) notes its run
 * when it starts and removes the note when it ends.  A note found by the
 * next run, which holds the migration lock, belongs to a run that ended
 * without a word (its client, connection or server went away): the next
 * run records it in the audit log.
 */
CREATE TABLE pgmig.runs (
	pid integer NOT NULL DEFAULT pg_backend_pid(),
	action text NOT NULL CHECK (action IN ('apply', 'revert')),
	target text,
	started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
	role name NOT NULL DEFAULT current_user
);
COMMENT ON TABLE pgmig.runs IS 'runs in progress: a row left behind is a run that was interrupted';
GRANT SELECT ON pgmig.runs TO PUBLIC;

-- note this session's run; record (and return) the runs that ended without a word
CREATE FUNCTION pgmig.run_begin(action text, target text)
	RETURNS SETOF text
	LANGUAGE sql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	WITH gone AS (
		DELETE FROM pgmig.runs RETURNING *
	), logged AS (
		INSERT INTO pgmig.events (action, success, message, role, pid)
		SELECT g.action, false,
			   format('interrupted: the %s run to %s that process %s started at %s ended without recording how (its client, connection or server went away); what it had not committed was rolled back',
					  g.action, coalesce(g.target, 'head'), g.pid, g.started_at),
			   g.role, g.pid
		FROM gone g
		RETURNING message
	), mine AS (
		INSERT INTO pgmig.runs (action, target) VALUES ($1, $2)
	)
	SELECT message FROM logged
$fn$;
COMMENT ON FUNCTION pgmig.run_begin(text, text) IS
	'note that a run starts; returns the runs found interrupted, now in the audit log';

-- the run of this session ended (successfully or with its failure logged)
CREATE FUNCTION pgmig.run_end() RETURNS void
	LANGUAGE sql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	DELETE FROM pgmig.runs WHERE pid = pg_backend_pid()
$fn$;
COMMENT ON FUNCTION pgmig.run_end() IS 'note that the run of this session ended';

REVOKE EXECUTE ON FUNCTION pgmig.run_begin(text, text), pgmig.run_end() FROM PUBLIC;

-- roles that could record migrations keep doing so
DO $$
DECLARE
	r name;
BEGIN
	FOR r IN
		SELECT DISTINCT a.grantee::regrole::name
		FROM pg_catalog.pg_class c,
			 LATERAL pg_catalog.aclexplode(c.relacl) a
		WHERE c.oid = 'pgmig.schema_migrations'::pg_catalog.regclass
		  AND a.privilege_type = 'INSERT' AND a.grantee <> 0
		  AND a.grantee <> c.relowner
	LOOP
		EXECUTE pg_catalog.format('GRANT SELECT, INSERT, DELETE ON pgmig.runs TO %I', r);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION pgmig.run_begin(text, text), pgmig.run_end() TO %I', r);
	END LOOP;
END
$$;

/*
 * Guard (issue 10, items 9 and 10): what only pgmig's administrators may
 * switch off or erase.
 *
 * pgmig.environment and pgmig.track_drift are superuser settings from
 * 0.3.0 on (the library defines them).  Settings stored before with ALTER
 * ROLE or ALTER DATABASE, when any role could make them, stay in force:
 * PostgreSQL applies stored settings at the level of a superuser.  Name
 * those (of this database, or of roles in every database) that lift the
 * production guard or stop drift tracking, so that an administrator can
 * check them.
 */
DO $$
DECLARE
	found text;
BEGIN
	SELECT pg_catalog.string_agg(c.setting || ' (' ||
			CASE WHEN s.setrole = 0 THEN pg_catalog.format('database %I', d.datname)
				 WHEN s.setdatabase = 0 THEN pg_catalog.format('role %s', s.setrole::pg_catalog.regrole)
				 ELSE pg_catalog.format('role %s in database %I', s.setrole::pg_catalog.regrole, d.datname)
			END || ')',
			', ' ORDER BY c.setting, s.setrole::pg_catalog.regrole::pg_catalog.text, s.setdatabase <> 0)
	INTO found
	FROM pg_catalog.pg_db_role_setting s
		 LEFT JOIN pg_catalog.pg_database d ON d.oid = s.setdatabase,
		 LATERAL pg_catalog.unnest(s.setconfig) c(setting)
	WHERE s.setdatabase IN (0, (SELECT oid FROM pg_catalog.pg_database
								WHERE datname = pg_catalog.current_database()))
	  AND (s.setrole <> 0 OR s.setdatabase <> 0)	-- ALTER ROLE ALL: superusers only
	  AND (c.setting ~* '^pgmig\.track_drift=(?!(on|t|tr|tru|true|y|ye|yes|1)$)'
		   OR c.setting ~* '^pgmig\.environment=(?!production$)');
	IF found IS NOT NULL THEN
		RAISE WARNING 'stored settings switch off protections of pgmig'
			USING DETAIL = pg_catalog.format('These settings are in force: %s. Before pgmig 0.3.0, any role could make them.', found),
				  HINT = 'Keep those an administrator made, and remove the others with ALTER ROLE ... RESET or ALTER DATABASE ... RESET.';
	END IF;
END
$$;

/*
 * The drop guard: DROP EXTENSION pgmig, and DROP SCHEMA ... CASCADE or DROP
 * OWNED BY that would drop it, are refused while the catalog holds history
 * (applied revisions, events) unless the session sets pgmig.allow_drop.
 * The trigger fires for these three command tags only, before the command
 * runs: a sql_drop trigger does not fire for the command that drops it.
 * Its function reads the catalog as the extension's owner, so any role's
 * DROP SCHEMA ... CASCADE is checked alike, and the current role's own
 * right to run the command is left to PostgreSQL to check.
 */
CREATE FUNCTION pgmig.drop_guard() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'pgmig_drop_guard' LANGUAGE C;
REVOKE EXECUTE ON FUNCTION pgmig.drop_guard() FROM PUBLIC;
CREATE EVENT TRIGGER pgmig_drop_guard ON ddl_command_start
	WHEN TAG IN ('DROP EXTENSION', 'DROP SCHEMA', 'DROP OWNED')
	EXECUTE FUNCTION pgmig.drop_guard();

/*
 * The library's version (issue 15, item 7): installing a new pgmig
 * replaces the shared library for every database at once, and a catalog
 * keeps its version until ALTER EXTENSION pgmig UPDATE, so extversion does
 * not tell which library runs.  The client checks both against its own.
 */
CREATE FUNCTION pgmig.library_version() RETURNS text
	AS 'MODULE_PATHNAME', 'pgmig_library_version' LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION pgmig.library_version() IS
	'the version of the pgmig shared library that serves this session';

/*
 * Structured errors between server and client: mig_verify reports a
 * script's error in columns of its own (sqlstate, message, detail, hint,
 * line) rather than as "message (context)" text, and the client learns at
 * which revision a run failed from pgmig.last_failure() rather than from
 * the error's context text.  mig_verify's result type changes: it is
 * dropped and created again, keeping the roles that could call it.
 */
DO $$
DECLARE
	grantees name[];
	r name;
BEGIN
	SELECT pg_catalog.array_agg(a.grantee::regrole::name) INTO grantees
	FROM pg_catalog.pg_proc p, LATERAL pg_catalog.aclexplode(p.proacl) a
	WHERE p.oid = '@extschema@.mig_verify(text, boolean)'::pg_catalog.regprocedure
	  AND a.privilege_type = 'EXECUTE' AND a.grantee <> 0 AND a.grantee <> p.proowner;

	DROP FUNCTION @extschema@.mig_verify(text, boolean);
	CREATE FUNCTION @extschema@.mig_verify(target text DEFAULT 'heads', redo boolean DEFAULT false)
		RETURNS TABLE (revision text, source_file text, result text, detail text,
					   sqlstate text, message text, hint text, line integer)
		AS 'MODULE_PATHNAME', 'pgmig_verify' LANGUAGE C VOLATILE;
	COMMENT ON FUNCTION @extschema@.mig_verify(text, boolean) IS
		'prove down scripts: up, down, up of each pending revision (or, with redo, each applied one above target), all rolled back';
	REVOKE EXECUTE ON FUNCTION @extschema@.mig_verify(text, boolean) FROM PUBLIC;
	FOREACH r IN ARRAY coalesce(grantees, '{}') LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.mig_verify(text, boolean) TO %I', r);
	END LOOP;
END
$$;

CREATE FUNCTION pgmig.last_failure()
	RETURNS TABLE (action text, revision text, source_file text)
	AS 'MODULE_PATHNAME', 'pgmig_last_failure' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgmig.last_failure() IS
	'the action and revision at which this session''s last run failed';
