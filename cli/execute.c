/*-------------------------------------------------------------------------
 *
 * execute.c
 *	  Running a plan: applying or reverting revisions through the
 *	  extension, and running no-transaction revisions at top level.
 *
 * The server plans (mig_plan) and runs the scripts (pgmig.apply /
 * pgmig.revert, which apply at most N steps of the plan for a target).
 * The client only cuts the plan into chunks:
 *
 * - by default one transaction for everything: all or nothing;
 * - with --commit-each one transaction per revision;
 * - a no-transaction revision always splits the run: what came before is
 *	 committed, then its statements (as the server splits them,
 *	 pgmig.statements) run one by one outside any transaction, with their
 *	 progress recorded (pgmig.nontx_begin / _progress / _end), then the run
 *	 goes on in a new transaction.
 *
 * A failed transactional chunk is rolled back, then its failure is written
 * to the audit log (pgmig.log_failure), which the rolled-back transaction
 * could not keep.  The caller holds the session advisory lock throughout.
 *
 * Lock safety: the server runs transactional revisions with a lock_timeout
 * and retries them when it expires.  The client does the same for the
 * statements of a no-transaction revision, with the same settings
 * (pgmig.lock_timeout, pgmig.lock_retries, pgmig.lock_retry_delay).
 *
 * "pgmig verify" and "pgmig redo" check the round trip (up, down, up) of
 * revisions with mig_verify, which runs it all in a subtransaction that it
 * rolls back.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "fe_utils/cancel.h"

/* State of one run. */
typedef struct Run
{
	Conn	   *c;
	Project    *project;
	const Options *opts;
	bool		in_tx;			/* a transaction is open */
	bool		rollback;		/* end with ROLLBACK (--dry-run) */
	bool		engine_dry_run; /* pass dry_run to pgmig.apply/revert */
	bool		commit_each;
	int			nrun;			/* revisions run so far */
	int			ncommitted;		/* of which committed */
	bool		nothing_to_do;	/* the catalog read under the lock says so */
	bool		noted;			/* pgmig.runs has this run (note_run_start) */
} Run;

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
	if (done_lines.data == NULL)
		return;
	fputs(done_lines.data, stdout);
	fflush(stdout);
	resetPQExpBuffer(&done_lines);
}

/* Forget the progress lines of what was rolled back. */
static void
drop_lines(void)
{
	if (done_lines.data != NULL)
		resetPQExpBuffer(&done_lines);
}

/* "heads"/"base" for a relative target, whose meaning moves as steps run. */
static const char *
chunk_target(const char *target, bool revert)
{
	const char *p = target;

	if (*p != '+' && *p != '-')
		return target;
	for (p++; *p; p++)
		if (!isdigit((unsigned char) *p))
			return target;
	/* the first N steps of "+N" are those of "heads", and so on */
	return revert ? "base" : "heads";
}

/* Open a transaction unless one is open; false on error. */
static bool
ensure_tx(Run *run)
{
	if (run->in_tx)
		return true;
	if (!command(run->c, "BEGIN"))
		return false;
	run->in_tx = true;
	return true;
}

/* Commit (or, for a dry run, roll back) the open transaction. */
static bool
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
		flush_lines();
	else
	{
		drop_lines();
		run->nrun = run->ncommitted;
	}
	return ok;
}

/* Roll back after an error, ignoring a second error. */
static void
abort_tx(Run *run)
{
	PGresult   *res;

	if (!run->in_tx)
		return;
	res = PQexec(run->c->conn, "ROLLBACK");
	PQclear(res);
	run->in_tx = false;
	drop_lines();
	run->nrun = run->ncommitted;
}

/*
 * Note in the catalog, in the open transaction, that a run starts, so that
 * the next run can tell if this one ends without a word; say what earlier
 * runs did (pgmig.run_begin records them in the audit log).  False
 * (reported) on error.
 */
static bool
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
static void
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

