/*-------------------------------------------------------------------------
 *
 * sqlscript.c
 *	  "pgmig up --sql" / "pgmig down --sql": the SQL of a run, printed
 *	  instead of run, without connecting.
 *
 * The output is a script for "psql -v ON_ERROR_STOP=1 -f FILE".  Without a
 * connection the client cannot know what is applied, so the script does
 * what the client does, with the server deciding at run time:
 *
 * 1. "up" creates the extension if the database has none (CREATE
 *	  EXTENSION IF NOT EXISTS, as "pgmig init" would).  It checks that the
 *	  database has the extension in the client's version, and learns the
 *	  extension's schema into a psql variable.
 * 2. In one transaction, it registers every file (mig_register with the
 *	  file names and their text as dollar-quoted literals) and forgets
 *	  registered, unapplied revisions whose file is not in the folder
 *	  (mig_unregister).
 * 3. When no revision the run could touch is a no-transaction one (the
 *	  common case), "SELECT * FROM mig_apply(TARGET)" (or mig_revert, or
 *	  "CALL mig_apply_each(TARGET)" for --commit-each) in that same
 *	  transaction: all or nothing.
 * 4. Otherwise the run must be split around those revisions as the client
 *	  splits it, which plain SQL cannot do: the script first takes the
 *	  session-level migration lock with CALL pgmig.lock(), which waits
 *	  without holding a snapshot (an index build of another run would wait
 *	  for one), then asks the server for the plan (mig_plan) and for what
 *	  each no-transaction revision runs (pgmig.nontx_plan), turning them
 *	  into commands that psql's \gexec runs one by one: transactional
 *	  stretches as BEGIN; pgmig.apply(TARGET, 1)...; COMMIT, no-transaction
 *	  revisions as the client runs them (each statement that can run in a
 *	  transaction block in one with its progress record, the others after
 *	  an intent).  A failed statement stops the script (ON_ERROR_STOP),
 *	  leaving its revision half-done in the status; the next run resumes
 *	  it.
 *
 * Every name the script uses is schema-qualified, operators included, and
 * pgmig's functions are called in the extension's own schema, so that
 * objects other roles create (a schema named after the user running the
 * script, first on its search_path) cannot stand in for them.  The
 * migration statements themselves run with the session's search_path.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "fe_utils/string_utils.h"
#include "mb/pg_wchar.h"
#include "pgmig_sqitch.h"

/* Append a string literal that is correct whatever standard_conforming_strings is. */
static void
literal(PQExpBuffer buf, const char *s)
{
	appendStringLiteral(buf, s, PG_UTF8, false);
}

/*
 * Check the extension and its version, and set the psql variable
 * pgmig_schema to the schema of its functions.
 */
static void
append_handshake(PQExpBuffer buf, bool create)
{
	/* as Alembic's offline output creates its version table */
	if (create)
		appendPQExpBuffer(buf,
						  "-- a database without pgmig gets it, as \"%s init\" would install it\n"
						  "CREATE EXTENSION IF NOT EXISTS pgmig;\n",
						  progname);
	appendPQExpBuffer(buf,
					  "DO $pgmig$\n"
					  "DECLARE\n"
					  "  v pg_catalog.text;\n"
					  "BEGIN\n"
					  "  SELECT e.extversion INTO v FROM pg_catalog.pg_extension e\n"
					  "  WHERE e.extname OPERATOR(pg_catalog.=) 'pgmig';\n"
					  "  IF v IS NULL THEN\n"
					  "    RAISE EXCEPTION 'extension \"pgmig\" is not installed in database %%', pg_catalog.current_database()\n"
					  "      USING HINT = 'Run \"%s init\", or \"CREATE EXTENSION pgmig;\" in that database.';\n"
					  "  ELSIF v OPERATOR(pg_catalog.<>) '%s' THEN\n"
					  "    RAISE EXCEPTION 'this script is for extension pgmig version %s, but database %% has version %%', pg_catalog.current_database(), v\n"
					  "      USING HINT = 'Write the script with the pgmig client of the extension''s version, or update the extension.';\n"
					  "  ELSIF pgmig.library_version() OPERATOR(pg_catalog.<>) v THEN\n"
					  "    RAISE EXCEPTION 'this script is for pgmig version %s, but the server runs pgmig library version %%', pgmig.library_version()\n"
					  "      USING HINT = 'Restart the server (or reconnect) after installing pgmig, so that the library of the extension''s version is loaded.';\n"
					  "  END IF;\n"
					  "END\n"
					  "$pgmig$;\n"
					  "SELECT n.nspname AS pgmig_schema\n"
					  "FROM pg_catalog.pg_extension e\n"
					  "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace\n"
					  "WHERE e.extname OPERATOR(pg_catalog.=) 'pgmig' \\gset\n",
					  progname, PGMIG_VERSION, PGMIG_VERSION, PGMIG_VERSION);
}

