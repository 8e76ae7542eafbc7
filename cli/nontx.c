/*-------------------------------------------------------------------------
 *
 * nontx.c
 *	  Running a no-transaction revision (CREATE INDEX CONCURRENTLY and the
 *	  like) at top level, one statement at a time.
 *
 * The server says what to run (pgmig.nontx_plan): the statements from
 * where an earlier attempt stopped, the SET statements before that point
 * replayed for this session, and what an interrupted statement left
 * cleaned up first.  Each statement that can run in a transaction block
 * runs in one together with its progress record, so it takes effect
 * exactly once whenever the client dies.  Before each one that cannot,
 * the client records an intent (pgmig.nontx_intent), from which a later
 * attempt tells whether it took effect (see the extension's resume.c).
 *
 * Lock safety: the statements run with the lock_timeout the server gives
 * (the plan's first row sets it: the file's directive, or an explicitly
 * set pgmig.lock_timeout, not its default, since CREATE INDEX CONCURRENTLY
 * waits for older transactions by design and a timeout in its later phases
 * leaves an invalid index).  When one times out, the run pauses and asks
 * the server for the plan again, which drops what the timed-out statement
 * left before running it again.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "fe_utils/cancel.h"
#include "mb/pg_wchar.h"
#include "pgmig_lock.h"


/* Columns of pgmig.nontx_plan(). */
enum
{
	PLAN_STMT,
	PLAN_LINE,
	PLAN_SQL,
	PLAN_MODE,
	PLAN_TOTAL
};

/* How the statements of a no-transaction revision wait for locks. */
typedef struct LockPolicy
{
	int			retries;		/* times the revision runs again after one */
	long		delay_ms;		/* pause before the first retry */
} LockPolicy;

/*
 * Run a statement at top level, showing progress while it runs; false if
 * it failed (res kept for the caller).
 */
static bool
run_toplevel(PGconn *conn, const char *sql, PGresult **resp)
{
	PGresult   *res = progress_exec(conn, sql, -1, NULL);
	ExecStatusType st = PQresultStatus(res);

	if (st == PGRES_COPY_IN)
	{
		/* nobody can feed COPY FROM STDIN here */
		PQputCopyEnd(conn, "COPY FROM STDIN is not supported in migrations");
		PQclear(res);
		res = PQgetResult(conn);
		st = PQresultStatus(res);
	}
	else if (st == PGRES_COPY_OUT)
	{
		char	   *buf;

		while (PQgetCopyData(conn, &buf, 0) > 0)
			PQfreemem(buf);
		PQclear(res);
		res = PQgetResult(conn);
		st = PQresultStatus(res);
	}
	/* drain anything left (there should be nothing) */
	{
		PGresult   *extra;

		while ((extra = PQgetResult(conn)) != NULL)
			PQclear(extra);
	}
	*resp = res;
	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
		st == PGRES_EMPTY_QUERY;
}

/* Run one of pgmig's own calls with parameters; false (res kept) on error. */
static bool
run_call(PGconn *conn, const char *sql, int n, const char *const *values,
		 PGresult **resp)
{
	*resp = PQexecParams(conn, sql, n, NULL, values, NULL, NULL, 0);
	return PQresultStatus(*resp) == PGRES_TUPLES_OK ||
		PQresultStatus(*resp) == PGRES_COMMAND_OK;
}

/*
 * The file line of an error in a statement that starts on "first_line":
 * the server gives the error's position in characters.
 */
static int
error_line(const PGresult *res, const char *sql, int first_line)
{
	const char *pos = res ? PQresultErrorField(res, PG_DIAG_STATEMENT_POSITION) : NULL;
	const unsigned char *p = (const unsigned char *) sql;
	int			line = first_line;
	int			c;

	if (pos == NULL)
		return line;
	for (c = atoi(pos); c > 1 && *p; c--)
	{
		if (*p == '\n')
			line++;
		p += pg_utf_mblen(p);
	}
	return line;
}

/* Undo the session settings a no-transaction script may have made. */
static bool
reset_session(Conn *c)
{
	return command(c, "RESET ALL") && set_session_options(c);
}

/*
 * Read how often and after what pause a revision whose statement timed out
 * waiting for a lock runs again.  The lock_timeout itself is the server's
 * to give (pgmig.nontx_plan's first row sets it).  False (reported) on
 * error.
 */
