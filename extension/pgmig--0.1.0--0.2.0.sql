/* extension/pgmig--0.1.0--0.2.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmig UPDATE TO '0.2.0'" to load this file. \quit

/*
 * 0.2.0: schema fingerprints (drift, round-trip proof of down scripts),
 * and pg_dump keeps the catalog.
 */

-- pg_dump keeps the migration history: the catalog is configuration.
SELECT pg_catalog.pg_extension_config_dump('pgmig.revisions', '');
SELECT pg_catalog.pg_extension_config_dump('pgmig.schema_migrations', '');
SELECT pg_catalog.pg_extension_config_dump('pgmig.events', '');
SELECT pg_catalog.pg_extension_config_dump('pgmig.events_event_id_seq', '');

/*
 * The schema's objects (outside pgmig, the system schemas and extensions),
 * each with a hash of its definition: columns, constraints, indexes,
 * triggers, policies, rules, views, sequences, functions, types and
 * privileges.  Objects are named, not numbered, so a dump and restore
 * keeps the fingerprint.
 */
CREATE FUNCTION pgmig.schema_objects()
	RETURNS TABLE (kind text, object text, hash text)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
	SET jit = off
AS $fn$
WITH ns AS (
	SELECT n.oid, n.nspname, n.nspacl
	FROM pg_namespace n
	WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'pgmig')
	  AND n.nspname !~ '^pg_(toast_)?temp_'
	  AND NOT EXISTS (SELECT FROM pg_depend d
					  WHERE d.classid = 'pg_namespace'::regclass
						AND d.objid = n.oid AND d.deptype = 'e')
),
cols (rel, def) AS (
	SELECT a.attrelid,
		   string_agg(format('%I %s%s%s%s%s', a.attname,
							 format_type(a.atttypid, a.atttypmod),
							 CASE WHEN a.attnotnull THEN ' not null' ELSE '' END,
							 ' default ' || pg_get_expr(ad.adbin, ad.adrelid),
							 ' identity ' || nullif(a.attidentity, '')::text,
							 ' generated ' || nullif(a.attgenerated, '')::text),
					  ', ' ORDER BY a.attnum)
	FROM pg_attribute a
	JOIN pg_class c ON c.oid = a.attrelid
	JOIN ns ON ns.oid = c.relnamespace
	LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	WHERE a.attnum > 0 AND NOT a.attisdropped
	GROUP BY a.attrelid
),
cons (rel, def) AS (
	SELECT co.conrelid,
		   string_agg(format('%I %s', co.conname, pg_get_constraintdef(co.oid)),
					  ', ' ORDER BY co.conname)
	FROM pg_constraint co WHERE co.conrelid <> 0
	GROUP BY co.conrelid
),
trigs (rel, def) AS (
	SELECT t.tgrelid, string_agg(pg_get_triggerdef(t.oid), ', ' ORDER BY t.tgname)
	FROM pg_trigger t WHERE NOT t.tgisinternal
	GROUP BY t.tgrelid
),
pols (rel, def) AS (
	SELECT p.polrelid,
		   string_agg(format('%I %s %s %s %s %s', p.polname, p.polcmd, p.polpermissive,
							 p.polroles::regrole[]::text,
							 pg_get_expr(p.polqual, p.polrelid),
							 pg_get_expr(p.polwithcheck, p.polrelid)),
					  ', ' ORDER BY p.polname)
	FROM pg_policy p
	GROUP BY p.polrelid
),
rules (rel, def) AS (
	SELECT r.ev_class, string_agg(pg_get_ruledef(r.oid), ', ' ORDER BY r.rulename)
	FROM pg_rewrite r WHERE r.rulename <> '_RETURN'
	GROUP BY r.ev_class
),
inh (rel, def) AS (
	SELECT i.inhrelid, string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno)
	FROM pg_inherits i
	GROUP BY i.inhrelid
),
defs (kind, object, def) AS (
	SELECT 'schema', format('%I', ns.nspname), coalesce(ns.nspacl::text, '')
	FROM ns
UNION ALL
	SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table'
		   WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
		   WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence'
		   WHEN 'c' THEN 'type' ELSE 'index' END,
		   format('%I.%I', ns.nspname, c.relname),
		   CASE WHEN c.relkind IN ('i', 'I') THEN pg_get_indexdef(c.oid)
		   ELSE concat_ws(E'\n',
			concat(c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity),
			c.reloptions::text, c.relacl::text,
			pg_get_expr(c.relpartbound, c.oid),
			CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
			cols.def, cons.def, trigs.def, pols.def, rules.def, inh.def,
			CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END,
			CASE WHEN c.relkind = 'S' THEN
			(SELECT concat_ws(' ', s.seqtypid::regtype, s.seqstart, s.seqincrement,
							  s.seqmax, s.seqmin, s.seqcache, s.seqcycle)
			 FROM pg_sequence s WHERE s.seqrelid = c.oid) END)
		   END
	FROM pg_class c JOIN ns ON ns.oid = c.relnamespace
	LEFT JOIN cols ON cols.rel = c.oid
	LEFT JOIN cons ON cons.rel = c.oid
	LEFT JOIN trigs ON trigs.rel = c.oid
	LEFT JOIN pols ON pols.rel = c.oid
	LEFT JOIN rules ON rules.rel = c.oid
	LEFT JOIN inh ON inh.rel = c.oid
	WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c', 'i', 'I')
	  AND NOT EXISTS (SELECT FROM pg_depend d
					  WHERE d.classid = 'pg_class'::regclass
						AND d.objid = c.oid AND d.deptype = 'e')
UNION ALL
	SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate'
		   ELSE 'function' END,
		   format('%I.%I(%s)', ns.nspname, p.proname,
				  pg_get_function_identity_arguments(p.oid)),
		   concat_ws(E'\n', p.proacl::text,
					 CASE WHEN p.prokind = 'a'
					 THEN (SELECT concat_ws(' ', ag.aggtransfn, ag.aggfinalfn, ag.aggtranstype::regtype,
											ag.agginitval)
						   FROM pg_aggregate ag WHERE ag.aggfnoid = p.oid)
					 ELSE pg_get_functiondef(p.oid) END)
	FROM pg_proc p JOIN ns ON ns.oid = p.pronamespace
	WHERE NOT EXISTS (SELECT FROM pg_depend d
					  WHERE d.classid = 'pg_proc'::regclass
						AND d.objid = p.oid AND d.deptype = 'e')
UNION ALL
	SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain'
		   WHEN 'r' THEN 'range' ELSE 'type' END,
		   format('%I.%I', ns.nspname, t.typname),
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
	FROM pg_type t JOIN ns ON ns.oid = t.typnamespace
	WHERE (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'b' AND t.typcategory <> 'A'))
	  AND NOT EXISTS (SELECT FROM pg_depend d
					  WHERE d.classid = 'pg_type'::regclass
						AND d.objid = t.oid AND d.deptype = 'e')
