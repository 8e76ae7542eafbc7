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

REVOKE EXECUTE ON FUNCTION pgmig.run_begin(text, text) FROM PUBLIC;
-- granted at the end of this script to the roles that record migrations;
-- pgmig.run_end() is below, with the snapshot it records

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

/*
 * Autogenerate: pgmig.describe() describes the schema of a database, one
 * row per object, in the form common/pgmig_diff.h defines (THE
 * DESCRIPTION): the contract between this function and the differ.  The
 * objects are those of pgmig.schema_objects(): outside pgmig, the system,
 * temporary and TOAST schemas and extensions' members.  Names are
 * rendered under a search_path of pg_catalog alone, so PostgreSQL's
 * deparsers qualify every user object and the same schema reads the same
 * in every database.  Each catalog is read once (no lookup per object in
 * pg_depend), so a schema of thousands of tables is described in a
 * fraction of a second.
 */
CREATE FUNCTION pgmig.describe(privileges boolean DEFAULT false)
	RETURNS TABLE (kind text, id text, parent text, name text, qname text,
				   deps text[], attrs text[], create_sql text, drop_sql text)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	-- constants (defaults, partition bounds, views) print the same in
	-- every session and database
	SET DateStyle = 'ISO, YMD'
	SET IntervalStyle = postgres
	SET TimeZone = 'UTC'
	SET extra_float_digits = 3
	SET bytea_output = hex
	SET lc_monetary = 'C'
	SET standard_conforming_strings = on
	SET quote_all_identifiers = off
	SET jit = off
	-- the planner's row estimates for these joins of catalog subsets are
	-- guesses, and a nested loop over them is quadratic in the schema
	SET enable_nestloop = off
AS $fn$
WITH
-- members of extensions, with the extension they belong to
xmem AS (
	SELECT d.classid, d.objid, d.refobjid AS extoid
	FROM pg_depend d
	WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
),
ns AS (
	SELECT n.oid, n.nspname, n.nspowner, n.nspacl, quote_ident(n.nspname) AS q
	FROM pg_namespace n
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'pgmig')
	  AND n.nspname !~ '^pg_(toast_)?temp_'
	  AND NOT EXISTS (SELECT FROM xmem x
					  WHERE x.classid = 'pg_namespace'::regclass AND x.objid = n.oid)
),
-- collations as DDL names them
coll AS (
	SELECT co.oid, format('%I.%I', cn.nspname, co.collname) AS q
	FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace
),
-- the relations described, and the composite types' relations
rel AS (
	SELECT c.*, ns.q || '.' || quote_ident(c.relname) AS q,
		   CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
		   WHEN 'v' THEN 'view' WHEN 'm' THEN 'matview'
		   WHEN 'S' THEN 'sequence' WHEN 'c' THEN 'composite'
		   ELSE 'index' END AS k
	FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
	WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'c', 'i', 'I')
	  AND NOT EXISTS (SELECT FROM xmem x
					  WHERE x.classid = 'pg_class'::regclass AND x.objid = c.oid)
),
-- indexes that belong to a constraint (its primary key, unique or
-- exclusion index): described as the constraint
backing AS (
	SELECT d.objid AS indexoid, d.refobjid AS conoid
	FROM pg_depend d
	WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_constraint'::regclass
	  AND d.deptype = 'i'
),
-- sequences that belong to a column: identity (internal) and OWNED BY
-- (automatic)
seqcol AS (
	SELECT d.objid AS seqoid, d.refobjid AS relid, d.refobjsubid AS attnum, d.deptype
	FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
	WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
	  AND d.refobjsubid > 0 AND d.deptype IN ('i', 'a')
),
typ AS (
	SELECT t.*, ns.q || '.' || quote_ident(t.typname) AS q,
		   CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
		   WHEN 'r' THEN 'range' ELSE 'composite' END AS k
	FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
	WHERE t.typtype IN ('e', 'd', 'r', 'c')
	  AND (t.typtype <> 'c' OR EXISTS (SELECT FROM pg_class c
									   WHERE c.oid = t.typrelid AND c.relkind = 'c'))
	  AND NOT EXISTS (SELECT FROM xmem x
					  WHERE x.classid = 'pg_type'::regclass AND x.objid = t.oid)
	  AND NOT EXISTS (SELECT FROM xmem x
					  WHERE x.classid = 'pg_class'::regclass AND x.objid = t.typrelid)
),
-- the columns of tables
col AS (
	SELECT a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attcollation,
		   a.attnotnull, a.attidentity, a.attgenerated, a.attislocal, a.attinhcount,
		   a.attacl, c.q AS relq, c.relispartition, c.relowner,
		   row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS position
	FROM pg_attribute a JOIN rel c ON c.oid = a.attrelid AND c.k = 'table'
	WHERE a.attnum > 0 AND NOT a.attisdropped
),
-- sequence options as CREATE SEQUENCE and identity columns write them
seqopt AS (
	SELECT s.*,
		   format('START WITH %s INCREMENT BY %s MINVALUE %s MAXVALUE %s CACHE %s %s',
				  s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache,
				  CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END) AS opts
	FROM pg_sequence s
),
/*
 * The objects, one row each, keyed by their catalog address (cls, oid,
 * sub), where pg_depend and pg_description find them.  The attrs are built
 * with "||" on NULL arrays, so a fact that does not apply leaves no key.
 */
obj AS (
	-- schemas
	SELECT 'schema' AS kind, 'schema ' || ns.q AS id, NULL::text AS parent,
		   ns.q AS name, ns.q AS qname,
		   'pg_namespace'::regclass::oid AS cls, ns.oid, 0 AS sub,
		   '{}'::text[] AS attrs,
		   'CREATE SCHEMA ' || ns.q AS create_sql, 'DROP SCHEMA ' || ns.q AS drop_sql,
		   'SCHEMA ' || ns.q AS comment_on,
		   ns.nspowner AS owner, ns.nspacl::text AS acl,
		   'SCHEMA ' || ns.q AS alter_target, 'SCHEMA ' || ns.q AS grant_target
	FROM ns
UNION ALL
	-- extensions (not pgmig)
	SELECT 'extension', 'extension ' || quote_ident(x.extname), NULL,
		   quote_ident(x.extname), quote_ident(x.extname),
		   'pg_extension'::regclass, x.oid, 0,
		   ARRAY['version', x.extversion, 'schema', quote_ident(n.nspname)],
		   format('CREATE EXTENSION IF NOT EXISTS %I WITH SCHEMA %I VERSION %L',
				  x.extname, n.nspname, x.extversion),
		   format('DROP EXTENSION %I', x.extname),
		   format('EXTENSION %I', x.extname),
		   NULL, NULL, NULL, NULL
	FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
	WHERE x.extname <> 'pgmig'
UNION ALL
	-- enums
	SELECT 'enum', 'enum ' || t.q, NULL, quote_ident(t.typname), t.q,
		   'pg_type'::regclass, t.oid, 0,
		   coalesce(l.attrs, '{}'),
		   format('CREATE TYPE %s AS ENUM (%s)', t.q, coalesce(l.list, '')),
		   'DROP TYPE ' || t.q, 'TYPE ' || t.q,
		   t.typowner, t.typacl::text, 'TYPE ' || t.q, 'TYPE ' || t.q
	FROM typ t
	LEFT JOIN LATERAL (
		SELECT array_agg(x ORDER BY e.n, x.o) AS attrs,
			   string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.n) FILTER (WHERE x.o = 1) AS list
		FROM (SELECT e.enumlabel,
					 row_number() OVER (ORDER BY e.enumsortorder) AS n
			  FROM pg_enum e WHERE e.enumtypid = t.oid) e,
			 unnest(ARRAY['label.' || e.n, e.enumlabel]) WITH ORDINALITY AS x(x, o)
	) l ON true
	WHERE t.k = 'enum'
