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
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"

#include "pgmig.h"
#include "pgmig_format.h"
#include "pgmig_message.h"

#define ERRCODE_PGMIG_PROGRESS	MAKE_SQLSTATE('0','0','M','0','1')

StaticAssertDecl(sizeof(PGMIG_PROGRESS_SQLSTATE) == 6,
				 "a SQLSTATE has five characters");

/*
 * Send one report, with a detail or NULL (palloc'd, freed).  Without the error context callbacks: the script's
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
 * report as they start if pgmig.progress asks for them.
 */
void
mig_progress_start(MigScript *script, int step, int nsteps)
{
	script->report_statements = pgmig_progress >= MIG_PROGRESS_STATEMENTS;
	script->report_offset = 0;
	script->report_line = script->first_line;
	if (pgmig_progress < MIG_PROGRESS_REVISIONS)
		return;
	report(psprintf(PGMIG_PROGRESS_START,
					script->revert ? "reverting" : "applying",
					script->revision, step + 1, nsteps), NULL);
}

/* Step "step" of "nsteps" ran its script in "duration". */
void
mig_progress_end(MigScript *script, int step, int nsteps,
				 const Interval *duration)
{
	script->report_statements = false;
	if (pgmig_progress < MIG_PROGRESS_REVISIONS)
		return;
	report(psprintf(PGMIG_PROGRESS_END, script->revision, step + 1, nsteps),
		   psprintf(PGMIG_PROGRESS_END_DETAIL, duration->time / 1000.0));
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