UNION ALL
	SELECT 'extension', format('%I', x.extname),
		   concat_ws(' ', x.extversion, x.extnamespace::regnamespace)
	FROM pg_extension x WHERE x.extname <> 'pgmig'
UNION ALL
	SELECT 'event trigger', format('%I', e.evtname),
		   concat_ws(' ', e.evtevent, e.evtfoid::regproc, e.evtenabled, e.evttags::text)
	FROM pg_event_trigger e
	WHERE NOT EXISTS (SELECT FROM pg_depend d
					  WHERE d.classid = 'pg_event_trigger'::regclass
						AND d.objid = e.oid AND d.deptype = 'e')
)
SELECT kind, object, encode(sha256(convert_to(def, 'UTF8')), 'hex')
FROM defs
$fn$;
COMMENT ON FUNCTION pgmig.schema_objects() IS
	'the objects of the schema, each with a hash of its definition';

-- {"kind name": hash} for every object
CREATE FUNCTION pgmig.object_map() RETURNS jsonb
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT COALESCE(jsonb_object_agg(o.kind || ' ' || o.object, o.hash), '{}')
	FROM pgmig.schema_objects() o
$fn$;

-- one hash over an object map
CREATE FUNCTION pgmig.fingerprint_of(objects jsonb) RETURNS text
	LANGUAGE sql IMMUTABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT encode(sha256(convert_to(COALESCE(string_agg(m.key || ' ' || m.value, E'\n'
											ORDER BY m.key COLLATE "C"), ''), 'UTF8')), 'hex')
	FROM jsonb_each_text(objects) m
$fn$;

-- what changed from one object map to another
CREATE FUNCTION pgmig.map_diff(before jsonb, after jsonb)
	RETURNS TABLE (change text, object text)
	LANGUAGE sql IMMUTABLE STRICT
	SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT CASE WHEN b.key IS NULL THEN 'added'
				WHEN a.key IS NULL THEN 'removed'
				ELSE 'changed' END,
		   COALESCE(a.key, b.key)
	FROM jsonb_each_text(before) b
	FULL JOIN jsonb_each_text(after) a ON a.key = b.key
	WHERE a.value IS DISTINCT FROM b.value
	ORDER BY COALESCE(a.key, b.key) COLLATE "C"
$fn$;

-- Fingerprints of the schema taken after each run; the latest one keeps
-- its object map, to tell what drifted since.
CREATE TABLE pgmig.snapshots (
	snapshot_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	taken_at timestamptz NOT NULL DEFAULT now(),
	taken_by name NOT NULL DEFAULT current_user,
	action text NOT NULL,		-- install, apply, revert, stamp
	fingerprint text NOT NULL,
	objects jsonb				-- NULL once a newer snapshot exists
);
COMMENT ON TABLE pgmig.snapshots IS 'schema fingerprints recorded after each run';
-- CREATE EXTENSION takes the install snapshot again on restore
SELECT pg_catalog.pg_extension_config_dump('pgmig.snapshots', 'WHERE action <> ''install''');
SELECT pg_catalog.pg_extension_config_dump('pgmig.snapshots_snapshot_id_seq', '');

