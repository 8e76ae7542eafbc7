/* extension/pgmig--0.1.0.sql */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION pgmig" to load this file. \quit

/*
 * The catalog lives in its own schema so that it never collides with a
 * user's table of the same name (real projects have a public.schema_migrations).
 * The functions people call go into the extension's schema (public by
 * default) so that "SELECT mig_status()" works unqualified; the helpers the
 * client calls live in schema pgmig.
 */
CREATE SCHEMA pgmig;
COMMENT ON SCHEMA pgmig IS 'pgmig migration catalog';

-- Registered revisions: the scripts, their graph edges and checksums.
CREATE TABLE pgmig.revisions (
	id text PRIMARY KEY,
	sortkey text NOT NULL UNIQUE,	-- the version's digits: one revision each
	description text NOT NULL DEFAULT '',
	parents text[],				-- NULL: the previous revision in version order
	labels text[] NOT NULL DEFAULT '{}',
	transactional boolean NOT NULL DEFAULT true,
	lock_timeout text,
	up_script text NOT NULL,
	up_line integer NOT NULL DEFAULT 1,
	down_script text,			-- NULL: irreversible
	down_line integer,
	up_checksum text NOT NULL,
	down_checksum text,
	file_checksum text NOT NULL,
	source_file text NOT NULL,
	registered_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE pgmig.revisions IS 'migration scripts known to pgmig';

-- Applied revisions: one row each.
CREATE TABLE pgmig.schema_migrations (
	id text PRIMARY KEY,
	description text NOT NULL DEFAULT '',
	checksum text,				-- up script's checksum as applied
	applied_at timestamptz NOT NULL DEFAULT now(),
	applied_by name NOT NULL DEFAULT current_user,
	duration interval,
	method text NOT NULL DEFAULT 'applied'
		CHECK (method IN ('applied', 'stamped')),
	-- a no-transaction revision runs statement by statement and may stop
	-- halfway: running/failed going up, reverting/revert_failed going down
	state text NOT NULL DEFAULT 'complete'
		CHECK (state IN ('complete', 'running', 'failed',
						 'reverting', 'revert_failed')),
	statements_done integer		-- progress of a no-transaction revision
);
COMMENT ON TABLE pgmig.schema_migrations IS 'applied migrations, one row per revision';

-- Audit log: every apply, revert, stamp, override and failure.
CREATE TABLE pgmig.events (
	event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at timestamptz NOT NULL DEFAULT clock_timestamp(),
	role name NOT NULL DEFAULT current_user,
	action text NOT NULL CHECK (action IN ('register', 'override', 'unregister',
										   'apply', 'revert', 'stamp', 'unstamp')),
	revision text,
	duration interval,
	success boolean NOT NULL DEFAULT true,
	sqlstate text,
	message text,
	pid integer NOT NULL DEFAULT pg_backend_pid()
);
COMMENT ON TABLE pgmig.events IS 'append-only audit log of pgmig actions';

CREATE FUNCTION pgmig.events_append_only() RETURNS trigger
	AS 'MODULE_PATHNAME', 'pgmig_events_append_only' LANGUAGE C;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON pgmig.events
	FOR EACH ROW EXECUTE FUNCTION pgmig.events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON pgmig.events
	FOR EACH STATEMENT EXECUTE FUNCTION pgmig.events_append_only();

-- Registration

CREATE FUNCTION mig_register(file_names text[], contents text[],
							 force boolean DEFAULT false)
	RETURNS TABLE (revision text, action text)
	AS 'MODULE_PATHNAME', 'pgmig_register' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mig_register(text[], text[], boolean) IS
	'register migration files (name, content); force overrides a changed applied script';

CREATE FUNCTION mig_register(file_name text, content text,
							 force boolean DEFAULT false)
	RETURNS TABLE (revision text, action text)
	AS 'MODULE_PATHNAME', 'pgmig_register_one' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mig_register(text, text, boolean) IS
	'register one migration file (name, content)';

CREATE FUNCTION mig_unregister(revisions text[])
	RETURNS integer
	AS 'MODULE_PATHNAME', 'pgmig_unregister' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION mig_unregister(text[]) IS
	'forget registered revisions that are not applied';

-- Running migrations

CREATE FUNCTION mig_apply(target text DEFAULT 'head', dry_run boolean DEFAULT false)
	RETURNS TABLE (revision text, description text, duration interval)
	AS 'MODULE_PATHNAME', 'pgmig_apply' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION mig_apply(text, boolean) IS
	'apply pending revisions up to target in the current transaction';

CREATE FUNCTION mig_revert(target text, dry_run boolean DEFAULT false)
	RETURNS TABLE (revision text, description text, duration interval)
	AS 'MODULE_PATHNAME', 'pgmig_revert' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION mig_revert(text, boolean) IS
	'revert applied revisions down to target in the current transaction';

CREATE PROCEDURE mig_apply_each(target text DEFAULT 'head')
	AS 'MODULE_PATHNAME', 'pgmig_apply_each' LANGUAGE C;
COMMENT ON PROCEDURE mig_apply_each(text) IS
	'apply pending revisions up to target, committing after each one';

CREATE FUNCTION mig_stamp(target text)
	RETURNS TABLE (revision text, action text)
	AS 'MODULE_PATHNAME', 'pgmig_stamp' LANGUAGE C VOLATILE STRICT;
COMMENT ON FUNCTION mig_stamp(text) IS
	'mark the database as being at target without running any script';

-- Looking

CREATE FUNCTION mig_status() RETURNS text
	AS 'MODULE_PATHNAME', 'pgmig_status' LANGUAGE C STABLE;
COMMENT ON FUNCTION mig_status() IS 'one line: where the database stands';

CREATE FUNCTION mig_plan(target text DEFAULT 'head', revert boolean DEFAULT false)
	RETURNS TABLE (step integer, revision text, description text, action text,
				   transactional boolean, source_file text)
	AS 'MODULE_PATHNAME', 'pgmig_plan' LANGUAGE C STABLE;
COMMENT ON FUNCTION mig_plan(text, boolean) IS
	'what mig_apply (or mig_revert) would run for target, in order';

CREATE FUNCTION mig_revisions()
	RETURNS TABLE (revision text, description text, parents text[],
				   labels text[], applied boolean, state text,
				   applied_at timestamptz, method text, is_head boolean,
				   out_of_order boolean, changed boolean, reversible boolean,
				   transactional boolean, source_file text)
	AS 'MODULE_PATHNAME', 'pgmig_revisions' LANGUAGE C STABLE;
COMMENT ON FUNCTION mig_revisions() IS
	'every registered or applied revision in order, with its state';

CREATE FUNCTION mig_heads() RETURNS SETOF text
	AS 'SELECT revision FROM @extschema@.mig_revisions() WHERE is_head'
	LANGUAGE sql STABLE;
COMMENT ON FUNCTION mig_heads() IS 'the heads of the revision graph';

CREATE FUNCTION mig_history()
	RETURNS SETOF pgmig.events
	AS 'SELECT * FROM pgmig.events ORDER BY event_id'
	LANGUAGE sql STABLE;
COMMENT ON FUNCTION mig_history() IS 'the audit log, oldest first';

-- Helpers for the client

CREATE FUNCTION pgmig.apply(target text, max_steps integer, dry_run boolean)
	RETURNS TABLE (revision text, description text, duration interval)
	AS 'MODULE_PATHNAME', 'pgmig_apply_steps' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgmig.apply(text, integer, boolean) IS
	'apply at most max_steps revisions of the plan for target (-1: all)';

CREATE FUNCTION pgmig.revert(target text, max_steps integer, dry_run boolean)
	RETURNS TABLE (revision text, description text, duration interval)
	AS 'MODULE_PATHNAME', 'pgmig_revert_steps' LANGUAGE C VOLATILE;
COMMENT ON FUNCTION pgmig.revert(text, integer, boolean) IS
	'revert at most max_steps revisions of the plan for target (-1: all)';

CREATE FUNCTION pgmig.statements(revision text, revert boolean DEFAULT false)
	RETURNS TABLE (stmt integer, line integer, sql text)
	AS 'MODULE_PATHNAME', 'pgmig_statements' LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION pgmig.statements(text, boolean) IS
	'the statements of a script as the server splits them, with file lines';

-- returns how many statements an earlier, interrupted attempt completed
CREATE FUNCTION pgmig.nontx_begin(revision text, revert boolean)
	RETURNS integer
	AS 'MODULE_PATHNAME', 'pgmig_nontx_begin' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION pgmig.nontx_progress(revision text, statements_done integer)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmig_nontx_progress' LANGUAGE C VOLATILE STRICT;
CREATE FUNCTION pgmig.nontx_end(revision text, revert boolean, success boolean,
								duration interval, sqlstate text, message text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmig_nontx_end' LANGUAGE C VOLATILE;
CREATE FUNCTION pgmig.log_failure(action text, revision text, duration interval,
								  sqlstate text, message text)
	RETURNS void
	AS 'MODULE_PATHNAME', 'pgmig_log_failure' LANGUAGE C VOLATILE;

-- Privileges: reading is open, changing is not.
REVOKE ALL ON ALL TABLES IN SCHEMA pgmig FROM PUBLIC;
GRANT USAGE ON SCHEMA pgmig TO PUBLIC;
GRANT SELECT ON pgmig.schema_migrations, pgmig.events TO PUBLIC;
-- scripts may hold secrets: everything but their text is readable
GRANT SELECT (id, sortkey, description, parents, labels, transactional,
			  lock_timeout, up_line, down_line, up_checksum, down_checksum,
			  file_checksum, source_file, registered_at)
	ON pgmig.revisions TO PUBLIC;

REVOKE EXECUTE ON FUNCTION
	mig_register(text[], text[], boolean),
	mig_register(text, text, boolean),
	mig_unregister(text[]),
	mig_apply(text, boolean),
	mig_revert(text, boolean),
	mig_stamp(text),
	pgmig.apply(text, integer, boolean),
	pgmig.revert(text, integer, boolean),
	pgmig.statements(text, boolean),
	pgmig.nontx_begin(text, boolean),
	pgmig.nontx_progress(text, integer),
	pgmig.nontx_end(text, boolean, boolean, interval, text, text),
	pgmig.log_failure(text, text, interval, text, text)
	FROM PUBLIC;
REVOKE EXECUTE ON PROCEDURE mig_apply_each(text) FROM PUBLIC;