static bool
read_lock_policy(Conn *c, LockPolicy *lp)
{
	static const char *const names[] = {"pgmig.lock_retries", "pgmig.lock_retry_delay"};
	char	   *name_array = text_array_literal(lengthof(names), names);
	const char *values[1] = {name_array};
	PGresult   *res;
	int			i;

	memset(lp, 0, sizeof(*lp));
	/* in their base units; they exist once pgmig's module is loaded */
	res = query(c, "SELECT name, setting FROM pg_catalog.pg_settings"
				" WHERE name OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[])",
				1, values);
	pg_free(name_array);
	if (res == NULL)
		return false;
	for (i = 0; i < PQntuples(res); i++)
	{
		if (strcmp(PQgetvalue(res, i, 0), "pgmig.lock_retries") == 0)
			lp->retries = atoi(PQgetvalue(res, i, 1));
		else
			lp->delay_ms = atol(PQgetvalue(res, i, 1));
	}
	PQclear(res);
	return true;
}

/*
 * The lock_timeout the statements waited with, as the server shows it
 * ("5s", "100ms", "0"), or NULL if it cannot be read (malloc'd).
 */
static char *
lock_timeout_in_force(Conn *c)
{
	PGresult   *res = PQexec(c->conn, "SHOW lock_timeout");
	char	   *value = NULL;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		value = pg_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return value;
}

/* Did a statement fail waiting for a lock (lock_timeout, NOWAIT)? */
static bool
lock_not_available(const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return state != NULL && strcmp(state, "55P03") == 0;
}

/*
 * Row i of the plan timed out waiting for a lock on its "attempt": unless
 * that was the last one, say so, pause and return true to run the
 * revision's plan again.  Ctrl-C during the pause returns false.
 */
static bool
pause_before_retry(Conn *c, Step *step, PGresult *plan, int i,
				   const PGresult *res, int attempt, const LockPolicy *lp)
{
	long		delay = pgmig_retry_delay_ms(lp->delay_ms, attempt);
	long		waited;
	char	   *timeout;
	bool		timed_out;

	if (!lock_not_available(res) || attempt > lp->retries)
		return false;
	/* without a lock_timeout, the statement did not time out: NOWAIT */
	timeout = lock_timeout_in_force(c);
	timed_out = timeout != NULL && strcmp(timeout, "0") != 0;
	pg_free(timeout);
	if (!timed_out)
		return false;
	pg_log_info("revision %s timed out waiting for a lock (file \"%s\" line %s, attempt %d of %d), retrying in %ld ms",
				step->id, step->source_file ? step->source_file : "?",
				PQgetvalue(plan, i, PLAN_LINE), attempt, lp->retries + 1, delay);
	for (waited = 0; waited < delay && !CancelRequested; waited += 50)
		pg_usleep(Min(delay - waited, 50) * 1000L);
	return !CancelRequested;
}

/* The progress record of statement "stmt", optionally followed by COMMIT. */
static char *
progress_sql(PGconn *conn, const Step *step, const char *stmt, bool commit)
{
	char	   *id = PQescapeLiteral(conn, step->id, strlen(step->id));
	char	   *sql;

	if (id == NULL)
		return NULL;
	sql = psprintf("SELECT pgmig.nontx_progress(%s, %s::pg_catalog.int4)%s",
				   id, stmt, commit ? "; COMMIT" : "");
	PQfreemem(id);
	return sql;
}

/*
 * Run row i of a no-transaction plan as its mode says (see the file
 * header).  False on failure, with the result in *res (NULL if the
 * connection gave none).
 */