/*
 * The status line, kept by the functions that change the catalog so that
 * mig_status() need not load every revision.  A change made any other way
 * clears it, and mig_status() computes the line until the next change.
 */
CREATE TABLE pgmig.status_cache (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	status text,				-- NULL: compute it
	-- DDL ran outside pgmig since the last fingerprint: compute drift
	schema_changed boolean NOT NULL DEFAULT true
);
INSERT INTO pgmig.status_cache VALUES (true, NULL, true);
COMMENT ON TABLE pgmig.status_cache IS 'the status line, NULL when it must be computed';
CREATE FUNCTION pgmig.status_invalidate() RETURNS trigger
	AS 'MODULE_PATHNAME', 'pgmig_status_invalidate' LANGUAGE C;
CREATE TRIGGER status_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON pgmig.revisions
	FOR EACH STATEMENT EXECUTE FUNCTION pgmig.status_invalidate();
CREATE TRIGGER status_invalidate AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
	ON pgmig.schema_migrations
	FOR EACH STATEMENT EXECUTE FUNCTION pgmig.status_invalidate();
GRANT SELECT ON pgmig.status_cache TO PUBLIC;

/*
 * Drift is computed only when DDL ran outside pgmig since the last
 * fingerprint: an event trigger notes it.  The function only sets that
 * flag, as the extension's owner, so any role's DDL may set it.
 */
CREATE FUNCTION pgmig.ddl_seen() RETURNS event_trigger
	AS 'MODULE_PATHNAME', 'pgmig_ddl_seen' LANGUAGE C SECURITY DEFINER;
CREATE EVENT TRIGGER pgmig_ddl_seen ON ddl_command_end
	EXECUTE FUNCTION pgmig.ddl_seen();
CREATE EVENT TRIGGER pgmig_drop_seen ON sql_drop
	EXECUTE FUNCTION pgmig.ddl_seen();
REVOKE EXECUTE ON FUNCTION pgmig.ddl_seen() FROM PUBLIC;

CREATE FUNCTION pgmig.record_snapshot(action text) RETURNS text
	LANGUAGE sql VOLATILE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	UPDATE pgmig.snapshots SET objects = NULL WHERE objects IS NOT NULL;
	UPDATE pgmig.status_cache SET schema_changed = false WHERE schema_changed;
	INSERT INTO pgmig.snapshots (action, fingerprint, objects)
	SELECT $1, pgmig.fingerprint_of(m.objects), m.objects
	FROM (SELECT pgmig.object_map() AS objects) m
	RETURNING fingerprint;
$fn$;
COMMENT ON FUNCTION pgmig.record_snapshot(text) IS
	'record the schema fingerprint after a run';

-- changes since the latest snapshot
CREATE FUNCTION pgmig.drift(OUT change text, OUT object text, OUT since timestamptz)
	RETURNS SETOF record
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT d.change, d.object, s.taken_at
	FROM (SELECT * FROM pgmig.snapshots ORDER BY snapshot_id DESC LIMIT 1) s,
		 pgmig.map_diff(s.objects, pgmig.object_map()) d
	WHERE current_setting('pgmig.track_drift', true) IS DISTINCT FROM 'off'
$fn$;

CREATE FUNCTION mig_fingerprint() RETURNS text
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT pgmig.fingerprint_of(pgmig.object_map())
$fn$;
COMMENT ON FUNCTION mig_fingerprint() IS
	'one hash of the schema outside pgmig: equal hashes, equal schemas';

CREATE FUNCTION mig_drift()
	RETURNS TABLE (change text, object text, since timestamptz)
	LANGUAGE sql STABLE
	SET search_path = pg_catalog, pg_temp
AS $fn$
	SELECT * FROM pgmig.drift()
$fn$;
COMMENT ON FUNCTION mig_drift() IS
	'objects changed outside migrations since the last apply, revert or stamp';

CREATE FUNCTION mig_verify(target text DEFAULT 'heads', redo boolean DEFAULT false)
	RETURNS TABLE (revision text, source_file text, result text, detail text)
	AS 'MODULE_PATHNAME', 'pgmig_verify' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mig_verify(text, boolean) IS
	'prove down scripts: up, down, up of each pending revision (or, with redo, each applied one above target), all rolled back';

GRANT SELECT ON pgmig.snapshots TO PUBLIC;
REVOKE EXECUTE ON FUNCTION
	pgmig.record_snapshot(text),
	mig_verify(text, boolean)
	FROM PUBLIC;

-- the baseline: the schema as it is now
SELECT pgmig.record_snapshot('install');

/*
 * Roles that could record migrations under 0.1.0 keep doing so: they get
 * what 0.2.0 adds to every run (the fingerprint and the status line).
 */
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
		EXECUTE pg_catalog.format('GRANT SELECT, INSERT, UPDATE ON pgmig.snapshots TO %I', r);
		EXECUTE pg_catalog.format('GRANT UPDATE ON pgmig.status_cache TO %I', r);
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION pgmig.record_snapshot(text) TO %I', r);
	END LOOP;
END
$$;