UNION ALL
	-- domains, their check constraints included
	SELECT 'domain', 'domain ' || t.q, NULL, quote_ident(t.typname), t.q,
		   'pg_type'::regclass, t.oid, 0,
		   ARRAY['type', format_type(t.typbasetype, t.typtypmod)]
		   || CASE WHEN t.typcollation <> bt.typcollation THEN ARRAY['collation', co.q] END
		   || CASE WHEN t.typdefaultbin IS NOT NULL
				   THEN ARRAY['default', pg_get_expr(t.typdefaultbin, 0)] END
		   || CASE WHEN t.typnotnull THEN ARRAY['not_null', 't'] END
		   || coalesce(dc.attrs, '{}'),
		   'CREATE DOMAIN ' || t.q || ' AS ' || format_type(t.typbasetype, t.typtypmod)
		   || CASE WHEN t.typcollation <> bt.typcollation THEN ' COLLATE ' || co.q ELSE '' END
		   || coalesce(' DEFAULT ' || pg_get_expr(t.typdefaultbin, 0), '')
		   || CASE WHEN t.typnotnull THEN ' NOT NULL' ELSE '' END
		   || coalesce(dc.valid, '')
		   -- CREATE DOMAIN takes no NOT VALID: those follow, ALTER DOMAIN each
		   || coalesce(dc.invalid, ''),
		   'DROP DOMAIN ' || t.q, 'DOMAIN ' || t.q,
		   t.typowner, t.typacl::text, 'DOMAIN ' || t.q, 'DOMAIN ' || t.q
	FROM typ t
	JOIN pg_type bt ON bt.oid = t.typbasetype
	LEFT JOIN coll co ON co.oid = t.typcollation
	LEFT JOIN LATERAL (
		SELECT array_agg(x ORDER BY c.conname COLLATE "C", x.o) AS attrs,
			   string_agg(' CONSTRAINT ' || quote_ident(c.conname) || ' ' || c.def, '' ORDER BY c.conname COLLATE "C")
				   FILTER (WHERE x.o = 1 AND c.convalidated) AS valid,
			   string_agg(format(E';\nALTER DOMAIN %s ADD CONSTRAINT %I %s', t.q, c.conname, c.def), '' ORDER BY c.conname COLLATE "C")
				   FILTER (WHERE x.o = 1 AND NOT c.convalidated) AS invalid
		FROM (SELECT c.conname, c.convalidated, pg_get_constraintdef(c.oid) AS def
			  FROM pg_constraint c WHERE c.contypid = t.oid AND c.contype = 'c') c,
			 unnest(ARRAY['check.' || quote_ident(c.conname), c.def]) WITH ORDINALITY AS x(x, o)
	) dc ON true
	WHERE t.k = 'domain'
UNION ALL
	-- composite types
	SELECT 'composite', 'composite ' || t.q, NULL, quote_ident(t.typname), t.q,
		   'pg_type'::regclass, t.oid, 0,
		   coalesce(ca.attrs, '{}'),
		   format('CREATE TYPE %s AS (%s)', t.q, coalesce(ca.list, '')),
		   'DROP TYPE ' || t.q, 'TYPE ' || t.q,
		   t.typowner, t.typacl::text, 'TYPE ' || t.q, 'TYPE ' || t.q
	FROM typ t
	LEFT JOIN LATERAL (
		SELECT array_agg(x ORDER BY a.n, x.o) AS attrs,
			   string_agg(a.def, ', ' ORDER BY a.n) FILTER (WHERE x.o = 1) AS list
		FROM (SELECT format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod))
					 || CASE WHEN a.attcollation <> at.typcollation
							 THEN ' COLLATE ' || co.q ELSE '' END AS def,
					 row_number() OVER (ORDER BY a.attnum) AS n
			  FROM pg_attribute a
			  JOIN pg_type at ON at.oid = a.atttypid
			  LEFT JOIN coll co ON co.oid = a.attcollation
			  WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) a,
			 unnest(ARRAY['attr.' || a.n, a.def]) WITH ORDINALITY AS x(x, o)
	) ca ON true
	WHERE t.k = 'composite'
UNION ALL
	-- range types (not their multiranges)
	SELECT 'range', 'range ' || t.q, NULL, quote_ident(t.typname), t.q,
		   'pg_type'::regclass, t.oid, 0,
		   ARRAY['subtype', r.subtype]
		   || CASE WHEN r.opclass IS NOT NULL THEN ARRAY['subtype_opclass', r.opclass] END
		   || CASE WHEN r.collation IS NOT NULL THEN ARRAY['collation', r.collation] END
		   || CASE WHEN r.canonical IS NOT NULL THEN ARRAY['canonical', r.canonical] END
		   || CASE WHEN r.diff IS NOT NULL THEN ARRAY['subtype_diff', r.diff] END,
		   format('CREATE TYPE %s AS RANGE (SUBTYPE = %s', t.q, r.subtype)
		   || coalesce(', SUBTYPE_OPCLASS = ' || r.opclass, '')
		   || coalesce(', COLLATION = ' || r.collation, '')
		   || coalesce(', CANONICAL = ' || r.canonical, '')
		   || coalesce(', SUBTYPE_DIFF = ' || r.diff, '')
		   || coalesce(', MULTIRANGE_TYPE_NAME = ' || r.multirange, '')
		   || ')',
		   'DROP TYPE ' || t.q, 'TYPE ' || t.q,
		   t.typowner, t.typacl::text, 'TYPE ' || t.q, 'TYPE ' || t.q
	FROM typ t
	JOIN LATERAL (
		SELECT format_type(r.rngsubtype, NULL) AS subtype,
			   CASE WHEN NOT opc.opcdefault
					THEN format('%I.%I', opn.nspname, opc.opcname) END AS opclass,
			   CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation
					THEN (SELECT co.q FROM coll co WHERE co.oid = r.rngcollation) END AS collation,
			   nullif(r.rngcanonical, 0)::regproc::text AS canonical,
			   nullif(r.rngsubdiff, 0)::regproc::text AS diff,
			   -- PostgreSQL 14 and later: the multirange type, when its
			   -- name is not the one CREATE TYPE would make
			   (SELECT format('%I.%I', mn.nspname, mt.typname)
				FROM pg_type mt JOIN pg_namespace mn ON mn.oid = mt.typnamespace
				WHERE mt.oid = (to_jsonb(r) ->> 'rngmultitypid')::oid
				  AND (mt.typnamespace <> t.typnamespace OR mt.typname <>
					   CASE WHEN strpos(t.typname, 'range') > 0
							THEN left(overlay(t.typname PLACING 'multirange'
											  FROM strpos(t.typname, 'range') FOR 5), 63)
							ELSE left(t.typname, 52) || '_multirange' END)) AS multirange
		FROM pg_range r
		JOIN pg_type st ON st.oid = r.rngsubtype
		JOIN pg_opclass opc ON opc.oid = r.rngsubopc
		JOIN pg_namespace opn ON opn.oid = opc.opcnamespace
		WHERE r.rngtypid = t.oid
	) r ON true
	WHERE t.k = 'range'
UNION ALL
	-- sequences (not those of identity columns)
	SELECT 'sequence', 'sequence ' || c.q, NULL, quote_ident(c.relname), c.q,
		   'pg_class'::regclass, c.oid, 0,
		   ARRAY['type', format_type(s.seqtypid, NULL), 'start', s.seqstart::text,
				 'increment', s.seqincrement::text, 'minvalue', s.seqmin::text,
				 'maxvalue', s.seqmax::text, 'cache', s.seqcache::text,
				 'cycle', CASE WHEN s.seqcycle THEN 't' ELSE 'f' END]
		   || CASE WHEN oc.attname IS NOT NULL
				   THEN ARRAY['owned_by', 'column ' || oc.relq || '.' || quote_ident(oc.attname)] END
		   || CASE WHEN c.relpersistence = 'u' THEN ARRAY['persistence', 'u'] END,
		   'CREATE ' || CASE WHEN c.relpersistence = 'u' THEN 'UNLOGGED ' ELSE '' END
		   || 'SEQUENCE ' || c.q || ' AS ' || format_type(s.seqtypid, NULL) || ' ' || s.opts,
		   'DROP SEQUENCE ' || c.q, 'SEQUENCE ' || c.q,
		   c.relowner, c.relacl::text, 'SEQUENCE ' || c.q, 'SEQUENCE ' || c.q
	FROM rel c
	JOIN seqopt s ON s.seqrelid = c.oid
	LEFT JOIN seqcol o ON o.seqoid = c.oid AND o.deptype = 'a'
	LEFT JOIN col oc ON oc.attrelid = o.relid AND oc.attnum = o.attnum
	WHERE c.k = 'sequence'
	  AND NOT EXISTS (SELECT FROM seqcol i WHERE i.seqoid = c.oid AND i.deptype = 'i')
