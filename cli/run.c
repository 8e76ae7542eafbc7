/*-------------------------------------------------------------------------
 *
 * run.c
 *	  Running a plan: applying or reverting revisions through the
 *	  extension, cut into transactions.
 *
 * The server plans (mig_plan) and runs the scripts (pgmig.apply /
 * pgmig.revert, which apply at most N steps of the plan for a target).
 * The client only cuts the plan into chunks:
 *
 * - by default one transaction for everything: all or nothing;
 * - with --commit-each one transaction per revision;
 * - a no-transaction revision always splits the run: what came before is
 *	 committed, then nontx.c runs its statements one by one outside any
 *	 transaction, then the run goes on in a new transaction.
 *
 * A failed transactional chunk is rolled back, then its failure is written
 * to the audit log (pgmig.log_failure), which the rolled-back transaction
 * could not keep.  The caller holds the session advisory lock throughout,
 * and the run is noted in pgmig.runs while it lasts, so that the next run
 * can tell if this one ended without a word.  A revision is said to be
 * applied (or reverted) only once its transaction has committed; what is
 * happening meanwhile is shown on stderr by progress.c, from the server's
 * reports during each call.
 *
 * Lock safety: the server runs transactional revisions with a lock_timeout
 * and retries them when it expires; nontx.c does the same for the
 * statements of a no-transaction revision.
 *
 * verify.c checks round trips (verify, redo) with the same machinery.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "fe_utils/cancel.h"

/*
 * The progress lines of revisions run in the open transaction: printed
 * once it commits, dropped if it rolls back, so that "applied" is never
 * said of work that was rolled back.  File-scope, so that it stays
 * reachable when an error exits the program.
 */
static PQExpBufferData done_lines;

/* Print the progress lines of what was committed. */
static void
flush_lines(void)
{
	if (done_lines.data == NULL || done_lines.len == 0)
		return;
	progress_clear();
	fputs(done_lines.data, progress_stream());
	fflush(progress_stream());
	resetPQExpBuffer(&done_lines);
}

/* Forget the progress lines of what was rolled back. */
static void
drop_lines(void)
{
	if (done_lines.data != NULL)
		resetPQExpBuffer(&done_lines);
}

/*
 * "heads"/"base" for a relative target (+N, -N), whose meaning moves as
 * steps run: the first N steps of "+N" are those of "heads", and so on.
 * Any other target as it is.
 */
const char *
chunk_target(const char *target, bool revert)
{
	if ((target[0] != '+' && target[0] != '-') || target[1] == '\0' ||
		strspn(target + 1, "0123456789") != strlen(target + 1))
		return target;
	return revert ? "base" : "heads";
}

/* Open a transaction unless one is open; false on error. */
static bool
ensure_tx(Run *run)
{
	if (run->in_tx)
		return true;
	if (!begin_tx(run->c))
		return false;
	run->in_tx = true;
	return true;
}

/* Commit (or, for a dry run, roll back) the open transaction. */
bool
end_tx(Run *run)
{
	bool		ok;

	if (!run->in_tx)
		return true;
	ok = command(run->c, run->rollback ? "ROLLBACK" : "COMMIT");
	run->in_tx = false;
	if (ok && !run->rollback)
		run->ncommitted = run->nrun;
	if (ok)
	{
		flush_lines();
		report_steps_end(!run->rollback);
	}
	else
	{
		drop_lines();
		report_steps_drop();
		run->nrun = run->ncommitted;
	}
	return ok;
}

/* Roll back after an error, ignoring a second error. */
void
abort_tx(Run *run)
{
	PGresult   *res;

	if (!run->in_tx)
		return;
	res = PQexec(run->c->conn, "ROLLBACK");
	PQclear(res);
	run->in_tx = false;
	drop_lines();
	report_steps_drop();
	run->nrun = run->ncommitted;
}

/*
 * Note in the catalog, in the open transaction, that a run starts, so that
 * the next run can tell if this one ends without a word; say what earlier
 * runs did (pgmig.run_begin records them in the audit log).  False
 * (reported) on error.
 */
