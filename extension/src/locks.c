/*-------------------------------------------------------------------------
 *
 * locks.c
 *	  Lock safety: scripts run with a lock_timeout, and a revision that
 *	  times out waiting for a lock is rolled back to its start and retried
 *	  with back-off.  When it gives up, the error names the table and the
 *	  process holding the lock.
 *
 * While a migration waits for a lock, every later request for a
 * conflicting lock on the same table queues behind it: application
 * traffic stalls.  A short lock_timeout bounds that stall; the pause
 * between attempts lets the queue drain.
 *
 * The lock wait itself is gone by the time the timeout error arrives, so
 * the table is found again from the failing statement: its raw parse tree
 * names the relations it touches, and pg_locks tells which of them another
 * process holds.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "pgmig.h"

/* Longest pause between two attempts. */
#define MAX_RETRY_DELAY_MS 60000

/* Who holds a lock on a relation, as far as pg_locks tells. */
typedef struct LockHolder
{
	char	   *relation;		/* qualified name */
	int			pid;			/* 0 for a prepared transaction */
	char	   *mode;
	char	   *description;	/* user, application, state, query */
} LockHolder;

/* The lock_timeout value to run a script with: directive, pgmig's, or NULL. */
static const char *
script_lock_timeout(const char *directive)
{
	if (directive != NULL)
		return directive;
	if (pgmig_lock_timeout >= 0)
		return psprintf("%dms", pgmig_lock_timeout);
	return NULL;				/* the session's own */
}

/*
 * The lock_timeout in milliseconds that a value means, 0 for none; NULL
 * means the session's.  "file" names the directive's file in the error.
 */
int
mig_lock_timeout_ms(const char *value, const char *file)
{
	int			ms;

	if (value == NULL)
		return LockTimeout;
	if (!parse_int(value, &ms, GUC_UNIT_MS, NULL) || ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid lock_timeout \"%s\"", value),
				 file ? errdetail("The \"-- pgmig:lock_timeout\" directive of file \"%s\" sets it.", file) : 0,
				 errhint("Use a duration such as \"5s\" or \"200ms\"; 0 waits indefinitely.")));
	return ms;
}

/* Relations named by a RangeVar list. */
static List *
add_rangevars(List *rels, List *rangevars)
{
	ListCell   *lc;

	foreach(lc, rangevars)
		rels = lappend(rels, lfirst(lc));
	return rels;
}

/* The referenced table of a foreign key constraint node, if any. */
static List *
add_constraint(List *rels, Node *node)
{
	if (node != NULL && IsA(node, Constraint) &&
		((Constraint *) node)->pktable != NULL)
		rels = lappend(rels, ((Constraint *) node)->pktable);
	return rels;
}

/*
 * The tables a raw statement locks, as RangeVars: the statements that
 * migrations run and that wait on busy tables.  Others give NIL.
 */