UNION ALL
	-- tables
	SELECT 'table', 'table ' || c.q, NULL, quote_ident(c.relname), c.q,
		   'pg_class'::regclass, c.oid, 0,
		   ARRAY['relkind', c.relkind::text, 'persistence', c.relpersistence::text]
		   || CASE WHEN c.relkind = 'p' THEN ARRAY['partition_by', pg_get_partkeydef(c.oid)] END
		   || CASE WHEN c.relispartition
				   THEN ARRAY['partition_of', inh.first,
							  'partition_bound', pg_get_expr(c.relpartbound, c.oid)]
				   ELSE inh.attrs END
		   || CASE WHEN c.reloptions IS NOT NULL
				   THEN ARRAY['options', array_to_string(c.reloptions, ', ')] END
		   || CASE WHEN c.relrowsecurity THEN ARRAY['rls', 't'] END
		   || CASE WHEN c.relforcerowsecurity THEN ARRAY['rls_forced', 't'] END
		   || CASE WHEN am.amname <> 'heap' THEN ARRAY['access_method', quote_ident(am.amname)] END,
		   NULL, NULL, 'TABLE ' || c.q,
		   c.relowner, c.relacl::text, 'TABLE ' || c.q, 'TABLE ' || c.q
	FROM rel c
	LEFT JOIN pg_am am ON am.oid = c.relam
	LEFT JOIN (
		SELECT i.inhrelid,
			   min('table ' || p.q) AS first,
			   array_agg(x ORDER BY i.inhseqno, x.o) AS attrs
		FROM pg_inherits i JOIN rel p ON p.oid = i.inhparent AND p.k = 'table',
			 unnest(ARRAY['inherits.' || i.inhseqno, 'table ' || p.q]) WITH ORDINALITY AS x(x, o)
		GROUP BY i.inhrelid
	) inh ON inh.inhrelid = c.oid
	WHERE c.k = 'table'
UNION ALL
	-- columns of tables
	SELECT 'column', 'column ' || a.relq || '.' || quote_ident(a.attname), 'table ' || a.relq,
		   quote_ident(a.attname), quote_ident(a.attname),
		   'pg_class'::regclass, a.attrelid, a.attnum,
		   ARRAY['position', a.position::text, 'type', format_type(a.atttypid, a.atttypmod)]
		   || CASE WHEN a.attcollation <> ty.typcollation THEN ARRAY['collation', co.q] END
		   || CASE WHEN a.attnotnull THEN ARRAY['not_null', 't'] END
		   || CASE WHEN a.attgenerated = '' AND ad.adbin IS NOT NULL
				   THEN ARRAY['default', pg_get_expr(ad.adbin, ad.adrelid)] END
		   || CASE WHEN a.attidentity <> ''
				   THEN ARRAY['identity', a.attidentity::text, 'identity_options', so.opts,
							  'identity_sequence', sr.q] END
		   || CASE WHEN a.attgenerated <> ''
				   THEN ARRAY['generated', pg_get_expr(ad.adbin, ad.adrelid)] END
		   -- from a parent, and not written in CREATE TABLE; a partition
		   -- has no columns of its own, however it was made
		   || CASE WHEN a.attinhcount > 0 AND (NOT a.attislocal OR a.relispartition)
				   THEN ARRAY['inherited', 't'] END,
		   NULL, NULL, 'COLUMN ' || a.relq || '.' || quote_ident(a.attname),
		   NULL, a.attacl::text, NULL, 'TABLE ' || a.relq
	FROM col a
	JOIN pg_type ty ON ty.oid = a.atttypid
	LEFT JOIN coll co ON co.oid = a.attcollation
	LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	LEFT JOIN seqcol si ON si.relid = a.attrelid AND si.attnum = a.attnum
		AND si.deptype = 'i' AND a.attidentity <> ''
	LEFT JOIN seqopt so ON so.seqrelid = si.seqoid
	LEFT JOIN rel sr ON sr.oid = si.seqoid
UNION ALL
	-- constraints of tables (a constraint trigger is described as a trigger)
	SELECT 'constraint', 'constraint ' || c.q || '.' || quote_ident(co.conname), 'table ' || c.q,
		   quote_ident(co.conname), quote_ident(co.conname),
		   'pg_constraint'::regclass, co.oid, 0,
		   ARRAY['type', co.contype::text, 'def', pg_get_constraintdef(co.oid)]
		   || CASE WHEN co.condeferrable THEN ARRAY['deferrable', 't'] END
		   || CASE WHEN co.condeferred THEN ARRAY['deferred', 't'] END
		   || CASE WHEN co.coninhcount > 0 AND (NOT co.conislocal OR c.relispartition)
				   THEN ARRAY['inherited', 't'] END,
		   NULL, NULL, format('CONSTRAINT %I ON %s', co.conname, c.q),
		   NULL, NULL, NULL, NULL
	FROM pg_constraint co JOIN rel c ON c.oid = co.conrelid AND c.k = 'table'
	WHERE co.contype IN ('p', 'u', 'f', 'c', 'x')
	  -- not the foreign keys that a foreign key to a partitioned table
	  -- makes on its own table, one per partition referenced
	  AND NOT EXISTS (SELECT FROM pg_constraint pc
					  WHERE pc.oid = co.conparentid AND pc.conrelid = co.conrelid)
UNION ALL
	-- indexes (not those of constraints)
	SELECT 'index', 'index ' || i.q, t.k || ' ' || t.q, quote_ident(i.relname), i.q,
		   'pg_class'::regclass, i.oid, 0,
		   ARRAY['def', pg_get_indexdef(i.oid)]
		   || CASE WHEN i.relispartition THEN ARRAY['inherited', 't'] END,
		   -- a partitioned table's index is made for its partitions too
		   CASE WHEN i.relkind = 'I'
				THEN regexp_replace(pg_get_indexdef(i.oid), '^(CREATE (UNIQUE )?INDEX \S+|CREATE (UNIQUE )?INDEX "([^"]|"")*") ON ONLY ', '\1 ON ')
				ELSE pg_get_indexdef(i.oid) END,
		   'DROP INDEX ' || i.q, 'INDEX ' || i.q,
		   NULL, NULL, NULL, NULL
	FROM rel i
	JOIN pg_index x ON x.indexrelid = i.oid
	JOIN rel t ON t.oid = x.indrelid AND t.k IN ('table', 'matview')
	WHERE i.k = 'index'
	  AND NOT EXISTS (SELECT FROM backing b WHERE b.indexoid = i.oid)
UNION ALL
	-- views and materialized views
	SELECT v.k, v.k || ' ' || v.q, NULL, quote_ident(v.relname), v.q,
		   'pg_class'::regclass, v.oid, 0,
		   ARRAY['def', v.def]
		   || CASE WHEN v.reloptions IS NOT NULL
				   THEN ARRAY['options', array_to_string(v.reloptions, ', ')] END
		   || ARRAY['columns', vc.list],
		   CASE v.k WHEN 'view' THEN 'CREATE VIEW ' ELSE 'CREATE MATERIALIZED VIEW ' END
		   || v.q || coalesce(' WITH (' || array_to_string(v.reloptions, ', ') || ')', '')
		   || E' AS\n' || v.def,
		   CASE v.k WHEN 'view' THEN 'DROP VIEW ' ELSE 'DROP MATERIALIZED VIEW ' END || v.q,
		   CASE v.k WHEN 'view' THEN 'VIEW ' ELSE 'MATERIALIZED VIEW ' END || v.q,
		   v.relowner, v.relacl::text,
		   CASE v.k WHEN 'view' THEN 'VIEW ' ELSE 'MATERIALIZED VIEW ' END || v.q,
		   'TABLE ' || v.q
	FROM (SELECT c.*, regexp_replace(pg_get_viewdef(c.oid, true), ';\s*$', '') AS def
		  FROM rel c WHERE c.k IN ('view', 'matview')) v
	LEFT JOIN (
		SELECT a.attrelid,
			   string_agg(format('%I %s', a.attname, format_type(a.atttypid, a.atttypmod)),
						  ', ' ORDER BY a.attnum) AS list
		FROM pg_attribute a JOIN rel c ON c.oid = a.attrelid AND c.k IN ('view', 'matview')
		WHERE a.attnum > 0 AND NOT a.attisdropped
		GROUP BY a.attrelid
	) vc ON vc.attrelid = v.oid