bool
note_run_start(Run *run, const char *action, const char *target)
{
	const char *values[2] = {action, target};
	PGresult   *res = query(run->c, "SELECT pgmig.run_begin($1, $2)", 2, values);
	int			i;

	if (res == NULL)
		return false;
	for (i = 0; i < PQntuples(res); i++)
		pg_log_warning("%s", PQgetvalue(res, i, 0));
	PQclear(res);
	run->noted = true;
	return true;
}

/*
 * The run ends: remove its note, in the open transaction if there is one,
 * else on its own (ignoring a lost connection: the next run reports it).
 */
void
note_run_end(Run *run)
{
	PGresult   *res;

	if (!run->noted)
		return;
	run->noted = false;
	if (PQstatus(run->c->conn) != CONNECTION_OK)
		return;
	if (run->in_tx)
	{
		if (!command(run->c, "SELECT pgmig.run_end()"))
			run->noted = true;
		return;
	}
	res = PQexec(run->c->conn, "SELECT pgmig.run_end()");
	PQclear(res);
}

/*
 * Write a failure to the audit log, outside the rolled-back transaction;
 * the server says at which revision the run failed (pgmig.last_failure()).
 */
static void
log_failure(Run *run, bool revert, double ms, const PGresult *res)
{
	char	   *interval = ms_interval(ms);
	const char *values[4];
	PGresult   *lres;

	values[0] = revert ? "revert" : "apply";
	values[1] = interval;
	values[2] = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	values[3] = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	lres = PQexecParams(run->c->conn,
						"SELECT pgmig.log_failure($1, (SELECT f.revision FROM pgmig.last_failure() f),"
						" $2::pg_catalog.interval, $3, $4)",
						4, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(lres) != PGRES_TUPLES_OK)
	{
		pg_log_warning("could not record the failure in the audit log: %s",
					   PQresultErrorField(lres, PG_DIAG_MESSAGE_PRIMARY) ?
					   PQresultErrorField(lres, PG_DIAG_MESSAGE_PRIMARY) :
					   PQerrorMessage(run->c->conn));
	}
	PQclear(lres);
	pfree(interval);
}

/* Say what a failure left behind. */
static void
report_aftermath(Run *run, bool revert)
{
	const char *verb = revert ? "reverted" : "applied";

	if (run->rollback)
		pg_log_info("dry run: everything was rolled back");
	else if (run->ncommitted == 0)
		pg_log_info("nothing was %s: the transaction was rolled back", verb);
	else
		pg_log_info("%d revision%s %s and committed before the failure stay%s so; the rest was rolled back",
					run->ncommitted, run->ncommitted == 1 ? "" : "s", verb,
					run->ncommitted == 1 ? "s" : "");
}

/*
 * A revision ran in "ms" (as the server or the client timed it; "extra"
 * says more, or is NULL): its line for stdout and its entry of the --json
 * document, both kept until its transaction commits, and the count of
 * steps run.  "nstatements" is those of a no-transaction revision, else -1.
 */
static void
step_done(Run *run, const Step *step, const char *ms, const char *extra,
		  int nstatements)
{
	char	   *dur = format_ms(ms);

	if (done_lines.data == NULL)
		initPQExpBuffer(&done_lines);
	if (!run->opts->quiet)
		appendPQExpBuffer(&done_lines, "%s %s %s (%s%s%s)\n",
						  step->revert ? "reverted" : "applied", step->id,
						  shown(step->description), dur, extra ? ", " : "",
						  extra ? extra : "");
	pfree(dur);
	report_step(step, strtod(ms, NULL), nstatements);
	run->nrun++;
	if (!run->in_tx)
		flush_lines();
}

/*
 * Run k transactional steps, from step "first" of the run, with one
 * pgmig.apply/revert call.
 */