static List *
statement_relations(Node *stmt)
{
	List	   *rels = NIL;
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			{
				AlterTableStmt *s = (AlterTableStmt *) stmt;

				rels = lappend(rels, s->relation);
				foreach(lc, s->cmds)
					rels = add_constraint(rels, ((AlterTableCmd *) lfirst(lc))->def);
				break;
			}
		case T_CreateStmt:
			{
				CreateStmt *s = (CreateStmt *) stmt;

				rels = add_rangevars(rels, s->inhRelations);
				foreach(lc, s->tableElts)
				{
					Node	   *elt = lfirst(lc);
					ListCell   *lc2;

					if (IsA(elt, ColumnDef))
						foreach(lc2, ((ColumnDef *) elt)->constraints)
							rels = add_constraint(rels, lfirst(lc2));
					else
						rels = add_constraint(rels, elt);
				}
				foreach(lc, s->constraints)
					rels = add_constraint(rels, lfirst(lc));
				break;
			}
		case T_IndexStmt:
			rels = lappend(rels, ((IndexStmt *) stmt)->relation);
			break;
		case T_CreateTrigStmt:
			rels = lappend(rels, ((CreateTrigStmt *) stmt)->relation);
			break;
		case T_RuleStmt:
			rels = lappend(rels, ((RuleStmt *) stmt)->relation);
			break;
		case T_CreatePolicyStmt:
			rels = lappend(rels, ((CreatePolicyStmt *) stmt)->table);
			break;
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->relation != NULL)
				rels = lappend(rels, ((RenameStmt *) stmt)->relation);
			break;
		case T_AlterObjectSchemaStmt:
			if (((AlterObjectSchemaStmt *) stmt)->relation != NULL)
				rels = lappend(rels, ((AlterObjectSchemaStmt *) stmt)->relation);
			break;
		case T_DropStmt:
			{
				DropStmt   *s = (DropStmt *) stmt;

				foreach(lc, s->objects)
				{
					List	   *names = lfirst(lc);

					switch (s->removeType)
					{
						case OBJECT_TABLE:
						case OBJECT_INDEX:
						case OBJECT_VIEW:
						case OBJECT_MATVIEW:
						case OBJECT_SEQUENCE:
						case OBJECT_FOREIGN_TABLE:
							rels = lappend(rels, makeRangeVarFromNameList(names));
							break;
						case OBJECT_TRIGGER:
						case OBJECT_RULE:
						case OBJECT_POLICY:
							/* table name, then the object's own */
							if (list_length(names) > 1)
								rels = lappend(rels,
											   makeRangeVarFromNameList(list_truncate(list_copy(names),
																					  list_length(names) - 1)));
							break;
						default:
							break;
					}
				}
				break;
			}
		case T_TruncateStmt:
			rels = add_rangevars(rels, ((TruncateStmt *) stmt)->relations);
			break;
		case T_LockStmt:
			rels = add_rangevars(rels, ((LockStmt *) stmt)->relations);
			break;
		case T_InsertStmt:
			rels = lappend(rels, ((InsertStmt *) stmt)->relation);
			break;
		case T_UpdateStmt:
			rels = lappend(rels, ((UpdateStmt *) stmt)->relation);
			break;
		case T_DeleteStmt:
			rels = lappend(rels, ((DeleteStmt *) stmt)->relation);
			break;
		case T_ClusterStmt:
			if (((ClusterStmt *) stmt)->relation != NULL)
				rels = lappend(rels, ((ClusterStmt *) stmt)->relation);
			break;
		case T_RefreshMatViewStmt:
			rels = lappend(rels, ((RefreshMatViewStmt *) stmt)->relation);
			break;
		default:
			break;
	}
	return rels;
}

/* Describe the first other process holding a lock on "relid", or false. */
static bool
find_holder(Oid relid, LockHolder *holder)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[1];
	bool		found = false;

	if (plan == NULL)
	{
		Oid			argtypes[1] = {OIDOID};

		plan = SPI_prepare("SELECT l.pid, l.mode,"
						   "  pg_catalog.format('user \"%s\", application \"%s\", %s since %s, query: %s',"
						   "    a.usename, a.application_name, a.state,"
						   "    pg_catalog.date_trunc('second', COALESCE(a.xact_start, a.query_start)),"
						   "    pg_catalog.left(a.query, 200))"
						   " FROM pg_catalog.pg_locks l"
						   " LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
						   " WHERE l.locktype = 'relation' AND l.relation = $1"
						   "   AND l.database = (SELECT oid FROM pg_catalog.pg_database"
						   "                     WHERE datname = pg_catalog.current_database())"
						   "   AND l.granted AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid()"
						   " ORDER BY a.xact_start NULLS FIRST LIMIT 1",
						   1, argtypes);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the lock holder query");
	}
	args[0] = ObjectIdGetDatum(relid);
	if (SPI_execute_plan(plan, args, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "lock holder query failed");
	if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *pid = SPI_getvalue(tup, desc, 1);
		char	   *description = SPI_getvalue(tup, desc, 3);

		holder->relation = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
													  get_rel_name(relid));
		holder->pid = pid ? atoi(pid) : 0;
		holder->mode = SPI_getvalue(tup, desc, 2);
		holder->description = description ? description : "a prepared transaction";
		found = true;
	}
	SPI_freetuptable(SPI_tuptable);
	return found;
}

/*
 * Find which table statement "stmt" of a script waited for, and who holds
 * it.  Names resolve with the search_path the script ran with.
 */