UNION ALL
	-- functions and procedures (not aggregates)
	SELECT 'function', 'function ' || p.q || '(' || p.args || ')', NULL,
		   quote_ident(p.proname), p.q,
		   'pg_proc'::regclass, p.oid, 0,
		   ARRAY['def', p.def]
		   || CASE WHEN p.result IS NOT NULL THEN ARRAY['result', p.result] END
		   || ARRAY['kind', p.prokind::text],
		   p.def,
		   'DROP ' || p.what || ' ' || p.q || '(' || p.args || ')',
		   p.what || ' ' || p.q || '(' || p.args || ')',
		   p.proowner, p.proacl::text,
		   p.what || ' ' || p.q || '(' || p.args || ')',
		   p.what || ' ' || p.q || '(' || p.args || ')'
	FROM (SELECT p.oid, p.proname, p.prokind, p.proowner, p.proacl,
				 ns.q || '.' || quote_ident(p.proname) AS q,
				 pg_get_function_identity_arguments(p.oid) AS args,
				 regexp_replace(pg_get_functiondef(p.oid), '[;[:space:]]+$', '') AS def,
				 pg_get_function_result(p.oid) AS result,
				 CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END AS what
		  FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
		  WHERE p.prokind IN ('f', 'p', 'w')
			AND NOT EXISTS (SELECT FROM xmem x
							WHERE x.classid = 'pg_proc'::regclass AND x.objid = p.oid)
			-- nor the constructors that belong to a range or multirange type
			AND NOT EXISTS (SELECT FROM pg_depend d
							WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
							  AND d.deptype = 'i')) p
UNION ALL
	-- triggers (constraint triggers too; not the internal ones)
	SELECT 'trigger', 'trigger ' || c.q || '.' || quote_ident(tg.tgname), c.k || ' ' || c.q,
		   quote_ident(tg.tgname), quote_ident(tg.tgname),
		   'pg_trigger'::regclass, tg.oid, 0,
		   ARRAY['def', pg_get_triggerdef(tg.oid)]
		   || CASE WHEN tg.tgparentid <> 0 THEN ARRAY['inherited', 't'] END,
		   pg_get_triggerdef(tg.oid),
		   format('DROP TRIGGER %I ON %s', tg.tgname, c.q),
		   format('TRIGGER %I ON %s', tg.tgname, c.q),
		   NULL, NULL, NULL, NULL
	FROM pg_trigger tg JOIN rel c ON c.oid = tg.tgrelid AND c.k IN ('table', 'view', 'matview')
	WHERE NOT tg.tgisinternal
UNION ALL
	-- row-level security policies
	SELECT 'policy', 'policy ' || p.relq || '.' || quote_ident(p.polname), 'table ' || p.relq,
		   quote_ident(p.polname), quote_ident(p.polname),
		   'pg_policy'::regclass, p.oid, 0,
		   ARRAY['def', p.def], p.def,
		   format('DROP POLICY %I ON %s', p.polname, p.relq),
		   format('POLICY %I ON %s', p.polname, p.relq),
		   NULL, NULL, NULL, NULL
	FROM (SELECT pol.oid, pol.polname, c.q AS relq,
				 format('CREATE POLICY %I ON %s AS %s FOR %s TO %s', pol.polname, c.q,
						CASE WHEN pol.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END,
						CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT'
						WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END,
						CASE WHEN pol.polroles = '{0}' THEN 'PUBLIC'
						ELSE (SELECT string_agg(r.oid::regrole::text, ', '
												ORDER BY r.oid::regrole::text COLLATE "C")
							  FROM unnest(pol.polroles) r(oid)) END)
				 || coalesce(' USING (' || pg_get_expr(pol.polqual, pol.polrelid) || ')', '')
				 || coalesce(' WITH CHECK (' || pg_get_expr(pol.polwithcheck, pol.polrelid) || ')', '')
				 AS def
		  FROM pg_policy pol JOIN rel c ON c.oid = pol.polrelid AND c.k = 'table') p
),
/*
 * Where pg_depend's addresses lead: an object's own address, and those of
 * the parts and companions that pg_depend names in its stead (a column
 * default, a view's rule, a domain's constraints, a constraint trigger's
 * constraint, a constraint's index, a table's row type, a composite
 * type's relation, a range's multirange).  An address with a sub-object
 * (a column) that is not an object of its own leads to its relation.
 */