/* Does "text" mention "word" as a whole word (not inside another id)? */
static bool
mentions(const char *text, const char *word)
{
	size_t		len = strlen(word);
	const char *p = text;

	if (len == 0)
		return false;
	while ((p = strstr(p, word)) != NULL)
	{
		char		before = p == text ? ' ' : p[-1];
		char		after = p[len];

		if (!isalnum((unsigned char) before) &&
			!isalnum((unsigned char) after) && after != '.' && after != '-')
			return true;
		p++;
	}
	return false;
}

/*
 * Which revision of a chunk failed, from the error's context (the engine
 * names revision and file there); NULL if it cannot be told.
 */
static const char *
failed_revision(const PGresult *res, Step *steps, int k)
{
	const char *ctx = PQresultErrorField(res, PG_DIAG_CONTEXT);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
	int			j;

	if (k == 1)
		return steps[0].id;
	for (j = 0; j < k; j++)
		if (steps[j].source_file &&
			((ctx && strstr(ctx, steps[j].source_file)) ||
			 (msg && strstr(msg, steps[j].source_file))))
			return steps[j].id;
	for (j = 0; j < k; j++)
		if ((ctx && mentions(ctx, steps[j].id)) ||
			(msg && mentions(msg, steps[j].id)))
			return steps[j].id;
	return NULL;
}

/* Write a failure to the audit log, outside the rolled-back transaction. */
static void
log_failure(Run *run, bool revert, const char *revision, double ms,
			const PGresult *res)
{
	char	   *interval = ms_interval(ms);
	const char *values[5];
	PGresult   *lres;

	values[0] = revert ? "revert" : "apply";
	values[1] = revision;
	values[2] = interval;
	values[3] = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	values[4] = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	lres = PQexecParams(run->c->conn,
						"SELECT pgmig.log_failure($1, $2, $3::pg_catalog.interval, $4, $5)",
						5, NULL, values, NULL, NULL, 0);
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

/* Print the progress line of one revision. */
static void
progress(Run *run, const Step *step, const char *ms, const char *extra)
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
	if (!run->in_tx)
		flush_lines();
}

/* Run k transactional steps with one pgmig.apply/revert call. */
static bool
run_chunk(Run *run, Step *steps, int k)
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
	res = PQexecParams(run->c->conn, revert ?
					   "SELECT revision, description, " MILLISECONDS("duration")
					   " FROM pgmig.revert($1, $2::pg_catalog.int4, $3::pg_catalog.bool)" :
					   "SELECT revision, description, " MILLISECONDS("duration")
					   " FROM pgmig.apply($1, $2::pg_catalog.int4, $3::pg_catalog.bool)",
					   3, NULL, values, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		double		ms = elapsed_ms(start);
		const char *failed = failed_revision(res, steps, k);

		report_error(res, run->c->conn, NULL);
		abort_tx(run);
		if (!run->rollback)
			log_failure(run, revert, failed, ms, res);
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
		progress(run, &steps[j], PQgetvalue(res, j, 2),
				 run->rollback ? "dry run" : NULL);
		run->nrun++;
	}
	PQclear(res);
	return true;
}

/* Run the steps in order, cutting them into transactions. */
static bool
run_steps(Run *run, Step *steps, int n)
{
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
			if (!ensure_tx(run) || !run_chunk(run, &steps[i], k))
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
			if (!end_tx(run) || !run_nontx(run->c, run->project, &steps[i], &ms, &nstatements))
			{
				/* run_nontx said where it stopped; say what came before */
				if (run->ncommitted > 0)
					report_aftermath(run, steps[i].revert);
				return false;
			}
			snprintf(msbuf, sizeof(msbuf), "%.3f", ms);
			snprintf(count, sizeof(count), "no transaction, %d statement%s",
					 nstatements, nstatements == 1 ? "" : "s");
			progress(run, &steps[i], msbuf, count);
			run->nrun++;
			run->ncommitted = run->nrun;
			i++;
		}
	}
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