static bool
run_command(Conn *c, Step *step, PGresult *plan, int i, PGresult **res)
{
	const char *stmt = PQgetvalue(plan, i, PLAN_STMT);
	const char *sql = PQgetvalue(plan, i, PLAN_SQL);
	const char *mode = PQgetvalue(plan, i, PLAN_MODE);
	char	   *progress;
	bool		ok;

	*res = NULL;
	if (strcmp(mode, "replay") == 0 || strcmp(mode, "cleanup") == 0)
		return run_toplevel(c->conn, sql, res);

	progress = progress_sql(c->conn, step, stmt, strcmp(mode, "transaction") == 0);
	if (progress == NULL)
		return false;
	if (strcmp(mode, "done") == 0)
		ok = run_toplevel(c->conn, progress, res);
	else if (strcmp(mode, "transaction") == 0)
	{
		/* the statement and its progress record commit together */
		ok = run_toplevel(c->conn, "BEGIN", res) &&
			(PQclear(*res), run_toplevel(c->conn, sql, res)) &&
			(PQclear(*res), run_toplevel(c->conn, progress, res));
		if (!ok && PQtransactionStatus(c->conn) != PQTRANS_IDLE)
			PQclear(PQexec(c->conn, "ROLLBACK"));
	}
	else
	{
		const char *values[3] = {step->id, stmt, sql};

		ok = run_call(c->conn, "SELECT pgmig.nontx_intent($1, $2::pg_catalog.int4, $3)",
					  3, values, res) &&
			(PQclear(*res), run_toplevel(c->conn, sql, res)) &&
			(PQclear(*res), run_toplevel(c->conn, progress, res));
	}
	pg_free(progress);
	return ok;
}

/*
 * Row i of the plan failed (res), or Ctrl-C came between commands (res
 * NULL), on the "attempts"th run: report it with the file line, and record
 * the failure.
 */
static void
nontx_failed(Conn *c, Step *step, PGresult *plan, int i, PGresult *res,
			 double ms, int attempts, const LockPolicy *lp)
{
	const char *stmt_no = PQgetvalue(plan, i, PLAN_STMT);
	const char *total = PQgetvalue(plan, i, PLAN_TOTAL);
	bool		cleanup = strcmp(PQgetvalue(plan, i, PLAN_MODE), "cleanup") == 0;
	int			done = atoi(stmt_no) - 1;
	char	   *interval = ms_interval(ms);
	char	   *where = psprintf(PGMIG_SCRIPT_CONTEXT, step->revert ? "down" : "up", step->id,
								 step->source_file ? step->source_file : "?",
								 cleanup ? atoi(PQgetvalue(plan, i, PLAN_LINE)) :
								 error_line(res, PQgetvalue(plan, i, PLAN_SQL),
											atoi(PQgetvalue(plan, i, PLAN_LINE))));
	char	   *context = cleanup ?
		psprintf("%s (no transaction: cleaning up after the interrupted statement %s of %s)",
				 where, stmt_no, total) :
		psprintf("%s (no transaction: statement %s of %s)", where, stmt_no, total);
	char	   *gave_up = NULL;
	const char *message = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) :
	"canceling statement due to user request";
	const char *values[6];
	PGresult   *end;

	if (attempts > 1 && lock_not_available(res))
	{
		/* as the server says it of the revisions it retries */
		char	   *timeout = lock_timeout_in_force(c);
		char	   *detail = psprintf("%d attempts each timed out after lock_timeout %s: %s.",
									  attempts, timeout ? timeout : "?", message);
		char	   *hint = psprintf("Find the session holding a lock on the table in pg_locks; let it finish or end it, then run \"%s %s\" again.",
									progname, step->revert ? "down" : "up");

		gave_up = psprintf(PGMIG_GAVE_UP_MESSAGE, step->id);
		report_statement_error(gave_up, detail, hint, context);
		pfree(detail);
		pfree(hint);
		pg_free(timeout);
		message = gave_up;
	}
	else if (res && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY))
		report_error(res, c->conn, context);
	else if (res)
		/* libpq's own error, kept in the result (a later call replaces the connection's) */
		report_statement_error(PQresultErrorMessage(res)[0] ? PQresultErrorMessage(res) :
							   PQerrorMessage(c->conn), NULL, NULL, context);
	else
		report_statement_error(message, NULL, NULL, context);
	if (PQstatus(c->conn) != CONNECTION_OK)
	{
		/* nothing more can be recorded: the next run finds it running */
		pg_log_info("the connection to the server was lost; the next run finds revision %s interrupted and resumes it",
					step->id);
		goto out;
	}
	values[0] = step->id;
	values[1] = step->revert ? "t" : "f";
	values[2] = "f";
	values[3] = interval;
	values[4] = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : "57014";
	values[5] = message ? message : PQerrorMessage(c->conn);
	end = query(c, "SELECT pgmig.nontx_end($1, $2::pg_catalog.bool, $3::pg_catalog.bool, $4::pg_catalog.interval, $5, $6)",
				6, values);
	PQclear(end);
	(void) reset_session(c);
	if (step->revert)
		pg_log_info("no-transaction revision %s stopped reverting after %d of %s statements; \"%s status\" shows it, \"%s down\" resumes it",
					step->id, done, total, progname, progname);
	else
		pg_log_info("no-transaction revision %s stopped after %d of %s statements; \"%s status\" shows it, \"%s up\" resumes it",
					step->id, done, total, progname, progname);