addr (cls, oid, sub, id, kind) AS (
	SELECT o.cls, o.oid, o.sub, o.id, o.kind FROM obj o
UNION ALL
	SELECT 'pg_attrdef'::regclass, ad.oid, 0,
		   'column ' || a.relq || '.' || quote_ident(a.attname), 'column'
	FROM pg_attrdef ad JOIN col a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
UNION ALL
	SELECT 'pg_rewrite'::regclass, r.oid, 0, c.k || ' ' || c.q, c.k
	FROM pg_rewrite r JOIN rel c ON c.oid = r.ev_class AND c.k IN ('view', 'matview')
	WHERE r.rulename = '_RETURN'
UNION ALL
	SELECT 'pg_constraint'::regclass, co.oid, 0, t.k || ' ' || t.q, t.k
	FROM pg_constraint co JOIN typ t ON t.oid = co.contypid
UNION ALL
	SELECT 'pg_constraint'::regclass, tg.tgconstraint, 0, o.id, o.kind
	FROM pg_trigger tg JOIN obj o ON o.cls = 'pg_trigger'::regclass AND o.oid = tg.oid
	WHERE tg.tgconstraint <> 0
UNION ALL
	SELECT 'pg_class'::regclass, b.indexoid, 0, o.id, o.kind
	FROM backing b JOIN obj o ON o.cls = 'pg_constraint'::regclass AND o.oid = b.conoid
UNION ALL
	SELECT 'pg_type'::regclass, c.reltype, 0, c.k || ' ' || c.q, c.k
	FROM rel c WHERE c.k IN ('table', 'view', 'matview') AND c.reltype <> 0
UNION ALL
	SELECT 'pg_class'::regclass, t.typrelid, 0, 'composite ' || t.q, 'composite'
	FROM typ t WHERE t.k = 'composite'
UNION ALL
	SELECT 'pg_type'::regclass, (to_jsonb(r) ->> 'rngmultitypid')::oid, 0, 'range ' || t.q, 'range'
	FROM pg_range r JOIN typ t ON t.oid = r.rngtypid
	WHERE (to_jsonb(r) ->> 'rngmultitypid') IS NOT NULL
),
-- dependencies as catalog addresses: pg_depend's normal and automatic
-- ones, and those the differ needs that it does not record
edge (cls, oid, sub, refcls, refoid, refsub) AS (
	SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid
	FROM pg_depend d
	WHERE d.deptype IN ('n', 'a')
UNION ALL
	-- a column's type (a composite type's attributes' too)
	SELECT 'pg_class'::regclass, a.attrelid, a.attnum, 'pg_type'::regclass, a.atttypid, 0
	FROM pg_attribute a JOIN rel c ON c.oid = a.attrelid AND c.k IN ('table', 'composite')
	WHERE a.attnum > 0 AND NOT a.attisdropped
UNION ALL
	-- a domain's base type
	SELECT 'pg_type'::regclass, t.oid, 0, 'pg_type'::regclass, t.typbasetype, 0
	FROM typ t WHERE t.k = 'domain'
UNION ALL
	-- a table's partition parent and inheritance parents; an index's
	-- parent index
	SELECT 'pg_class'::regclass, i.inhrelid, 0, 'pg_class'::regclass, i.inhparent, 0
	FROM pg_inherits i
UNION ALL
	-- a foreign key's referenced table and its unique constraint or index
	SELECT 'pg_constraint'::regclass, co.oid, 0, 'pg_class'::regclass, r.refoid, 0
	FROM pg_constraint co, LATERAL (VALUES (co.confrelid), (co.conindid)) r(refoid)
	WHERE co.contype = 'f'
UNION ALL
	-- a partition's constraint cloned from its parent's
	SELECT 'pg_constraint'::regclass, co.oid, 0, 'pg_constraint'::regclass, co.conparentid, 0
	FROM pg_constraint co WHERE co.conparentid <> 0
UNION ALL
	-- a trigger's function, and the parent's trigger it was cloned from
	SELECT 'pg_trigger'::regclass, tg.oid, 0, r.refcls, r.refoid, 0
	FROM pg_trigger tg,
		 LATERAL (VALUES ('pg_proc'::regclass::oid, tg.tgfoid),
						 ('pg_trigger'::regclass::oid, tg.tgparentid)) r(refcls, refoid)
	WHERE NOT tg.tgisinternal AND r.refoid <> 0
),
-- depending on a column is depending on its relation too (a view's rule
-- records the columns it reads, not their tables)
edges AS (
	SELECT * FROM edge
UNION ALL
	SELECT e.cls, e.oid, e.sub, e.refcls, e.refoid, 0
	FROM edge e WHERE e.refcls = 'pg_class'::regclass AND e.refsub <> 0
),
-- an array type stands for its element type
arr AS (
	SELECT a.oid, a.typelem AS elem
	FROM pg_type a JOIN pg_type e ON e.oid = a.typelem AND e.typarray = a.oid
),
-- each edge between two described objects: the referenced one a row, or
-- the extension whose member it is
dep AS (
	SELECT DISTINCT coalesce(d1.id, d0.id) AS id, coalesce(r1.id, xo.id) AS ref,
		   coalesce(d1.kind, d0.kind) AS kind, coalesce(r1.kind, 'extension') AS refkind
	FROM edges e
	LEFT JOIN addr d1 ON d1.cls = e.cls AND d1.oid = e.oid AND d1.sub = e.sub
	LEFT JOIN addr d0 ON d0.cls = e.cls AND d0.oid = e.oid AND d0.sub = 0 AND e.sub <> 0
	LEFT JOIN arr ON e.refcls = 'pg_type'::regclass AND arr.oid = e.refoid
	LEFT JOIN addr r1 ON r1.cls = e.refcls AND r1.oid = coalesce(arr.elem, e.refoid)
		AND r1.sub = e.refsub
	LEFT JOIN xmem x ON x.classid = e.refcls AND x.objid = coalesce(arr.elem, e.refoid)
	LEFT JOIN obj xo ON xo.cls = 'pg_extension'::regclass AND xo.oid = x.extoid
	WHERE coalesce(d1.id, d0.id) IS NOT NULL
	  AND coalesce(r1.id, xo.id) IS NOT NULL
),
deps AS (
	SELECT d.id, array_agg(d.ref ORDER BY d.ref COLLATE "C") AS deps
	FROM (SELECT dep.id, dep.ref FROM dep
		  WHERE dep.ref <> dep.id
			-- a sequence does not depend on its owning column or its
			-- table (the column's default depends on the sequence)
			AND NOT (dep.kind = 'sequence' AND dep.refkind IN ('column', 'table'))
		  UNION
		  SELECT o.id, o.parent FROM obj o WHERE o.parent IS NOT NULL) d
	GROUP BY d.id
)
SELECT o.kind, o.id, o.parent, o.name, o.qname,
	   coalesce(d.deps, '{}'),
	   o.attrs
	   || CASE WHEN ds.description IS NOT NULL THEN ARRAY['comment', ds.description] END
	   || ARRAY['comment_on', o.comment_on]
	   || CASE WHEN $1 THEN
			  CASE WHEN o.owner IS NOT NULL THEN ARRAY['owner', o.owner::regrole::text] END
			  || CASE WHEN o.acl IS NOT NULL THEN ARRAY['acl', o.acl] END
			  || CASE WHEN o.alter_target IS NOT NULL THEN ARRAY['alter_target', o.alter_target] END
			  || CASE WHEN o.grant_target IS NOT NULL THEN ARRAY['grant_target', o.grant_target] END
		  END,
	   o.create_sql, o.drop_sql
FROM obj o
LEFT JOIN deps d ON d.id = o.id
LEFT JOIN pg_description ds ON ds.objoid = o.oid AND ds.classoid = o.cls AND ds.objsubid = o.sub
ORDER BY o.id COLLATE "C"
$fn$;
COMMENT ON FUNCTION pgmig.describe(boolean) IS
	'the schema''s objects, one row each, as the autogenerate differ compares them (common/pgmig_diff.h); with privileges, their owners and grants too';

/*
 * Autogenerate: pgmig.load_schema() loads a schema file (pg_dump
 * --schema-only output as it is, or DDL written by hand) into the current
 * database, the client's shadow database, where pgmig.describe() reads it.
 * Its statements run one by one in the caller's transaction, with the
 * caller's rights; an error names the file and the line.  Ownership and
 * privileges (ALTER ... OWNER TO, GRANT, REVOKE, SET ROLE) are skipped
 * unless asked for, since the shadow's server may lack the roles.
 */
CREATE FUNCTION pgmig.load_schema(file_name text, script text, privileges boolean DEFAULT false)
	RETURNS integer
	AS 'MODULE_PATHNAME', 'pgmig_load_schema' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION pgmig.load_schema(text, text, boolean) IS
	'run a schema file''s statements in this transaction (ownership and grants only with privileges); returns how many ran';
REVOKE EXECUTE ON FUNCTION pgmig.load_schema(text, text, boolean) FROM PUBLIC;

/*
 * The same for the files of a schema (a file, or a folder's files in
 * order), committing after each statement as psql runs a file, so that a
 * schema of thousands of tables holds the locks of one statement at a
 * time: autogenerate loads it while it applies the migrations in another
 * shadow, and the two must not exhaust the lock table between them.
 * RESET ALL follows each file.  CALL it outside a transaction block.
 */
CREATE PROCEDURE pgmig.load_schema_each(file_names text[], scripts text[], privileges boolean DEFAULT false)
	AS 'MODULE_PATHNAME', 'pgmig_load_schema_each' LANGUAGE C;
COMMENT ON PROCEDURE pgmig.load_schema_each(text[], text[], boolean) IS
	'run the statements of schema files in order, each in a transaction of its own, RESET ALL after each file (ownership and grants only with privileges)';
REVOKE EXECUTE ON PROCEDURE pgmig.load_schema_each(text[], text[], boolean) FROM PUBLIC;

/*
 * Drift tracking that costs what changed (issue 14).  The latest
 * snapshot's objects are kept one row each, with the catalog row each one
 * comes from.  While pgmig runs (in a catalog section, or in a session
 * holding the migration lock: the client's no-transaction statements),
 * the DDL event triggers note in pgmig.snapshot_pending what each command
 * touched, in the command's transaction; at the run's end the objects
 * those are part of, and for renames the objects that name them, are
 * hashed again (pgmig.update_map()).  The whole schema is hashed again
 * only when something could not be seen: DDL outside pgmig since the last
 * snapshot, a command the event triggers do not report, drift tracking
 * switched off meanwhile, a new map (after an update or a restore), or on
 * demand (mig_drift(), mig_fingerprint(), check --drift).  A run records its
 * snapshot (the fingerprint, one row of pgmig.snapshots) once, at its end.
 */
CREATE TABLE pgmig.snapshot_objects (
	key text COLLATE "C" PRIMARY KEY,	-- kind and name, as in object_map()
	hash text NOT NULL,
	classid oid NOT NULL,		-- the catalog row of the object
	objid oid NOT NULL,
	owner oid NOT NULL			-- an index's or a sequence's table, else 0
);
CREATE INDEX ON pgmig.snapshot_objects (objid, classid);
-- a table's indexes and sequences can go without being reported (DROP
-- IDENTITY, an index rebuilt): they are hashed again with it
CREATE INDEX ON pgmig.snapshot_objects (owner) WHERE owner <> 0;
COMMENT ON TABLE pgmig.snapshot_objects IS
	'the objects of the latest snapshot, with their hashes: what drift is measured against';
GRANT SELECT ON pgmig.snapshot_objects TO PUBLIC;
-- a restore brings the rows back; their object ids are checked (map_valid)
SELECT pg_catalog.pg_extension_config_dump('pgmig.snapshot_objects', '');

CREATE TABLE pgmig.snapshot_pending (
	classid oid NOT NULL,		-- 0: hash the whole schema again
	objid oid NOT NULL,
	renamed boolean NOT NULL	-- objects that name it must be hashed again too
);
COMMENT ON TABLE pgmig.snapshot_pending IS
	'objects a run touched since the map was last brought up to date';
GRANT SELECT ON pgmig.snapshot_pending TO PUBLIC;	-- drift leaves them out

ALTER TABLE pgmig.status_cache
	-- pgmig.snapshot_objects is the latest snapshot's map, by object id
	ADD COLUMN map_valid boolean NOT NULL DEFAULT false,
	-- the map changed since the latest snapshot row: the action to record
	ADD COLUMN unrecorded text;

-- The settled part of the catalog: the revisions up to settled_sortkey in
-- version order are applied, complete, registered and unchanged, and their
-- parents are settled too.  Planning an upgrade reads only the revisions
-- after it, settled_last, and the settled ones that have no settled child
-- (settled_frontier), instead of the whole history; NULL: read everything.
-- Kept by the functions that change the catalog, cleared with the status.
ALTER TABLE pgmig.status_cache
	ADD COLUMN settled_last text,
	ADD COLUMN settled_sortkey text,
	ADD COLUMN settled_frontier text[];
-- revisions after a version, in version order: sort keys have no leading
-- zeros, so a longer one is larger
CREATE INDEX revisions_version_order ON pgmig.revisions
	(pg_catalog.length(sortkey), (sortkey COLLATE "C"));

/*
 * The schema's objects as pgmig.schema_objects() hashes them, with the
 * catalog row of each, all of them or those listed (classids[i],
 * objids[i]).  Each definition is read per object, so hashing a few of a
 * large schema costs a few.  The query is planned at each call (once per
 * run), for the list and the schema as they are then: a plan kept from a
 * smaller schema, earlier in the run, would be a poor one.
 */