/* Read the server's plan for target into steps; false (reported) on error. */
static bool
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
	*steps = pg_malloc0((*n > 0 ? *n : 1) * 2 * sizeof(Step));
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
static void
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
		pg_free(err.message);
		pg_free(err.detail);
		pg_free(err.hint);
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
static bool
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

/*
 * Report the revision that failed the round trip check, as the server
 * reports errors.  mig_verify gives a script's error as "MESSAGE (up script
 * of revision X, file "F" line N)", and what differs as a sentence.
 */
static void
report_round_trip(const char *id, const char *file, const char *result,
				  const char *detail)
{
	const char *where = NULL;
	const char *p;
	size_t		len = detail ? strlen(detail) : 0;

	if (strcmp(result, "down differs") == 0 || strcmp(result, "up differs") == 0)
	{
		pg_log_error(result[0] == 'd' ?
					 "down script of revision %s does not restore the schema" :
					 "up script of revision %s does not give the same schema after its down script",
					 id);
		pg_log_error_detail("%s", detail);
		pg_log_error_hint("Make the down script in file \"%s\" undo exactly what its up script does.",
						  file);
		return;
	}
	if (strcmp(result, "irreversible") == 0)
	{
		/* only a failure for redo, which must take it down */
		pg_log_error("revision %s cannot be reverted: file \"%s\" has no down script", id, file);
		if (detail)
			pg_log_error_detail("%s", detail);
		return;
	}
	if (strcmp(result, "up failed") != 0 && strcmp(result, "down failed") != 0)
	{
		pg_log_error("revision %s was not checked", id);
		if (detail)
			pg_log_error_detail("%s", detail);
		return;
	}
	/* the last " (... script of revision" that runs to the end is where */
	if (len > 0 && detail[len - 1] == ')')
		for (p = detail; (p = strstr(p, " (")) != NULL; p++)
			if (strncmp(p + 2, "up script of revision ", 22) == 0 ||
				strncmp(p + 2, "down script of revision ", 24) == 0)
				where = p;
	if (where)
		pg_log_error("%.*s\nCONTEXT:  %.*s", (int) (where - detail), detail,
					 (int) (len - (where - detail) - 3), where + 2);
	else
		pg_log_error("%s script of revision %s failed: %s",
					 result[0] == 'u' ? "up" : "down", id, detail ? detail : "?");
}

/*
 * Check the round trip (up, down, up) of the revisions up to target with
 * mig_verify; with "redo", of the applied revisions above target, after
 * taking them down.  "print" lists the result of each revision.  Returns
 * how many failed (irreversible ones only count for redo), -1 on error.
 */
static int
check_round_trip(Run *run, const char *target, bool redo, bool print)
{
	const char *values[2] = {target, redo ? "t" : "f"};
	char	   *sql = psprintf("SELECT revision, source_file, result, detail"
							   " FROM %s.mig_verify($1, $2::pg_catalog.bool)",
							   run->c->extschema);
	PGresult   *res = query(run->c, sql, 2, values);
	int			nfailed = 0;
	int			nunchecked = 0;
	int			first_unchecked = -1;
	int			i;

	pfree(sql);
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *id = PQgetvalue(res, i, 0);
		const char *file = PQgetisnull(res, i, 1) ? "?" : PQgetvalue(res, i, 1);
		const char *result = PQgetvalue(res, i, 2);
		MigFile    *f = project_file(run->project, id);

		if (print)
			info(run->opts, "%-12s %s %s", result, id,
				 f ? f->script.description : shown(file));
		if (strcmp(result, "ok") == 0 ||
			(!redo && strcmp(result, "irreversible") == 0))
			continue;
		/* no-transaction revisions cannot be checked: not a failure */
		if (strcmp(result, "not checked") == 0 && nfailed == 0)
		{
			if (nunchecked++ == 0)
				first_unchecked = i;
			continue;
		}
		/* the check stops at the first failure: the rest is not checked */
		if (nfailed++ == 0)
			report_round_trip(id, file, result,
							  PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3));
	}
	if (nfailed == 0 && nunchecked > 0)
	{
		pg_log_warning("%d revision%s not checked, from revision %s on",
					   nunchecked, nunchecked == 1 ? " was" : "s were",
					   PQgetvalue(res, first_unchecked, 0));
		if (!PQgetisnull(res, first_unchecked, 3))
			pg_log_warning_detail("%s", PQgetvalue(res, first_unchecked, 3));
	}
	if (print && nfailed == 0)
	{
		int			nchecked = PQntuples(res) - nunchecked;

		if (PQntuples(res) == 0)
			info(run->opts, "nothing to verify");
		else
			info(run->opts, "round trip ok for %d revision%s; the check changed nothing",
				 nchecked, nchecked == 1 ? "" : "s");
	}
	PQclear(res);
	return nfailed;
}