out:
	pfree(interval);
	pfree(where);
	pfree(context);
	pg_free(gave_up);
}

/*
 * Run a no-transaction revision (see the file header).  On success, *ms and
 * *nstatements say how long it took and how many of its statements ran.
 * False (reported, and recorded as failed) on error.
 */
bool
run_nontx(Conn *c, Step *step, double *ms, int *nstatements)
{
	const char *values[6] = {step->id, step->revert ? "t" : "f"};
	PGresult   *res;
	PGresult   *plan = NULL;
	instr_time	start;
	LockPolicy	lp;
	bool		ok = false;
	int			attempt;
	int			i;

	memset(&lp, 0, sizeof(lp));
	res = query(c, "SELECT pgmig.nontx_begin($1, $2::pg_catalog.bool)", 2, values);
	if (res == NULL)
		return false;
	PQclear(res);
	if (!read_lock_policy(c, &lp))
		return false;

	INSTR_TIME_SET_CURRENT(start);
	*nstatements = 0;
	for (attempt = 1;; attempt++)
	{
		plan = query(c, "SELECT stmt, line, sql, mode, total"
					 " FROM pgmig.nontx_plan($1, $2::pg_catalog.bool)", 2, values);
		if (plan == NULL)
			goto done;
		/* the first command that is not a replayed SET says where it starts */
		for (i = 0; i < PQntuples(plan) &&
			 strcmp(PQgetvalue(plan, i, PLAN_MODE), "replay") == 0; i++)
			;
		if (attempt == 1 && i < PQntuples(plan) &&
			strcmp(PQgetvalue(plan, i, PLAN_STMT), "1") != 0)
			info(c->opts, "resuming %s at statement %s of %s", step->id,
				 PQgetvalue(plan, i, PLAN_STMT), PQgetvalue(plan, i, PLAN_TOTAL));
		for (i = 0; i < PQntuples(plan); i++)
		{
			const char *mode = PQgetvalue(plan, i, PLAN_MODE);

			if (CancelRequested)
			{
				res = NULL;
				break;
			}
			if (strcmp(mode, "transaction") == 0 || strcmp(mode, "top level") == 0)
				progress_statement(atoi(PQgetvalue(plan, i, PLAN_STMT)),
								   atoi(PQgetvalue(plan, i, PLAN_TOTAL)),
								   atoi(PQgetvalue(plan, i, PLAN_LINE)));
			if (!run_command(c, step, plan, i, &res))
				break;
			PQclear(res);
			res = NULL;
			if (strcmp(mode, "transaction") == 0 || strcmp(mode, "top level") == 0)
				(*nstatements)++;
			else if (strcmp(mode, "cleanup") == 0)
				info(c->opts, "revision %s: ran \"%s\" to clean up after an interrupted statement",
					 step->id, shown(PQgetvalue(plan, i, PLAN_SQL)));
			else if (strcmp(mode, "done") == 0)
				info(c->opts, "revision %s: statement %s had taken effect before the interruption",
					 step->id, PQgetvalue(plan, i, PLAN_STMT));
		}
		if (i == PQntuples(plan))
			break;
		if (CancelRequested || !pause_before_retry(c, step, plan, i, res, attempt, &lp))
		{
			nontx_failed(c, step, plan, i, res, elapsed_ms(start), attempt, &lp);
			PQclear(res);
			goto done;
		}
		PQclear(res);
		PQclear(plan);
		plan = NULL;
	}

	*ms = elapsed_ms(start);
	{
		char	   *interval = ms_interval(*ms);

		values[2] = "t";
		values[3] = interval;
		values[4] = NULL;
		values[5] = NULL;
		res = query(c, "SELECT pgmig.nontx_end($1, $2::pg_catalog.bool, $3::pg_catalog.bool, $4::pg_catalog.interval, $5, $6)",
					6, values);
		ok = res != NULL && reset_session(c);
		PQclear(res);
		pfree(interval);
	}

done:
	PQclear(plan);
	return ok;
}