static bool
run_chunk(Run *run, Step *steps, int first, int k)
{
	bool		revert = steps[0].revert;
	char		nsteps[16];
	const char *values[3];
	PGresult   *res;
	instr_time	start;
	int			j;

	snprintf(nsteps, sizeof(nsteps), "%d", k);
	values[0] = steps[0].call_target;
	values[1] = nsteps;
	values[2] = run->engine_dry_run ? "t" : "f";

	INSTR_TIME_SET_CURRENT(start);
	/* the server reports each step as it goes (progress.c) */
	progress_chunk(first);
	res = progress_exec(run->c->conn, revert ?
						"SELECT revision, description, " MILLISECONDS("duration")
						" FROM pgmig.revert($1, $2::pg_catalog.int4, $3::pg_catalog.bool)" :
						"SELECT revision, description, " MILLISECONDS("duration")
						" FROM pgmig.apply($1, $2::pg_catalog.int4, $3::pg_catalog.bool)",
						3, values);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		double		ms = elapsed_ms(start);

		report_error(res, run->c->conn, NULL);
		abort_tx(run);
		if (!run->rollback)
			log_failure(run, revert, ms, res);
		PQclear(res);
		report_aftermath(run, revert);
		return false;
	}

	/* the server plans; it must have run exactly the steps we expect */
	for (j = 0; j < PQntuples(res) || j < k; j++)
	{
		if (j >= PQntuples(res) || j >= k ||
			strcmp(PQgetvalue(res, j, 0), steps[j].id) != 0)
		{
			pg_log_error("the server %s %s where revision %s was planned",
						 revert ? "reverted" : "applied",
						 j < PQntuples(res) ? PQgetvalue(res, j, 0) : "nothing",
						 j < k ? steps[j].id : "none");
			pg_log_error_hint("The catalog changed during the run; run the command again.");
			PQclear(res);
			abort_tx(run);
			report_aftermath(run, revert);
			return false;
		}
		step_done(run, &steps[j], PQgetvalue(res, j, 2),
				  run->rollback ? "dry run" : NULL, -1);
	}
	PQclear(res);
	return true;
}

/*
 * Apply Flyway's repeatable migrations that changed (or never ran), after
 * the revisions, in the run's last transaction; a dry run, whose revisions
 * the server rolled back already, names them without running them.  False
 * (reported, rolled back) on error.
 */
static bool
run_repeatables(Run *run)
{
	PGresult   *res;
	char	   *sql;
	instr_time	start;
	int			i;

	if (!ensure_tx(run))
		return false;
	sql = psprintf(run->rollback ?
				   "SELECT file_name, description, NULL FROM pgmig.repeatables"
				   " WHERE applied_checksum IS DISTINCT FROM checksum"
				   " ORDER BY description COLLATE \"C\", file_name COLLATE \"C\"" :
				   "SELECT file_name, description, " MILLISECONDS("duration")
				   " FROM %s.mig_apply_repeatables()", run->c->extschema);
	INSTR_TIME_SET_CURRENT(start);
	res = PQexec(run->c->conn, sql);
	pfree(sql);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		double		ms = elapsed_ms(start);

		report_error(res, run->c->conn, NULL);
		abort_tx(run);
		if (!run->rollback)
			log_failure(run, false, ms, res);
		PQclear(res);
		report_aftermath(run, false);
		return false;
	}
	for (i = 0; i < PQntuples(res); i++)
	{
		Step		step;

		memset(&step, 0, sizeof(step));
		step.id = PQgetvalue(res, i, 0);
		step.description = PQgetvalue(res, i, 1);
		step.repeatable = true;
		if (run->rollback)
			info(run->opts, "dry run: repeatable migration %s not run", shown(step.id));
		else
		{
			step_done(run, &step, PQgetvalue(res, i, 2), "repeatable", -1);
		}
	}
	PQclear(res);
	return true;
}