/* The commands of a run split around no-transaction revisions (see header). */
static void
append_split_run(PQExpBuffer buf, const Options *opts, const char *target,
				 const char *step_target, bool revert)
{
	const char *rv = revert ? "true" : "false";
	const char *fn = revert ? "pgmig.revert" : "pgmig.apply";

	appendPQExpBufferStr(buf,
						 "-- The run is split around no-transaction revisions: psql's \\gexec runs\n"
						 "-- the commands that the query below makes from the server's plan.\n"
						 "SELECT c.cmd\n"
						 "FROM (SELECT p.step, p.revision, p.transactional,\n"
						 "             pg_catalog.lag(p.transactional) OVER w AS prev_tx,\n"
						 "             pg_catalog.lead(p.transactional) OVER w AS next_tx\n"
						 "      FROM :\"pgmig_schema\".mig_plan(");
	literal(buf, target);
	appendPQExpBuffer(buf, ", %s) AS p\n"
					  "      WINDOW w AS (ORDER BY p.step)) AS p,\n"
					  "LATERAL (\n", rv);
	appendPQExpBuffer(buf,
					  "  SELECT 1 AS sub, 0::pg_catalog.int8 AS n,\n"
					  "         pg_catalog.format('SELECT revision, description, duration FROM %s(%%L, 1, false)', ",
					  fn);
	literal(buf, step_target);
	appendPQExpBufferStr(buf, ") AS cmd\n"
						 "  WHERE p.transactional\n"
						 "  UNION ALL\n");
	if (!opts->commit_each)
		appendPQExpBufferStr(buf,
							 "  SELECT 0, 0, 'BEGIN'\n"
							 "  WHERE p.transactional AND p.prev_tx IS NOT TRUE\n"
							 "  UNION ALL\n");
	if (!opts->commit_each)
		appendPQExpBufferStr(buf,
							 "  SELECT 2, 0, 'COMMIT'\n"
							 "  WHERE p.transactional AND p.next_tx IS NOT TRUE\n"
							 "  UNION ALL\n");
	appendPQExpBuffer(buf,
					  "  SELECT 1, 0, pg_catalog.format('SELECT pgmig.nontx_begin(%%L, %s)', p.revision)\n"
					  "  WHERE NOT p.transactional\n"
					  "  UNION ALL\n"
					  "  SELECT 2, 10 * s.n + k.k, k.cmd\n"
					  "  FROM pgmig.nontx_plan(p.revision, %s) WITH ORDINALITY AS s(stmt, line, sql, mode, total, n),\n"
					  "  LATERAL (VALUES\n"
					  "    (1, CASE WHEN s.mode OPERATOR(pg_catalog.=) 'transaction' THEN 'BEGIN'\n"
					  "             WHEN s.mode OPERATOR(pg_catalog.=) 'top level'\n"
					  "             THEN pg_catalog.format('SELECT pgmig.nontx_intent(%%L, %%s, %%L)', p.revision, s.stmt, s.sql) END),\n"
					  "    (2, CASE WHEN s.mode OPERATOR(pg_catalog.<>) 'done' THEN s.sql END),\n"
					  "    (3, CASE WHEN s.mode OPERATOR(pg_catalog.<>) 'replay' AND s.mode OPERATOR(pg_catalog.<>) 'cleanup'\n"
					  "             THEN pg_catalog.format('SELECT pgmig.nontx_progress(%%L, %%s)', p.revision, s.stmt) END),\n"
					  "    (4, CASE WHEN s.mode OPERATOR(pg_catalog.=) 'transaction' THEN 'COMMIT' END)) AS k(k, cmd)\n"
					  "  WHERE NOT p.transactional AND k.cmd IS NOT NULL\n"
					  "  UNION ALL\n"
					  "  SELECT 3, 0, pg_catalog.format('SELECT pgmig.nontx_end(%%L, %s, true, NULL, NULL, NULL)', p.revision)\n"
					  "  WHERE NOT p.transactional\n"
					  ") AS c\n"
					  "ORDER BY p.step, c.sub, c.n\n"
					  "\\gexec\n"
					  "SELECT pgmig.unlock();\n",
					  rv, rv, rv);
}