CREATE FUNCTION pgmig.object_hashes(classids oid[], objids oid[])
	RETURNS TABLE (classid oid, objid oid, owner oid, kind text, object text, hash text)
	LANGUAGE plpgsql STABLE
	SET search_path = pg_catalog, pg_temp
	SET jit = off
	SET plan_cache_mode = force_custom_plan
AS $fn$
BEGIN
RETURN QUERY
WITH wanted AS (
	SELECT u.c, u.o FROM unnest(classids, objids) u(c, o)
),
ns AS (
	SELECT n.oid, n.nspname, n.nspacl
	FROM pg_namespace n
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'pgmig')
	  AND n.nspname !~ '^pg_(toast_)?temp_'
	  AND NOT EXISTS (SELECT FROM pg_depend d
					  WHERE d.classid = 'pg_namespace'::regclass
						AND d.objid = n.oid AND d.deptype = 'e')
),
-- the relations, functions and types to hash: every one, or those listed
-- (looked up by id, so that a few cost a few)
rels AS (
	SELECT c.*, ns.nspname
	FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
	WHERE classids IS NULL
UNION ALL
	SELECT c.*, ns.nspname
	FROM (SELECT DISTINCT w.o FROM wanted w WHERE w.c = 'pg_class'::regclass) w
	JOIN pg_class c ON c.oid = w.o
	JOIN ns ON ns.oid = c.relnamespace
),
procs AS (
	SELECT p.*, ns.nspname
	FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
	WHERE classids IS NULL
UNION ALL
	SELECT p.*, ns.nspname
	FROM (SELECT DISTINCT w.o FROM wanted w WHERE w.c = 'pg_proc'::regclass) w
	JOIN pg_proc p ON p.oid = w.o
	JOIN ns ON ns.oid = p.pronamespace
),
types AS (
	SELECT t.*, ns.nspname
	FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
	WHERE classids IS NULL
UNION ALL
	SELECT t.*, ns.nspname
	FROM (SELECT DISTINCT w.o FROM wanted w WHERE w.c = 'pg_type'::regclass) w
	JOIN pg_type t ON t.oid = w.o
	JOIN ns ON ns.oid = t.typnamespace
),
defs (classid, objid, owner, kind, object, def) AS (
	SELECT 'pg_namespace'::regclass::oid, ns.oid, 0::oid, 'schema', format('%I', ns.nspname),
		   coalesce(ns.nspacl::text, '')
	FROM ns
	WHERE classids IS NULL OR ns.oid IN (SELECT w.o FROM wanted w
										  WHERE w.c = 'pg_namespace'::regclass)
UNION ALL
	SELECT 'pg_class'::regclass::oid, c.oid,
		   coalesce(CASE WHEN c.relkind IN ('i', 'I')
						 THEN (SELECT i.indrelid FROM pg_index i WHERE i.indexrelid = c.oid)
						 WHEN c.relkind = 'S'
						 THEN (SELECT d.refobjid FROM pg_depend d
							   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
								 AND d.refclassid = 'pg_class'::regclass
								 AND d.deptype IN ('a', 'i') LIMIT 1) END, 0),
		   CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
		   WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
		   WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence'
		   WHEN 'c' THEN 'type' ELSE 'index' END,
		   format('%I.%I', c.nspname, c.relname),
		   CASE WHEN c.relkind IN ('i', 'I') THEN pg_get_indexdef(c.oid)
		   ELSE concat_ws(E'\n',
			concat(c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity),
			c.reloptions::text, c.relacl::text,
			pg_get_expr(c.relpartbound, c.oid),
			CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
			(SELECT string_agg(format('%I %s%s%s%s%s', a.attname,
									  format_type(a.atttypid, a.atttypmod),
									  CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
									  ' default ' || pg_get_expr(ad.adbin, ad.adrelid),
									  ' identity ' || nullif(a.attidentity, '')::text,
									  ' generated ' || nullif(a.attgenerated, '')::text),
							   ', ' ORDER BY a.attnum)
			 FROM pg_attribute a
			 LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
			 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped),
			(SELECT string_agg(format('%I %s', co.conname, pg_get_constraintdef(co.oid)),
							   ', ' ORDER BY co.conname)
			 FROM pg_constraint co WHERE co.conrelid = c.oid),
			(SELECT string_agg(pg_get_triggerdef(t.oid), ', ' ORDER BY t.tgname)
			 FROM pg_trigger t WHERE t.tgrelid = c.oid AND NOT t.tgisinternal),
			(SELECT string_agg(format('%I %s %s %s %s %s', p.polname, p.polcmd, p.polpermissive,
									  p.polroles::regrole[]::text,
									  pg_get_expr(p.polqual, p.polrelid),
									  pg_get_expr(p.polwithcheck, p.polrelid)),
							   ', ' ORDER BY p.polname)
			 FROM pg_policy p WHERE p.polrelid = c.oid),
			(SELECT string_agg(pg_get_ruledef(r.oid), ', ' ORDER BY r.rulename)
			 FROM pg_rewrite r WHERE r.ev_class = c.oid AND r.rulename <> '_RETURN'),
			(SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)
			 FROM pg_inherits i WHERE i.inhrelid = c.oid),
			CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
			CASE WHEN c.relkind = 'S' THEN
			(SELECT concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement,
							  s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
			 FROM pg_sequence s WHERE s.seqrelid = c.oid) END)
		   END
	FROM rels c
	WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c', 'i', 'I')
	  -- (a subplan, not a join: a lookup by id for each, as most calls
	  -- hash a few objects and the plan is generic)
	  AND NOT (SELECT EXISTS (SELECT FROM pg_depend d
							  WHERE d.classid = 'pg_class'::regclass
								AND d.objid = c.oid AND d.deptype = 'e'))
UNION ALL
	SELECT 'pg_proc'::regclass::oid, p.oid, 0::oid,
		   CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
		   ELSE 'function' END,
		   format('%I.%I(%s)', p.nspname, p.proname,
				  pg_get_function_identity_arguments(p.oid)),
		   concat_ws(E'\n', p.proacl::text,
					 CASE WHEN p.prokind = 'a'
					 THEN (SELECT concat_ws(' ', ag.aggtransfn, ag.aggfinalfn, ag.aggtranstype::regtype,
											ag.agginitval)
						   FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid)
					 ELSE pg_get_functiondef(p.oid) END)
	FROM procs p
	WHERE NOT (SELECT EXISTS (SELECT FROM pg_depend d
							  WHERE d.classid = 'pg_proc'::regclass
								AND d.objid = p.oid AND d.deptype = 'e'))
UNION ALL
	SELECT 'pg_type'::regclass::oid, t.oid, 0::oid,
		   CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
		   WHEN 'r' THEN 'range' ELSE 'type' END,
		   format('%I.%I', t.nspname, t.typname),
		   concat_ws(E'\n', t.typacl::text,
			CASE t.typtype
			WHEN 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder)
						   FROM pg_enum e WHERE e.enumtypid = t.oid)
			WHEN 'd' THEN concat_ws(' ', format_type(t.typbasetype, t.typtypmod), t.typnotnull,
									t.typdefault,
									(SELECT string_agg(format('%I %s', co.conname, pg_get_constraintdef(co.oid)),
													   ', ' ORDER BY co.conname)
									 FROM pg_constraint co WHERE co.contypid = t.oid))
			WHEN 'r' THEN (SELECT concat_ws(' ', r.rngsubtype::regtype, r.rngsubopc, r.rngcollation,
											r.rngcanonical, r.rngsubdiff)
						   FROM pg_range r WHERE r.rngtypid = t.oid)
			ELSE concat_ws(' ', t.typinput, t.typoutput, t.typlen, t.typalign, t.typstorage)
			END)
	FROM types t
	WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'b' AND t.typcategory <> 'A'))
	  AND NOT (SELECT EXISTS (SELECT FROM pg_depend d
							  WHERE d.classid = 'pg_type'::regclass
								AND d.objid = t.oid AND d.deptype = 'e'))
UNION ALL
	SELECT 'pg_extension'::regclass::oid, x.oid, 0::oid, 'extension', format('%I', x.extname),
		   concat_ws(' ', x.extversion, x.extnamespace::regnamespace)
	FROM pg_extension x
	WHERE x.extname <> 'pgmig'
	  AND (classids IS NULL OR x.oid IN (SELECT w.o FROM wanted w
										  WHERE w.c = 'pg_extension'::regclass))