static bool
find_blocker(MigScript *script, int stmt, const char *search_path,
			 LockHolder *holder)
{
	char	   *text;
	List	   *parsed;
	ListCell   *lc;
	int			nestlevel;
	bool		found = false;

	if (stmt < 0)
		return false;
	text = pnstrdup(script->text + script->stmts[stmt].offset,
					script->stmts[stmt].length);
#if PG_VERSION_NUM >= 140000
	parsed = raw_parser(text, RAW_PARSE_DEFAULT);
#else
	parsed = raw_parser(text);
#endif
	if (list_length(parsed) != 1)
		return false;

	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", search_path,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	foreach(lc, statement_relations(linitial_node(RawStmt, parsed)->stmt))
	{
		Oid			relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);

		if (OidIsValid(relid) && find_holder(relid, holder))
		{
			found = true;
			break;
		}
	}
	AtEOXact_GUC(true, nestlevel);
	return found;
}

/* Sleep "ms" milliseconds, waking up for interrupts. */
static void
pause_ms(long ms)
{
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* Give up: the lock timeout error, naming the table and its holder. */
static void
report_gave_up(MigScript *script, int stmt, ErrorData *edata, int attempts,
			   const char *timeout, bool found, LockHolder *holder)
{
	int			line = stmt >= 0 ? mig_statement_line(script, stmt) : script->first_line;

	if (found)
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("revision %s gave up waiting for a lock on table %s",
						script->revision, holder->relation),
				 errdetail("%d attempts each timed out after lock_timeout %s. "
						   "Process %d holds %s on the table: %s.",
						   attempts, timeout, holder->pid, holder->mode,
						   holder->description),
				 holder->pid > 0 ?
				 errhint("Let process %d finish, or end it with SELECT pg_terminate_backend(%d), then run the migration again.",
						 holder->pid, holder->pid) :
				 errhint("Commit or roll back the prepared transaction, then run the migration again."),
				 errcontext("%s script of revision %s, file \"%s\" line %d",
							script->revert ? "down" : "up", script->revision,
							script->file ? script->file : "(none)", line)));
	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg("revision %s gave up waiting for a lock", script->revision),
			 errdetail("%d attempts each timed out after lock_timeout %s: %s. "
					   "The process that held the lock has since let it go.",
					   attempts, timeout, edata->message),
			 errhint("Run the migration again."),
			 errcontext("%s script of revision %s, file \"%s\" line %d",
						script->revert ? "down" : "up", script->revision,
						script->file ? script->file : "(none)", line)));
}

/* What one attempt at a script needs. */
typedef struct Attempt
{
	MigScript  *script;
	const char *search_path;
	const char *timeout;
} Attempt;

/* One attempt, for mig_try_in_subxact(). */
static void
attempt_script(void *arg)
{
	Attempt    *a = (Attempt *) arg;

	mig_run_script(a->script, a->search_path, a->timeout);
}

/*
 * Run a script like mig_run_script(), with the revision's lock_timeout
 * (its directive, else pgmig.lock_timeout).  When a statement times out
 * waiting for a lock, everything the script did is rolled back and it
 * runs again after a pause, up to pgmig.lock_retries times.
 */
void
mig_run_script_retrying(MigScript *script, const char *caller_search_path,
						const char *directive)
{
	const char *timeout = script_lock_timeout(directive);
	int			retries = mig_lock_timeout_ms(timeout, script->file) > 0 ? pgmig_lock_retries : 0;
	long		delay = pgmig_lock_retry_delay;
	int			attempt;

	if (retries == 0)
	{
		mig_run_script(script, caller_search_path, timeout);
		return;
	}

	for (attempt = 1;; attempt++)
	{
		Attempt		a = {script, caller_search_path, timeout};
		ErrorData  *edata = mig_try_in_subxact(attempt_script, &a);
		int			stmt = script->current;	/* the statement that failed */
		LockHolder	holder;
		bool		found;

		if (edata == NULL)
			break;				/* done */
		script->current = -1;
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
			ReThrowError(edata);

		found = find_blocker(script, stmt, caller_search_path, &holder);
		if (attempt > retries)
			report_gave_up(script, stmt, edata, attempt, timeout, found, &holder);
		ereport(NOTICE,
				(errmsg("revision %s timed out waiting for a lock%s%s, retrying in %ld ms",
						script->revision, found ? " on table " : "",
						found ? holder.relation : "", delay),
				 found ?
				 errdetail("Attempt %d of %d; process %d holds %s on the table.",
						   attempt, retries + 1, holder.pid, holder.mode) :
				 errdetail("Attempt %d of %d.", attempt, retries + 1)));
		pause_ms(delay);
		delay = Min(delay * 2, MAX_RETRY_DELAY_MS);
		FreeErrorData(edata);
	}
}