/* Run the steps in order, cutting them into transactions. */
static bool
run_steps_shown(Run *run, Step *steps, int n)
{
	bool		ran;
	int			i = 0;
	double		ms;
	int			nstatements;
	char		msbuf[32];
	char		count[64];

	while (i < n)
	{
		if (CancelRequested)
		{
			pg_log_error("canceled");
			abort_tx(run);
			report_aftermath(run, steps[i].revert);
			return false;
		}
		if (steps[i].transactional)
		{
			int			k = 1;

			if (!run->commit_each)
				while (i + k < n && steps[i + k].transactional &&
					   steps[i + k].revert == steps[i].revert &&
					   strcmp(steps[i + k].call_target, steps[i].call_target) == 0)
					k++;
			if (!ensure_tx(run) || !run_chunk(run, &steps[i], i, k))
				return false;
			if (run->commit_each && !end_tx(run))
				return false;
			i += k;
		}
		else
		{
			if (run->rollback)
			{
				pg_log_warning("dry run stops before no-transaction revision %s: its statements cannot run in a transaction that is rolled back",
							   steps[i].id);
				break;
			}
			ran = end_tx(run);
			if (ran)
			{
				progress_step_start(i);
				ran = run_nontx(run->c, &steps[i], &ms, &nstatements);
			}
			if (!ran)
			{
				/* run_nontx said where it stopped; say what came before */
				if (run->ncommitted > 0)
					report_aftermath(run, steps[i].revert);
				return false;
			}
			snprintf(msbuf, sizeof(msbuf), "%.3f", ms);
			snprintf(count, sizeof(count), "no transaction, %d statement%s",
					 nstatements, nstatements == 1 ? "" : "s");
			/* the client ran it: its end is not in a report of the server */
			progress_step_end(i, ms, count);
			step_done(run, &steps[i], msbuf, count, nstatements);
			report_steps_end(true);
			run->ncommitted = run->nrun;
			i++;
		}
	}
	if (run->repeatables && !run_repeatables(run))
		return false;
	if (run->in_tx && !run->rollback)
		note_run_end(run);
	if (!end_tx(run))
	{
		report_aftermath(run, n > 0 && steps[0].revert);
		return false;
	}
	if (run->rollback)
		info(run->opts, "dry run: rolled back");
	return true;
}

/*
 * Run the steps in order, cutting them into transactions, with their
 * progress shown as they go (progress.c).
 */
bool
run_steps(Run *run, Step *steps, int n)
{
	bool		ok;

	progress_begin(run->opts->progress, run->c->conn, steps, n,
				   run->rollback);
	ok = run_steps_shown(run, steps, n);
	progress_end();
	return ok;
}

/*
 * Read the server's plan for target into steps, with room after them for
 * as many more (redo's up half); false (reported) on error.
 */
bool
get_plan(Run *run, const char *target, bool revert, Step **steps, int *n)
{
	const char *values[2] = {target, revert ? "t" : "f"};
	char	   *sql = psprintf("SELECT revision, description, transactional, source_file"
							   " FROM %s.mig_plan($1, $2::pg_catalog.bool) ORDER BY step",
							   run->c->extschema);
	PGresult   *res = query(run->c, sql, 2, values);
	int			i;

	pfree(sql);
	if (res == NULL)
		return false;
	*n = PQntuples(res);
	*steps = pg_malloc0(*n * 2 * sizeof(Step));
	for (i = 0; i < *n; i++)
	{
		Step	   *s = &(*steps)[i];

		s->id = pg_strdup(PQgetvalue(res, i, 0));
		s->description = pg_strdup(PQgetvalue(res, i, 1));
		s->transactional = PQgetvalue(res, i, 2)[0] != 'f';
		s->source_file = PQgetisnull(res, i, 3) ? NULL :
			pg_strdup(PQgetvalue(res, i, 3));
		s->revert = revert;
		s->call_target = pg_strdup(chunk_target(target, revert));
	}
	PQclear(res);
	return true;
}

/* Free the steps of a plan. */
void
free_steps(Step *steps, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		pg_free(steps[i].id);
		pg_free(steps[i].description);
		pg_free(steps[i].source_file);
		pg_free(steps[i].call_target);
	}
	pg_free(steps);
}