UNION ALL
	SELECT 'pg_event_trigger'::regclass::oid, e.oid, 0::oid, 'event trigger', format('%I', e.evtname),
		   concat_ws(' ', e.evtevent, e.evtfoid::regproc, e.evtenabled, e.evttags::text)
	FROM pg_event_trigger e
	WHERE (classids IS NULL OR e.oid IN (SELECT w.o FROM wanted w
										  WHERE w.c = 'pg_event_trigger'::regclass))
	  AND NOT EXISTS (SELECT FROM pg_depend d
					  WHERE d.classid = 'pg_event_trigger'::regclass
						AND d.objid = e.oid AND d.deptype = 'e')
)
SELECT d.classid, d.objid, d.owner, d.kind, d.object,
	   encode(sha256(convert_to(d.def, 'UTF8')), 'hex')
FROM defs d;
END
$fn$;
COMMENT ON FUNCTION pgmig.object_hashes(oid[], oid[]) IS
	'the objects of the schema (all, or those listed by catalog and id), each with a hash of its definition';

-- one definition of the hashes: schema_objects() is object_hashes() of all
CREATE OR REPLACE FUNCTION pgmig.schema_objects()
	RETURNS TABLE (kind text, object text, hash text)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	SET jit = off
AS $fn$
	SELECT o.kind, o.object, o.hash FROM pgmig.object_hashes(NULL, NULL) o
$fn$;

/*
 * The objects of the map that what a run touched (pgmig.snapshot_pending)
 * may have changed: the objects touched and what is part of them, and for
 * a rename the objects that depend on them, whose definitions name them;
 * each as the object of the map it is or is part of; with a table, the
 * indexes and sequences the map has for it (DROP IDENTITY, an index
 * rebuilt: they go without a report).
 */
CREATE FUNCTION pgmig.pending_objects()
	RETURNS TABLE (classid oid, objid oid)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $fn$
WITH RECURSIVE p AS (
	SELECT DISTINCT q.classid, q.objid, q.renamed FROM pgmig.snapshot_pending q
	WHERE q.classid <> 0
),
-- a relation's or a type's row and array types: columns and functions use them
x AS (
	SELECT p.classid, p.objid, p.renamed FROM p
UNION
	SELECT 'pg_type'::regclass::oid, v.t, p.renamed
	FROM p JOIN pg_class c ON c.oid = p.objid
	JOIN pg_type rt ON rt.oid = c.reltype,
		 LATERAL (VALUES (rt.oid), (rt.typarray)) v(t)
	WHERE p.classid = 'pg_class'::regclass AND v.t <> 0
UNION
	SELECT 'pg_type'::regclass::oid, t.typarray, p.renamed
	FROM p JOIN pg_type t ON t.oid = p.objid
	WHERE p.classid = 'pg_type'::regclass AND t.typarray <> 0
),
-- what is part of them, however deep (a range's multirange and its
-- constructors)
parts (classid, objid, renamed) AS (
	SELECT x.classid, x.objid, x.renamed FROM x
UNION
	SELECT d.classid, d.objid, parts.renamed
	FROM parts JOIN pg_depend d ON d.refclassid = parts.classid AND d.refobjid = parts.objid
	WHERE d.deptype = 'i'
),
-- what belongs to them (indexes, sequences, partitions, constraints),
-- and for a rename what depends on them
touched AS (
	SELECT parts.classid, parts.objid FROM parts
UNION
	SELECT d.classid, d.objid
	FROM parts JOIN pg_depend d ON d.refclassid = parts.classid AND d.refobjid = parts.objid
	WHERE d.deptype IN ('a', 'P', 'S') OR (parts.renamed AND d.deptype = 'n')
),
-- the objects of the map those are, or are part of
owners (classid, objid) AS (
	SELECT t.classid, t.objid FROM touched t
UNION
	SELECT 'pg_class'::regclass::oid, i.indrelid
	FROM touched t JOIN pg_index i ON i.indexrelid = t.objid
	WHERE t.classid = 'pg_class'::regclass
UNION
	SELECT 'pg_class'::regclass::oid, ty.typrelid
	FROM touched t JOIN pg_type ty ON ty.oid = t.objid
	WHERE t.classid = 'pg_type'::regclass AND ty.typrelid <> 0
UNION
	SELECT v.c, v.o
	FROM touched t JOIN pg_constraint co ON co.oid = t.objid,
		 LATERAL (VALUES ('pg_class'::regclass::oid, co.conrelid),
						 ('pg_type'::regclass::oid, co.contypid),
						 ('pg_class'::regclass::oid, co.conindid)) v(c, o)
	WHERE t.classid = 'pg_constraint'::regclass AND v.o <> 0
UNION
	SELECT 'pg_class'::regclass::oid, tg.tgrelid
	FROM touched t JOIN pg_trigger tg ON tg.oid = t.objid
	WHERE t.classid = 'pg_trigger'::regclass
UNION
	SELECT 'pg_class'::regclass::oid, pol.polrelid
	FROM touched t JOIN pg_policy pol ON pol.oid = t.objid
	WHERE t.classid = 'pg_policy'::regclass
UNION
	SELECT 'pg_class'::regclass::oid, r.ev_class
	FROM touched t JOIN pg_rewrite r ON r.oid = t.objid
	WHERE t.classid = 'pg_rewrite'::regclass
UNION
	SELECT 'pg_class'::regclass::oid, ad.adrelid
	FROM touched t JOIN pg_attrdef ad ON ad.oid = t.objid
	WHERE t.classid = 'pg_attrdef'::regclass
)
SELECT w.classid, w.objid FROM owners w
UNION
SELECT s.classid, s.objid
FROM owners w JOIN pgmig.snapshot_objects s ON s.owner = w.objid
WHERE w.classid = 'pg_class'::regclass AND s.owner <> 0
$fn$;
COMMENT ON FUNCTION pgmig.pending_objects() IS
	'the objects of the map that what a run touched may have changed';

/*
 * Bring the map up to date with what the run touched
 * (pgmig.snapshot_pending), or hash the whole schema again when something
 * could not be seen (see above).  Called once at a run's end, by
 * pgmig.record_snapshot(): the pending rows are written with the DDL, in
 * its transaction, so a run cut short leaves them for the next one, and
 * drift leaves them out meanwhile.  With full_only, at a run's start
 * (after the drift warning): only the whole schema, if it must be, so
 * that the run's pending rows are measured against a map of its own.
 * Reading a definition locks its table briefly (pg_get_indexdef()); a
 * table another session keeps locked for over a second leaves the map
 * as it was, for the next run: false.  The map and the pending rows are
 * written only by this function and the event trigger, as the
 * extension's owner; the roles that record migrations may call it
 * (granted as pgmig.record_snapshot() is), and no one else, as hashing
 * the whole schema again takes in what drifted.
 */
CREATE FUNCTION pgmig.update_map(full_only boolean DEFAULT false) RETURNS boolean
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	SET lock_timeout = '1s'
AS $fn$
DECLARE
	cls oid[];
	objs oid[];
	whole boolean;
BEGIN
	whole := EXISTS (SELECT FROM pgmig.status_cache c WHERE NOT c.map_valid OR c.schema_changed)
			 OR EXISTS (SELECT FROM pgmig.snapshot_pending p WHERE p.classid = 0);
	IF NOT whole AND NOT full_only THEN
		SELECT array_agg(o.classid), array_agg(o.objid) INTO cls, objs
		FROM pgmig.pending_objects() o;
		IF cls IS NULL THEN
			RETURN true;
		END IF;
		-- a run that touched much of a large schema: hashing it all is
		-- cheaper than looking each one up
		whole := cardinality(cls) > 500
				 AND cardinality(cls) > (SELECT count(*) FROM pgmig.snapshot_objects) / 4;
	END IF;
	IF whole THEN
		DELETE FROM pgmig.snapshot_pending;
		DELETE FROM pgmig.snapshot_objects;
		INSERT INTO pgmig.snapshot_objects (key, hash, classid, objid, owner)
		SELECT o.kind || ' ' || o.object, o.hash, o.classid, o.objid, o.owner
		FROM pgmig.object_hashes(NULL, NULL) o;
		UPDATE pgmig.snapshots SET objects = NULL WHERE objects IS NOT NULL;
		UPDATE pgmig.status_cache SET map_valid = true, schema_changed = false;
		RETURN true;
	END IF;
	IF full_only THEN
		RETURN true;
	END IF;

	DELETE FROM pgmig.snapshot_pending;
	DELETE FROM pgmig.snapshot_objects s
	USING unnest(cls, objs) u(c, o)
	WHERE s.objid = u.o AND s.classid = u.c;
	INSERT INTO pgmig.snapshot_objects (key, hash, classid, objid, owner)
	SELECT o.kind || ' ' || o.object, o.hash, o.classid, o.objid, o.owner
	FROM pgmig.object_hashes(cls, objs) o
	ON CONFLICT (key) DO UPDATE
		SET hash = excluded.hash, classid = excluded.classid, objid = excluded.objid,
			owner = excluded.owner;
	RETURN true;
