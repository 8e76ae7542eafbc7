/* extension/pgmig--0.2.0--0.3.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmig UPDATE TO '0.3.0'" to load this file. \quit

/*
 * 0.3.0: reliability.  No-transaction revisions that survive crashes and
 * concurrency, settings and history that only pgmig's administrators can
 * switch off or erase.
 */

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