/*
 * Does the merged graph (files and catalog, read under the migration lock)
 * plan nothing for target?  Then the server need not be asked: a no-op
 * "pgmig up" costs one catalog query.  An error (a bad target, several
 * heads) is left for the server to report.
 */
static bool
plan_is_empty(View *view, const char *target, bool revert)
{
	PgmigPlan	plan;
	PgmigError	err;

	memset(&plan, 0, sizeof(plan));
	memset(&err, 0, sizeof(err));
	if (!pgmig_graph_plan(&view->graph, target, revert, &plan, &err))
	{
		pgmig_error_free(&err);
		return false;
	}
	pg_free(plan.steps);
	return plan.nsteps == 0;
}

/*
 * Start a run: check the graph and register the files, in a transaction
 * that stays open: the caller commits it, or for a dry run rolls it back
 * with everything else.  False (reported) on error.
 */
bool
start_run(Run *run, Conn *c, Project *project, bool dry_run,
		  const char *target, bool revert)
{
	Catalog		cat;
	View		view;
	bool		ok;

	memset(run, 0, sizeof(*run));
	run->c = c;
	run->project = project;
	run->opts = c->opts;
	run->rollback = dry_run;
	run->commit_each = c->opts->commit_each;

	if (!ensure_tx(run))
		return false;
	memset(&cat, 0, sizeof(cat));
	memset(&view, 0, sizeof(view));
	/* the graph is built first only to report its errors before sending */
	ok = read_catalog(c, project, &cat) &&
		(revert || check_other_tool(c, project, &cat)) &&
		build_view(project, &cat, &view) &&
		sync_catalog(c, project, &cat);
	if (ok && target != NULL)
		run->nothing_to_do = plan_is_empty(&view, target, revert);
	free_view(&view);
	free_catalog(&cat);
	if (!ok)
		abort_tx(run);
	return ok;
}

/* Apply (or revert) up to target; returns the exit status. */
int
run_plan(Conn *c, Project *project, const char *target, bool revert)
{
	Run			run;
	Step	   *steps;
	int			n;
	bool		ok;

	if (!start_run(&run, c, project, c->opts->dry_run, target, revert))
		return EXIT_ERROR;
	/* "up" to the head: Flyway's repeatable migrations that changed, after */
	if (!revert && project->nrepeatables > 0 && strcmp(target, "head") == 0)
	{
		PGresult   *res = query(c, "SELECT EXISTS (SELECT FROM pgmig.repeatables"
								" WHERE applied_checksum IS DISTINCT FROM checksum)", 0, NULL);

		if (res == NULL)
		{
			abort_tx(&run);
			return EXIT_ERROR;
		}
		run.repeatables = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
		run.nothing_to_do = run.nothing_to_do && !run.repeatables;
		PQclear(res);
	}
	if (!run.rollback && !run.nothing_to_do &&
		!note_run_start(&run, revert ? "revert" : "apply", target))
	{
		abort_tx(&run);
		return EXIT_ERROR;
	}
	if (!run.rollback && !end_tx(&run))
		return EXIT_ERROR;
	if (run.nothing_to_do)
	{
		info(c->opts, "nothing to %s", revert ? "revert" : "apply");
		return end_tx(&run) ? EXIT_OK : EXIT_ERROR;
	}
	run.engine_dry_run = c->opts->dry_run;
	if (!get_plan(&run, target, revert, &steps, &n))
	{
		abort_tx(&run);
		note_run_end(&run);
		return EXIT_ERROR;
	}
	if (n == 0 && !run.repeatables)
	{
		info(c->opts, "nothing to %s", revert ? "revert" : "apply");
		note_run_end(&run);
		ok = end_tx(&run);
	}
	else
		ok = run_steps(&run, steps, n);
	note_run_end(&run);
	free_steps(steps, n);
	return ok ? EXIT_OK : EXIT_ERROR;
}