/*
 * pgmig verify: register the files and check the round trip of the pending
 * revisions up to target, in a transaction that is rolled back.
 */
int
run_verify(Conn *c, Project *project, const char *target)
{
	Run			run;
	int			nfailed;

	if (!start_run(&run, c, project, true, NULL, false))
		return EXIT_ERROR;
	nfailed = check_round_trip(&run, target, false, true);
	if (!end_tx(&run))
		return EXIT_ERROR;
	return nfailed == 0 ? EXIT_OK : EXIT_ERROR;
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
	if (n == 0)
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

/*
 * Before a redo, check the round trip of its revisions (the steps of the
 * revert) with mig_verify: true if it works, or cannot be checked.
 */
static bool
check_redo(Run *run, const char *target, Step *steps, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (!steps[i].transactional)
		{
			pg_log_warning("the round trip cannot be checked before the redo: revision %s is a no-transaction revision",
						   steps[i].id);
			return true;
		}
	switch (check_round_trip(run, target, true, run->opts->verbose))
	{
		case 0:
			return true;
		case -1:
			return false;
		default:
			pg_log_info("nothing was reverted: the check before the redo failed");
			return false;
	}
}

/*
 * Check the round trip of the revisions above target, then revert them and
 * apply them again, in one transaction (split only by no-transaction
 * revisions).
 */
int
run_redo(Conn *c, Project *project, const char *target)
{
	Run			run;
	Step	   *steps;
	int			n;
	int			i;
	bool		ok;

	if (!start_run(&run, c, project, c->opts->dry_run, NULL, true))
		return EXIT_ERROR;
	/* the up half must see the down half: the client rolls back a dry run */
	run.engine_dry_run = false;
	run.commit_each = false;
	if (!get_plan(&run, target, true, &steps, &n))
	{
		abort_tx(&run);
		return EXIT_ERROR;
	}
	if (n == 0)
	{
		info(c->opts, "nothing to redo");
		ok = end_tx(&run);
		free_steps(steps, n);
		return ok ? EXIT_OK : EXIT_ERROR;
	}
	/* a refused redo rolls the registration back too: nothing changes */
	if (!check_redo(&run, target, steps, n) ||
		(!run.rollback && !note_run_start(&run, "revert", target)) ||
		(!run.rollback && !end_tx(&run)))
	{
		abort_tx(&run);
		run.noted = false;
		free_steps(steps, n);
		return EXIT_ERROR;
	}
	/* the up half: the same revisions, parents first, one call each */
	for (i = 0; i < n; i++)
	{
		Step	   *from = &steps[n - 1 - i];
		Step	   *to = &steps[n + i];

		to->id = pg_strdup(from->id);
		to->description = pg_strdup(from->description);
		to->source_file = from->source_file ? pg_strdup(from->source_file) : NULL;
		to->transactional = from->transactional;
		to->revert = false;
		to->call_target = pg_strdup(from->id);
	}
	ok = run_steps(&run, steps, 2 * n);
	note_run_end(&run);
	free_steps(steps, 2 * n);
	return ok ? EXIT_OK : EXIT_ERROR;
}
