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
 * 1. In one transaction, register every file (mig_register with the file
 *	  names and their text as dollar-quoted literals) and forget registered,
 *	  unapplied revisions whose file is not in the folder (mig_unregister).
 * 2. When no revision the run could touch is a no-transaction one (the
 *	  common case), "SELECT * FROM mig_apply(TARGET)" (or mig_revert, or
 *	  "CALL mig_apply_each(TARGET)" for --commit-each) in that same
 *	  transaction: all or nothing, plain SQL that any client can run.
 * 3. Otherwise the run must be split around those revisions as the client
 *	  splits it, which plain SQL cannot do: the script takes the session
 *	  advisory lock and asks the server for the plan (mig_plan) and for the
 *	  statements of each no-transaction revision (pgmig.statements), turning
 *	  them into the commands to run, which psql's \gexec runs one by one:
 *	  transactional stretches as BEGIN; pgmig.apply(TARGET, 1)...; COMMIT,
 *	  no-transaction revisions statement by statement at top level with
 *	  their progress recorded.  Unlike the client, psql waits for the lock
 *	  with a blocking pg_advisory_lock call, and a failed statement stops
 *	  the script (ON_ERROR_STOP) leaving its revision "running" in status.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "fe_utils/string_utils.h"
#include "mb/pg_wchar.h"

/* Append a string literal that is correct whatever standard_conforming_strings is. */
static void
literal(PQExpBuffer buf, const char *s)
{
	appendStringLiteral(buf, s, PG_UTF8, false);
}

/* The commands of a run split around no-transaction revisions (see header). */
static void
append_split_run(PQExpBuffer buf, const Options *opts, const char *target,
				 const char *step_target, bool revert)
{
	const char *rv = revert ? "true" : "false";
	const char *fn = revert ? "pgmig.revert" : "pgmig.apply";

	appendPQExpBuffer(buf,
					  "-- The run is split around no-transaction revisions: this takes the\n"
					  "-- migration lock and runs, through psql's \\gexec, the commands that the\n"
					  "-- query below makes from the server's plan.\n"
					  "SELECT pg_catalog.pg_advisory_lock(%d, %d);\n",
					  PGMIG_LOCK_KEY1, PGMIG_LOCK_KEY2);
	appendPQExpBufferStr(buf,
						 "SELECT c.cmd\n"
						 "FROM (SELECT p.step, p.revision, p.transactional,\n"
						 "             pg_catalog.lag(p.transactional) OVER w AS prev_tx,\n"
						 "             pg_catalog.lead(p.transactional) OVER w AS next_tx\n"
						 "      FROM mig_plan(");
	literal(buf, target);
	appendPQExpBuffer(buf, ", %s) AS p\n"
					  "      WINDOW w AS (ORDER BY p.step)) AS p,\n"
					  "LATERAL (\n", rv);
	if (!opts->commit_each)
		appendPQExpBufferStr(buf,
							 "  SELECT 0 AS sub, 'BEGIN' AS cmd\n"
							 "  WHERE p.transactional AND p.prev_tx IS NOT TRUE\n"
							 "  UNION ALL\n");
	appendPQExpBuffer(buf,
					  "  SELECT 1, pg_catalog.format('SELECT revision, description, duration FROM %s(%%L, 1, false)', ",
					  fn);
	literal(buf, step_target);
	appendPQExpBufferStr(buf, ")\n"
						 "  WHERE p.transactional\n"
						 "  UNION ALL\n");
	if (!opts->commit_each)
		appendPQExpBufferStr(buf,
							 "  SELECT 2, 'COMMIT'\n"
							 "  WHERE p.transactional AND p.next_tx IS NOT TRUE\n"
							 "  UNION ALL\n");
	appendPQExpBuffer(buf,
					  "  SELECT 1, pg_catalog.format('SELECT pgmig.nontx_begin(%%L, %s)', p.revision)\n"
					  "  WHERE NOT p.transactional\n"
					  "  UNION ALL\n"
					  "  SELECT 2 + 2 * s.stmt, s.sql\n"
					  "  FROM pgmig.statements(p.revision, %s) AS s\n"
					  "  WHERE NOT p.transactional%s\n"
					  "  UNION ALL\n"
					  "  SELECT 3 + 2 * s.stmt, pg_catalog.format('SELECT pgmig.nontx_progress(%%L, %%s)', p.revision, s.stmt)\n"
					  "  FROM pgmig.statements(p.revision, %s) AS s\n"
					  "  WHERE NOT p.transactional%s\n"
					  "  UNION ALL\n"
					  "  SELECT 2147483647, pg_catalog.format('SELECT pgmig.nontx_end(%%L, %s, true, NULL, NULL, NULL)', p.revision)\n"
					  "  WHERE NOT p.transactional\n"
					  ") AS c\n"
					  "ORDER BY p.step, c.sub\n"
					  "\\gexec\n"
					  "SELECT pg_catalog.pg_advisory_unlock(%d, %d);\n",
					  rv, rv,
					  revert ? "" :
					  "\n    AND s.stmt > COALESCE((SELECT m.statements_done FROM pgmig.schema_migrations m\n"
					  "                                      WHERE m.id = p.revision AND m.state <> 'complete'), 0)",
					  rv,
					  revert ? "" :
					  "\n    AND s.stmt > COALESCE((SELECT m.statements_done FROM pgmig.schema_migrations m\n"
					  "                                      WHERE m.id = p.revision AND m.state <> 'complete'), 0)",
					  rv, PGMIG_LOCK_KEY1, PGMIG_LOCK_KEY2);
}