EXCEPTION
	-- a definition is read under a lock that another session holds (a
	-- table it keeps locked, what a run that gave up waiting touched):
	-- the map stays as it was, and what is pending waits for the next run
	WHEN lock_not_available THEN
		RETURN false;
END
$fn$;
COMMENT ON FUNCTION pgmig.update_map(boolean) IS
	'bring the latest snapshot''s objects up to date with what the run changed';

-- the snapshot after a run: the map brought up to date, and its
-- fingerprint; none (NULL) if the map could not be brought up to date
CREATE OR REPLACE FUNCTION pgmig.record_snapshot(action text) RETURNS text
	LANGUAGE plpgsql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
	fp text;
BEGIN
	IF NOT pgmig.update_map() THEN
		RETURN NULL;
	END IF;
	UPDATE pgmig.status_cache SET unrecorded = NULL;
	-- pgmig.fingerprint_of() of the map, read from its rows in key order
	INSERT INTO pgmig.snapshots (action, fingerprint)
	SELECT record_snapshot.action,
		   encode(sha256(convert_to(COALESCE(string_agg(s.key || ' ' || s.hash, E'\n'
														ORDER BY s.key), ''), 'UTF8')), 'hex')
	FROM pgmig.snapshot_objects s
	RETURNING snapshots.fingerprint INTO fp;
	RETURN fp;
END
$fn$;

-- record the snapshot of a run whose map changed since the latest one
CREATE FUNCTION pgmig.record_unrecorded() RETURNS text
	LANGUAGE sql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT pgmig.record_snapshot(coalesce(c.unrecorded, 'apply'))
	FROM pgmig.status_cache c
	WHERE c.unrecorded IS NOT NULL OR EXISTS (SELECT FROM pgmig.snapshot_pending)
$fn$;

-- changes since the latest snapshot: its map kept as rows, or (recorded
-- before 0.3.0, or at install) as its objects; what a run touched and
-- has not recorded yet (it is under way, or was cut short) is the run's,
-- not drift
CREATE OR REPLACE FUNCTION pgmig.drift(OUT change text, OUT object text, OUT since timestamptz)
	RETURNS SETOF record
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	WITH pending AS (
		SELECT p.classid, p.objid FROM pgmig.pending_objects() p
	),
	before AS (
		SELECT COALESCE(s.objects,
						(SELECT COALESCE(jsonb_object_agg(m.key, m.hash), '{}')
						 FROM pgmig.snapshot_objects m
						 WHERE NOT EXISTS (SELECT FROM pending p
										   WHERE p.classid = m.classid AND p.objid = m.objid))) AS map,
			   s.taken_at
		FROM pgmig.snapshots s ORDER BY s.snapshot_id DESC LIMIT 1
	),
	now AS (
		SELECT COALESCE(jsonb_object_agg(o.kind || ' ' || o.object, o.hash), '{}') AS map
		FROM pgmig.object_hashes(NULL, NULL) o
		WHERE (SELECT s.objects IS NOT NULL FROM pgmig.snapshots s
			   ORDER BY s.snapshot_id DESC LIMIT 1)
		   OR NOT EXISTS (SELECT FROM pending p
						  WHERE p.classid = o.classid AND p.objid = o.objid)
	)
	SELECT d.change, d.object, b.taken_at
	FROM before b, now n, pgmig.map_diff(b.map, n.map) d
	WHERE current_setting('pgmig.track_drift', true) IS DISTINCT FROM 'off'
$fn$;

/*
 * The run of this session ended (successfully or with its failure
 * logged): it records the snapshot its transactions left to record.
 */
CREATE FUNCTION pgmig.run_end() RETURNS void
	LANGUAGE sql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	DELETE FROM pgmig.runs WHERE pid = pg_backend_pid();
	SELECT pgmig.record_unrecorded()
	WHERE current_setting('pgmig.track_drift', true) IS DISTINCT FROM 'off';
$fn$;
COMMENT ON FUNCTION pgmig.run_end() IS 'note that the run of this session ended, and record its snapshot';

REVOKE EXECUTE ON FUNCTION pgmig.update_map(boolean), pgmig.record_unrecorded(),
	pgmig.run_end() FROM PUBLIC;

-- The status for programs and psql users alike: mig_status()'s line and
-- every revision as mig_revisions() gives it, as one jsonb document.
CREATE FUNCTION @extschema@.mig_status_json() RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT pg_catalog.jsonb_build_object(
		'status', @extschema@.mig_status(),
		'revisions', COALESCE((SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(r) OPERATOR(pg_catalog.-) 'ordinality'
															 ORDER BY r.ordinality)
							   FROM @extschema@.mig_revisions() WITH ORDINALITY r), '[]'::jsonb))
$fn$;
COMMENT ON FUNCTION @extschema@.mig_status_json() IS
	'mig_status() and mig_revisions() as one jsonb document';

-- Taking over the history another migration tool recorded (pgmig import):
-- the revisions it applied, recorded as stamped, each with an "import"
-- event naming the source.
ALTER TABLE pgmig.events DROP CONSTRAINT events_action_check;
ALTER TABLE pgmig.events ADD CONSTRAINT events_action_check
	CHECK (action IN ('register', 'override', 'unregister', 'apply', 'revert',
					  'stamp', 'unstamp', 'import'));
CREATE FUNCTION pgmig.import(revisions text[], source text)
	RETURNS TABLE (revision text, action text)
	AS 'MODULE_PATHNAME', 'pgmig_import' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgmig.import(text[], text) IS
	'record revisions another migration tool applied, into a database without pgmig history';
REVOKE EXECUTE ON FUNCTION pgmig.import(text[], text) FROM PUBLIC;

-- Flyway's repeatable migrations (R__<description>.sql): registered apart
-- from the revisions, having no version and no place in the graph, and
-- applied after them whenever their script is not the one last applied.
CREATE TABLE pgmig.repeatables (
	file_name text PRIMARY KEY,
	description text NOT NULL,
	script text NOT NULL,
	checksum text NOT NULL,			-- of the script as registered
	applied_checksum text,			-- of the script last applied; NULL: never
	applied_at timestamptz,
	registered_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pgmig.repeatables IS
	'repeatable migrations: applied after the revisions, again whenever they change';
SELECT pg_catalog.pg_extension_config_dump('pgmig.repeatables', '');
REVOKE ALL ON pgmig.repeatables FROM PUBLIC;
-- scripts may hold secrets: everything but their text is readable
GRANT SELECT (file_name, description, checksum, applied_checksum, applied_at,
			  registered_at)
	ON pgmig.repeatables TO PUBLIC;
CREATE FUNCTION @extschema@.mig_apply_repeatables()
	RETURNS TABLE (file_name text, description text, duration interval)
	AS 'MODULE_PATHNAME', 'pgmig_apply_repeatables' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION @extschema@.mig_apply_repeatables() IS
	'apply the repeatable migrations whose script changed since it was last applied (or never was)';
REVOKE EXECUTE ON FUNCTION @extschema@.mig_apply_repeatables() FROM PUBLIC;
CREATE FUNCTION pgmig.import_repeatables(file_names text[], source text)
	RETURNS TABLE (file_name text, action text)
	AS 'MODULE_PATHNAME', 'pgmig_import_repeatables' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgmig.import_repeatables(text[], text) IS
	'record repeatable migrations another migration tool applied as they are registered';
REVOKE EXECUTE ON FUNCTION pgmig.import_repeatables(text[], text) FROM PUBLIC;

-- roles that could record migrations keep doing so (their runs are noted
-- in pgmig.runs, their snapshots kept as rows), may load schema files,
-- and record repeatable migrations
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
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION pgmig.load_schema(text, text, boolean) TO %I', r);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON PROCEDURE pgmig.load_schema_each(text[], text[], boolean) TO %I', r);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION pgmig.update_map(boolean), pgmig.record_unrecorded() TO %I', r);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION pgmig.import(text[], text) TO %I', r);
		EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE, DELETE ON pgmig.repeatables TO %I', r);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION @extschema@.mig_apply_repeatables(), pgmig.import_repeatables(text[], text) TO %I', r);
	END LOOP;
END
$$;