/*
 * Could a no-transaction revision be involved in the run?  Offline, the
 * plan of the widest case tells: nothing applied (up), everything (down).
 * Exits on a graph error or a bad target.
 */
static bool
may_split(Project *project, const char *step_target, bool revert)
{
	static View view;
	PgmigGraph *g;
	PgmigPlan	plan;
	PgmigError	err;
	bool		split = false;
	int			i;

	if (!build_view(project, NULL, &view))
		exit(EXIT_ERROR);
	g = &view.graph;
	for (i = 0; i < g->n; i++)
		g->nodes[i].applied = revert;
	memset(&err, 0, sizeof(err));
	if (!pgmig_graph_plan(g, step_target, revert, &plan, &err))
	{
		report_pgmig_error(&err);
		exit(EXIT_ERROR);
	}
	for (i = 0; i < plan.nsteps; i++)
		if (!view_rev(&view, plan.steps[i])->file->script.transactional)
			split = true;
	pg_free(plan.steps);
	free_view(&view);
	return split;
}

/* The settings the command line gives the session (--confirm, lock options). */
static void
append_settings(PQExpBuffer buf, const Options *opts)
{
	if (opts->confirm)
		appendPQExpBufferStr(buf, "SET pgmig.confirm = 'yes';\n");
	if (opts->lock_timeout)
	{
		appendPQExpBufferStr(buf, "SET pgmig.lock_timeout = ");
		literal(buf, opts->lock_timeout);
		appendPQExpBufferStr(buf, ";\n");
	}
	if (opts->lock_retries)
		appendPQExpBuffer(buf, "SET pgmig.lock_retries = %s;\n", opts->lock_retries);
}

/*
 * Open the transaction and register every file (the server keeps what it
 * already has); forget unapplied revisions whose file is gone.
 */
static void
append_registration(PQExpBuffer buf, const Project *project, bool force)
{
	int			i;

	appendPQExpBufferStr(buf, "BEGIN;\n");
	/* sqlx's simple files: only the setting tells them from broken dbmate files */
	if (project->format != NULL && strcmp(project->format, "sqlx") == 0)
		appendPQExpBufferStr(buf, "SET LOCAL pgmig.format = 'sqlx';\n");
	appendPQExpBufferStr(buf, "SELECT revision, action FROM :\"pgmig_schema\".mig_register(\n  ARRAY[");
	for (i = 0; i < project->nfiles; i++)
	{
		appendPQExpBufferStr(buf, i > 0 ? ",\n    " : "\n    ");
		literal(buf, project->files[i].script.file_name);
		/* golang-migrate's and Diesel's layouts: the other files too */
		if (project->files[i].down_content != NULL)
		{
			char	   *down = pgmig_split_part_name(project->files[i].script.file_name, PGMIG_PART_DOWN);

			appendPQExpBufferStr(buf, ",\n    ");
			literal(buf, down);
			pfree(down);
		}
		if (project->files[i].meta_content != NULL)
		{
			char	   *meta = pgmig_split_part_name(project->files[i].script.file_name, PGMIG_PART_META);

			appendPQExpBufferStr(buf, ",\n    ");
			literal(buf, meta);
			pfree(meta);
		}
	}
	/* Flyway's repeatable migrations: registered apart from the revisions */
	for (i = 0; i < project->nrepeatables; i++)
	{
		appendPQExpBufferStr(buf, i + project->nfiles > 0 ? ",\n    " : "\n    ");
		literal(buf, project->repeatables[i].script.file_name);
	}
	/* Sqitch's layout: the plan gives the changes their order and parents */
	if (project->sqitch_plan != NULL)
	{
		appendPQExpBufferStr(buf, project->nfiles > 0 ? ",\n    " : "\n    ");
		literal(buf, PGMIG_SQITCH_PLAN);
	}
	appendPQExpBufferStr(buf, "]::pg_catalog.text[],\n  ARRAY[");
	for (i = 0; i < project->nfiles; i++)
	{
		appendPQExpBufferStr(buf, i > 0 ? ",\n" : "\n");
		appendStringLiteralDQ(buf, project->files[i].content, "pgmig");
		if (project->files[i].down_content != NULL)
		{
			appendPQExpBufferStr(buf, ",\n");
			appendStringLiteralDQ(buf, project->files[i].down_content, "pgmig");
		}
		if (project->files[i].meta_content != NULL)
		{
			appendPQExpBufferStr(buf, ",\n");
			appendStringLiteralDQ(buf, project->files[i].meta_content, "pgmig");
		}
	}
	for (i = 0; i < project->nrepeatables; i++)
	{
		appendPQExpBufferStr(buf, i + project->nfiles > 0 ? ",\n" : "\n");
		appendStringLiteralDQ(buf, project->repeatables[i].content, "pgmig");
	}
	if (project->sqitch_plan != NULL)
	{
		appendPQExpBufferStr(buf, project->nfiles > 0 ? ",\n" : "\n");
		appendStringLiteralDQ(buf, project->sqitch_plan, "pgmig");
	}
	appendPQExpBuffer(buf, "]::pg_catalog.text[]%s);\n", force ? ", true" : "");
	appendPQExpBufferStr(buf, "SELECT :\"pgmig_schema\".mig_unregister(ARRAY(\n"
						 "  SELECT r.id FROM pgmig.revisions r\n"
						 "  WHERE r.id OPERATOR(pg_catalog.<>) ALL (ARRAY[");
	for (i = 0; i < project->nfiles; i++)
	{
		if (i > 0)
			appendPQExpBufferStr(buf, ", ");
		literal(buf, project->files[i].script.id);
	}
	appendPQExpBufferStr(buf, "]::pg_catalog.text[])\n"
						 "    AND NOT EXISTS (SELECT FROM pgmig.schema_migrations m\n"
						 "                    WHERE m.id OPERATOR(pg_catalog.=) r.id)));\n");
}

