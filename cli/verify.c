/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  "pgmig verify" and "pgmig redo": proving down scripts.
 *
 * Both check the round trip (up, down, up) of revisions with mig_verify,
 * which runs it all in a subtransaction that it rolls back and compares a
 * fingerprint of the schema.  verify checks the pending revisions, in a
 * transaction that is rolled back, registration included.  redo checks the
 * applied revisions above its target first, then reverts them and applies
 * them again with run.c's machinery, in one transaction (split only by
 * no-transaction revisions).
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* Field "col" of row i, or NULL. */
static const char *
field_or_null(const PGresult *res, int i, int col)
{
	return PQgetisnull(res, i, col) ? NULL : PQgetvalue(res, i, col);
}

/*
 * Report row i of mig_verify (revision, source_file, result, detail,
 * message, hint, line): a revision that failed the round trip check, as
 * the server reports a script's errors.
 */
static void
report_round_trip(const PGresult *res, int i)
{
	const char *id = PQgetvalue(res, i, 0);
	const char *file = PQgetisnull(res, i, 1) ? "?" : PQgetvalue(res, i, 1);
	const char *result = PQgetvalue(res, i, 2);
	const char *detail = field_or_null(res, i, 3);
	const char *message = field_or_null(res, i, 4);

	if (strcmp(result, "down differs") == 0 || strcmp(result, "up differs") == 0)
	{
		pg_log_error(result[0] == 'd' ?
					 "down script of revision %s does not restore the schema" :
					 "up script of revision %s does not give the same schema after its down script",
					 id);
		pg_log_error_detail("%s", detail);
		pg_log_error_hint("Make the down script in file \"%s\" undo exactly what its up script does.",
						  shown(file));
		return;
	}
	if (strcmp(result, "irreversible") == 0)
	{
		/* only a failure for redo, which must take it down */
		pg_log_error("revision %s cannot be reverted: file \"%s\" has no down script", id, shown(file));
		if (detail)
			pg_log_error_detail("%s", detail);
		return;
	}
	if (message == NULL)
	{
		pg_log_error("revision %s was not checked", id);
		if (detail)
			pg_log_error_detail("%s", detail);
		return;
	}
	/* a script failed: as the server reports it, with file and line */
	{
		char	   *context = psprintf(PGMIG_SCRIPT_CONTEXT,
									   strcmp(result, "down failed") == 0 ? "down" : "up",
									   id, file, PQgetisnull(res, i, 6) ? 0 : atoi(PQgetvalue(res, i, 6)));

		report_statement_error(message, detail, field_or_null(res, i, 5), context);
		pfree(context);
	}
}

/*
 * Print verify's document (json-schema/verify.json): each row of
 * mig_verify (revision, source_file, result, detail, message, hint, line)
 * and whether the check passed.
 */
static void
print_verify_json(Run *run, const char *target, const PGresult *res,
				  bool ok)
{
	PQExpBufferData buf;
	bool		first = true;
	int			i;

	json_open_document(&buf, &first, "verify", target);
	json_bool(&buf, &first, "ok", ok);
	json_key(&buf, &first, "revisions");
	appendPQExpBufferChar(&buf, '[');
	for (i = 0; i < PQntuples(res); i++)
	{
		MigFile    *f = project_file(run->project, PQgetvalue(res, i, 0));
		bool		fi = true;

		if (i > 0)
			appendPQExpBufferChar(&buf, ',');
		appendPQExpBufferChar(&buf, '{');
		json_key(&buf, &fi, "revision");
		json_string(&buf, PQgetvalue(res, i, 0));
		json_key(&buf, &fi, "description");
		json_string(&buf, f ? f->script.description : NULL);
		json_key(&buf, &fi, "file");
		json_string(&buf, field_or_null(res, i, 1));
		json_key(&buf, &fi, "result");
		json_string(&buf, PQgetvalue(res, i, 2));
		json_key(&buf, &fi, "message");
		json_string(&buf, field_or_null(res, i, 4));
		json_key(&buf, &fi, "detail");
		json_string(&buf, field_or_null(res, i, 3));
		json_key(&buf, &fi, "hint");
		json_string(&buf, field_or_null(res, i, 5));
		json_key(&buf, &fi, "line");
		appendPQExpBufferStr(&buf, PQgetisnull(res, i, 6) ? "null" : PQgetvalue(res, i, 6));
		appendPQExpBufferChar(&buf, '}');
	}
	appendPQExpBufferStr(&buf, "]}");
	json_print(&buf);
	termPQExpBuffer(&buf);
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
	char	   *sql = psprintf("SELECT revision, source_file, result, detail,"
							   " message, hint, line"
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
			report_round_trip(res, i);
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
	if (!redo && run->opts->json)
		print_verify_json(run, target, res, nfailed == 0);
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
