/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  Progress reports of a run, as it goes, for the client to show.
 *
 * With pgmig.progress set (the pgmig client sets it for its session), the
 * apply and revert loop reports each revision as it starts and ends, and
 * with "statements" each statement of its script as it starts, with its
 * line in the file.  A report is an INFO message with SQLSTATE
 * PGMIG_PROGRESS_SQLSTATE: INFO goes to the client whatever
 * client_min_messages says (and, below log_min_messages' default, not to
 * the server log), and the server flushes each message at once, so that
 * libpq hands it to the client's notice receiver while the run's query is
 * still going.  Nothing is reported with the setting off, its default, so
 * that psql sessions and pg_regress outputs see nothing new.
 *
 * Each report costs the backend a flush and the client a wakeup, which a
 * run of very short revisions feels: so the end of a revision waits for
 * the start of the next, which follows at once, and both go as one
 * message.  The last revision of a call, and each one of a procedure that
 * commits in between, reports its end by itself.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/memutils.h"

#include "pgmig.h"
#include "pgmig_format.h"
#include "pgmig_message.h"

#define ERRCODE_PGMIG_PROGRESS	MAKE_SQLSTATE('0','0','M','0','1')

StaticAssertDecl(sizeof(PGMIG_PROGRESS_SQLSTATE) == 6,
				 "a SQLSTATE has five characters");

/*
 * The end of a revision that waits for the next one's start (its message
 * and detail, in TopMemoryContext), or NULL.
 */
static char *pending_end = NULL;
static char *pending_detail = NULL;

/* Forget the end waiting to be sent, if any. */
static void
forget_pending(void)
{
	if (pending_end)
		pfree(pending_end);
	if (pending_detail)
		pfree(pending_detail);
	pending_end = pending_detail = NULL;
}

/*
 * Send one report, with a detail or NULL (palloc'd, freed).  Without the
 * error context callbacks: the script's
 * would count the lines of the script up to the statement again for a
 * context line that the report already has, and a caller's (a DO block,
 * a function) would add lines nobody reads.
 */
static void
report(char *msg, char *detail)
{
	ErrorContextCallback *saved = error_context_stack;

	error_context_stack = NULL;
	ereport(INFO,
			(errcode(ERRCODE_PGMIG_PROGRESS),
			 errmsg_internal("%s", msg),
			 detail ? errdetail_internal("%s", detail) : 0));
	error_context_stack = saved;
	pfree(msg);
	if (detail)
		pfree(detail);
}

/*
 * Step "step" (from 0) of "nsteps" starts to run "script"; its statements
 * report as they start if pgmig.progress asks for them.  The end of the
 * step before goes with it.
 */
void
mig_progress_start(MigScript *script, int step, int nsteps)
{
	char	   *msg;
	char	   *detail = NULL;

	script->report_statements = pgmig_progress >= MIG_PROGRESS_STATEMENTS;
	script->report_offset = 0;
	script->report_line = script->first_line;
	/* at the first step, one left by a run that failed is stale */
	if (pgmig_progress < MIG_PROGRESS_REVISIONS || step == 0)
		forget_pending();
	if (pgmig_progress < MIG_PROGRESS_REVISIONS)
		return;
	msg = psprintf(PGMIG_PROGRESS_START,
				   script->revert ? "reverting" : "applying",
				   script->revision, step + 1, nsteps);
	if (pending_end)
	{
		char	   *both = psprintf("%s" PGMIG_PROGRESS_THEN "%s", pending_end, msg);

		pfree(msg);
		msg = both;
		/* report frees it, from whichever context */
		detail = pending_detail;
		pending_detail = NULL;
		forget_pending();
	}
	report(msg, detail);
}

/*
 * Step "step" of "nsteps" ran its script in "duration".  Unless "now", the
 * report waits for the next step's start (see the file header).
 */
void
mig_progress_end(MigScript *script, int step, int nsteps,
				 const Interval *duration, bool now)
{
	bool		wait = !now && step < nsteps - 1;
	MemoryContext oldcxt;
	char	   *msg;
	char	   *detail;

	script->report_statements = false;
	forget_pending();
	if (pgmig_progress < MIG_PROGRESS_REVISIONS)
		return;
	/* one that waits is kept across the next step's script */
	oldcxt = MemoryContextSwitchTo(wait ? TopMemoryContext : CurrentMemoryContext);
	msg = psprintf(PGMIG_PROGRESS_END, script->revision, step + 1, nsteps);
	detail = psprintf(PGMIG_PROGRESS_END_DETAIL, script->revision,
					  duration->time / 1000.0);
	MemoryContextSwitchTo(oldcxt);
	if (!wait)
	{
		report(msg, detail);
		return;
	}
	pending_end = msg;
	pending_detail = detail;
}

/*
 * Statement "stmt" of a script starts.  Its line is counted on from the
 * last report's, so that a script's reports cost in proportion to its
 * length, not to its length times its statements.
 */
void
mig_progress_statement(MigScript *script, int stmt)
{
	int			offset = script->stmts[stmt].offset;

	if (!script->report_statements)
		return;
	if (offset < script->report_offset)
	{
		/* run again from the start (a retry) */
		script->report_offset = 0;
		script->report_line = script->first_line;
	}
	script->report_line = pgmig_line_at(script->text + script->report_offset,
										offset - script->report_offset,
										script->report_line);
	script->report_offset = offset;
	report(psprintf(PGMIG_PROGRESS_STATEMENT, script->revision,
					stmt + 1, script->nstmts, script->report_line,
					script->file ? pgmig_escape(script->file) : "(none)"),
		   NULL);
}