/* Apply the repeatable migrations that changed: after the revisions. */
static const char *const apply_repeatables =
"SELECT file_name, description, duration FROM :\"pgmig_schema\".mig_apply_repeatables();\n";

/*
 * The run in the registration's transaction: all or nothing (see header),
 * the repeatable migrations too if "repeatables".
 */
static void
append_whole_run(PQExpBuffer buf, const Options *opts, const char *target,
				 bool revert, bool repeatables)
{
	if (revert)
		appendPQExpBufferStr(buf, "SELECT revision, description, duration FROM :\"pgmig_schema\".mig_revert(");
	else if (opts->commit_each)
		appendPQExpBufferStr(buf, "COMMIT;\nCALL :\"pgmig_schema\".mig_apply_each(");
	else
		appendPQExpBufferStr(buf, "SELECT revision, description, duration FROM :\"pgmig_schema\".mig_apply(");
	literal(buf, target);
	appendPQExpBufferStr(buf, ");\n");
	if (repeatables)
		appendPQExpBufferStr(buf, apply_repeatables);
	if (revert || !opts->commit_each)
		appendPQExpBufferStr(buf, "COMMIT;\n");
}

/* Print the SQL of "pgmig up/down TARGET"; returns the exit status. */
int
print_sql_script(const Options *opts, Project *project, const char *target,
				 bool revert)
{
	const char *step_target = chunk_target(target, revert);
	bool		split = may_split(project, step_target, revert);
	bool		repeatables = !revert && project->nrepeatables > 0 &&
		strcmp(target, "head") == 0;
	PQExpBufferData buf;

	/* a newline in the comment would end it: everything in it is escaped */
	initPQExpBuffer(&buf);
	appendPQExpBuffer(&buf,
					  "-- \"%s %s %s\" as SQL, written by pgmig %s from %s (%d file%s).\n"
					  "-- Run it with: psql -v ON_ERROR_STOP=1 -f FILE\n"
					  "SET client_encoding = 'UTF8';\n",
					  shown(progname), revert ? "down" : "up", shown(target),
					  PGMIG_VERSION,
					  display_path(project->dir), project->nfiles,
					  project->nfiles == 1 ? "" : "s");
	append_handshake(&buf, !revert);
	append_settings(&buf, opts);
	/* a split run waits for the lock before anything else, without a snapshot */
	if (split)
		appendPQExpBufferStr(&buf, "CALL pgmig.lock();\n");
	append_registration(&buf, project, opts->force);
	if (split)
	{
		appendPQExpBufferStr(&buf, "COMMIT;\n");
		append_split_run(&buf, opts, target, step_target, revert);
		if (repeatables)
			appendPQExpBufferStr(&buf, apply_repeatables);
	}
	else
		append_whole_run(&buf, opts, target, revert, repeatables);
	fputs(buf.data, stdout);
	termPQExpBuffer(&buf);
	return EXIT_OK;
}