/* Print the SQL of "pgmig up/down TARGET"; returns the exit status. */
int
print_sql_script(const Options *opts, Project *project, const char *target,
				 bool revert)
{
	static View view;
	PgmigGraph *g;
	PgmigPlan	plan;
	PgmigError	err;
	PQExpBufferData buf;
	const char *step_target = target;
	bool		split = false;
	int			i;

	if (!build_view(project, NULL, &view))
		exit(EXIT_ERROR);
	g = &view.graph;

	/*
	 * Offline, the plan of the widest case tells whether a no-transaction
	 * revision could be involved: nothing applied (up), everything (down).
	 */
	if ((target[0] == '+' || target[0] == '-') &&
		strspn(target + 1, "0123456789") == strlen(target + 1) && target[1])
		step_target = revert ? "base" : "heads";
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
	if (opts->confirm)
		appendPQExpBufferStr(&buf, "SET pgmig.confirm = 'yes';\n");
	if (opts->lock_timeout)
	{
		appendPQExpBufferStr(&buf, "SET pgmig.lock_timeout = ");
		literal(&buf, opts->lock_timeout);
		appendPQExpBufferStr(&buf, ";\n");
	}
	if (opts->lock_retries)
		appendPQExpBuffer(&buf, "SET pgmig.lock_retries = %s;\n", opts->lock_retries);

	/* registration: every file; the server keeps what it already has */
	appendPQExpBufferStr(&buf, "BEGIN;\nSELECT revision, action FROM mig_register(\n  ARRAY[");
	for (i = 0; i < project->nfiles; i++)
	{
		appendPQExpBufferStr(&buf, i > 0 ? ",\n    " : "\n    ");
		literal(&buf, project->files[i].script.file_name);
	}
	appendPQExpBufferStr(&buf, "]::pg_catalog.text[],\n  ARRAY[");
	for (i = 0; i < project->nfiles; i++)
	{
		appendPQExpBufferStr(&buf, i > 0 ? ",\n" : "\n");
		appendStringLiteralDQ(&buf, project->files[i].content, "pgmig");
	}
	appendPQExpBufferStr(&buf, "]::pg_catalog.text[]);\n"
						 "SELECT mig_unregister(ARRAY(\n"
						 "  SELECT r.id FROM pgmig.revisions r\n"
						 "  WHERE r.id <> ALL (ARRAY[");
	for (i = 0; i < project->nfiles; i++)
	{
		if (i > 0)
			appendPQExpBufferStr(&buf, ", ");
		literal(&buf, project->files[i].script.id);
	}
	appendPQExpBufferStr(&buf, "]::pg_catalog.text[])\n"
						 "    AND NOT EXISTS (SELECT FROM pgmig.schema_migrations m WHERE m.id = r.id)));\n");

	if (split)
	{
		appendPQExpBufferStr(&buf, "COMMIT;\n");
		append_split_run(&buf, opts, target, step_target, revert);
	}
	else if (revert)
	{
		appendPQExpBufferStr(&buf, "SELECT revision, description, duration FROM mig_revert(");
		literal(&buf, target);
		appendPQExpBufferStr(&buf, ");\nCOMMIT;\n");
	}
	else if (opts->commit_each)
	{
		appendPQExpBufferStr(&buf, "COMMIT;\nCALL mig_apply_each(");
		literal(&buf, target);
		appendPQExpBufferStr(&buf, ");\n");
	}
	else
	{
		appendPQExpBufferStr(&buf, "SELECT revision, description, duration FROM mig_apply(");
		literal(&buf, target);
		appendPQExpBufferStr(&buf, ");\nCOMMIT;\n");
	}
	fputs(buf.data, stdout);
	termPQExpBuffer(&buf);
	pg_free(plan.steps);
	free_view(&view);
	return EXIT_OK;
}
