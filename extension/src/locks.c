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
 * The migration lock, an advisory lock, serializes appliers.  A run of a
 * no-transaction revision holds it at session level while its statements
 * run outside any transaction, and CREATE INDEX CONCURRENTLY there waits
 * for every transaction that holds an older snapshot: a caller of
 * SELECT mig_apply() waiting for the lock holds one, so each would wait
 * for the other, and the deadlock detector would cancel the index build.
 * So a waiter waits in slices shorter than deadlock_timeout, and between
 * them looks whether the holder waits for it; if so it steps aside with
 * an error that names the other run.  Waiters that can let go of their
 * snapshot (CALL mig_apply_each(), CALL pgmig.lock()) commit first: then
 * nothing waits for them, and they simply wait their turn.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/latch.h"
#include "storage/lock.h"
#include "storage/proc.h"
#if PG_VERSION_NUM < 170000
#include "storage/sinvaladt.h"
#endif
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "pgmig.h"
#include "pgmig_lock.h"


/* Who holds a lock on a relation, as far as pg_locks tells. */
typedef struct LockHolder
{
	char	   *relation;		/* qualified name */
	int			pid;			/* 0 for a prepared transaction */
	char	   *mode;
	char	   *description;	/* user, application, state, query */
} LockHolder;

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

/* The tables a DROP locks: those it drops, or those of its triggers, rules, policies. */
static List *
add_dropped(DropStmt *s, List *rels)
{
	ListCell   *lc;

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
			rels = add_dropped((DropStmt *) stmt, rels);
			break;
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
	Oid			argtypes[1] = {OIDOID};
	Datum		args[1];
	bool		found = false;

	mig_kept_plan(&plan,
				  "SELECT l.pid, l.mode,"
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
				  1, argtypes, 0);
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
	Node	   *parsed;
	List	   *relids = NIL;
	ListCell   *lc;
	int			nestlevel;
	bool		found = false;

	if (stmt < 0)
		return false;
	parsed = mig_parse_one(pnstrdup(script->text + script->stmts[stmt].offset,
									script->stmts[stmt].length));
	if (parsed == NULL)
		return false;

	/* the statement's names resolve as they did when it ran ... */
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", search_path,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	foreach(lc, statement_relations(parsed))
	{
		Oid			relid = RangeVarGetRelid((RangeVar *) lfirst(lc), NoLock, true);

		if (OidIsValid(relid))
			relids = lappend_oid(relids, relid);
	}
	AtEOXact_GUC(true, nestlevel);

	/* ... and pgmig's own query runs under the pinned search_path */
	foreach(lc, relids)
		if (find_holder(lfirst_oid(lc), holder))
		{
			found = true;
			break;
		}
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
				 errcontext(PGMIG_SCRIPT_CONTEXT,
							script->revert ? "down" : "up", script->revision,
							script->file ? script->file : "(none)", line)));
	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg(PGMIG_GAVE_UP_MESSAGE, script->revision),
			 errdetail("%d attempts each timed out after lock_timeout %s: %s. "
					   "The process that held the lock has since let it go.",
					   attempts, timeout, edata->message),
			 errhint("Run the migration again."),
			 errcontext(PGMIG_SCRIPT_CONTEXT,
						script->revert ? "down" : "up", script->revision,
						script->file ? script->file : "(none)", line)));
}

/*
 * Run "fn(arg)", which runs scripts (mig_run_script) and points *current
 * at each one as it starts it, as one attempt: when a script times out
 * waiting for a lock, everything fn did is rolled back and it runs again
 * after a pause, up to pgmig.lock_retries times.  One subtransaction for
 * the whole attempt, not one per script: a run of many revisions would
 * overflow the backend's cache of subtransactions, which slows every
 * other session's visibility checks until it commits.  Scripts that wait
 * indefinitely (lock_timeout 0) are not retried; with "may_retry" false,
 * or no retries, fn runs without a subtransaction.
 */
void
mig_run_retrying(void (*fn) (void *arg), void *arg, MigScript **current,
				 const char *search_path, bool may_retry)
{
	int			attempt;

	if (!may_retry || pgmig_lock_retries == 0)
	{
		fn(arg);
		return;
	}

	for (attempt = 1;; attempt++)
	{
		ErrorData  *edata;
		MigScript  *script;
		int			stmt;
		LockHolder	holder;
		bool		found;
		long		delay;

		*current = NULL;
		edata = mig_try_in_subxact(fn, arg);
		if (edata == NULL)
			break;				/* done */
		script = *current;
		if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE || script == NULL ||
			mig_lock_timeout_ms(script->lock_timeout, script->file) == 0)
			ReThrowError(edata);
		stmt = script->current; /* the statement that failed */
		script->current = -1;

		found = find_blocker(script, stmt, search_path, &holder);
		if (attempt > pgmig_lock_retries)
			report_gave_up(script, stmt, edata, attempt, script->lock_timeout,
						   found, &holder);
		delay = pgmig_retry_delay_ms(pgmig_lock_retry_delay, attempt);
		if (found)
			ereport(NOTICE,
					(errmsg("revision %s timed out waiting for a lock on table %s, retrying in %ld ms",
							script->revision, holder.relation, delay),
					 errdetail("Attempt %d of %d; process %d holds %s on the table.",
							   attempt, pgmig_lock_retries + 1, holder.pid, holder.mode)));
		else
			ereport(NOTICE,
					(errmsg("revision %s timed out waiting for a lock, retrying in %ld ms",
							script->revision, delay),
					 errdetail("Attempt %d of %d.", attempt, pgmig_lock_retries + 1)));
		pause_ms(delay);
		FreeErrorData(edata);
	}
}

/*
 * The lock_timeout a no-transaction revision's statements run with: its
 * directive, else pgmig.lock_timeout if it was set (in the database, the
 * role, the session) rather than left at its default, -1 meaning the
 * session's own; NULL: the session's own.  Not the default: CREATE INDEX
 * CONCURRENTLY waits for older transactions by design without blocking
 * anyone, and a timeout in its later phases leaves an invalid index
 * (DECISIONS 21).  The caller is in a catalog section.
 */
char *
mig_nontx_lock_timeout(const char *directive)
{
	bool		set;

	if (directive != NULL)
		return pstrdup(directive);
	if (SPI_execute("SELECT source <> 'default' FROM pg_settings WHERE name = 'pgmig.lock_timeout'",
					true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the source of pgmig.lock_timeout");
	set = SPI_processed == 1 &&
		strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") == 0;
	SPI_freetuptable(SPI_tuptable);
	if (!set || pgmig_lock_timeout < 0)
		return NULL;
	return psprintf("%dms", pgmig_lock_timeout);
}

/*
 * The lock_timeout a revision's scripts run with: its directive, else
 * pgmig.lock_timeout, else (NULL) the session's.
 */
char *
mig_script_lock_timeout(const char *directive)
{
	if (directive != NULL)
		return pstrdup(directive);
	if (pgmig_lock_timeout >= 0)
		return psprintf("%dms", pgmig_lock_timeout);
	return NULL;
}

/* The advisory lock that serializes appliers. */
static void
migration_locktag(LOCKTAG *tag)
{
	SET_LOCKTAG_ADVISORY(*tag, MyDatabaseId, PGMIG_LOCK_KEY1, PGMIG_LOCK_KEY2, 2);
}

/* What one slice of waiting for the migration lock takes. */
typedef struct LockRequest
{
	const LOCKTAG *tag;
	bool		session;
} LockRequest;

/* Acquire the lock, waiting up to LockTimeout; for mig_try_in_subxact(). */
static void
acquire_lock(void *arg)
{
	LockRequest *r = (LockRequest *) arg;

	(void) LockAcquire(r->tag, ExclusiveLock, r->session, false);
}

/*
 * Wait up to "ms" milliseconds for the migration lock, in a real lock wait
 * (pg_locks and pg_blocking_pids show it); true if it was granted.
 */
static bool
lock_within(const LOCKTAG *tag, bool session, int ms)
{
	LockRequest r = {tag, session};
	int			saved = LockTimeout;
	ErrorData  *edata;

	Assert(ms > 0);
	LockTimeout = ms;
	edata = mig_try_in_subxact(acquire_lock, &r);
	LockTimeout = saved;
	if (edata == NULL)
		return true;
	/* the slice's own timeout; a cancel or anything else goes on up */
	if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
		ReThrowError(edata);
	FreeErrorData(edata);
	return false;
}

/* The pid of the backend of a virtual transaction, or 0. */
static int
vxid_pid(VirtualTransactionId vxid)
{
#if PG_VERSION_NUM >= 170000
	PGPROC	   *proc = ProcNumberGetProc(vxid.procNumber);
#else
	PGPROC	   *proc = BackendIdGetProc(vxid.backendId);
#endif

	return proc ? proc->pid : 0;
}

/* Does process "pid" wait for a lock that this backend holds? */
static bool
waits_for_me(int pid)
{
	ArrayType  *blockers = DatumGetArrayTypeP(DirectFunctionCall1(pg_blocking_pids,
																  Int32GetDatum(pid)));
	Datum	   *pids;
	int			n;
	int			i;

	deconstruct_array(blockers, INT4OID, sizeof(int32), true, TYPALIGN_INT,
					  &pids, NULL, &n);
	for (i = 0; i < n; i++)
		if (DatumGetInt32(pids[i]) == MyProcPid)
			return true;
	return false;
}

/*
 * If a holder of the migration lock waits for this transaction (CREATE
 * INDEX CONCURRENTLY waits for older snapshots, any statement for the
 * locks we hold), waiting for it would deadlock: step aside.
 */
static void
step_aside_if_waited_for(const LOCKTAG *tag)
{
	int			n;
	VirtualTransactionId *holders = GetLockConflicts(tag, ExclusiveLock, &n);
	int			i;

	for (i = 0; i < n; i++)
	{
		int			pid = vxid_pid(holders[i]);

		if (pid != 0 && waits_for_me(pid))
			ereport(ERROR,
					(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
					 errmsg("the migration run of process %d is waiting for this transaction", pid),
					 errdetail("Process %d holds the pgmig migration lock and waits for this transaction to end (CREATE INDEX CONCURRENTLY waits for every older transaction); waiting for its lock here would deadlock.",
							   pid),
					 errhint("Run the migration again once process %d has finished. The pgmig client and CALL mig_apply_each() wait for the lock without holding anything that another run waits for.",
							 pid)));
	}
	pfree(holders);
}

/*
 * Wait for the migration lock in slices shorter than deadlock_timeout,
 * stepping aside when its holder waits for us, and honouring the session's
 * lock_timeout.
 */
static void
wait_for_lock(const LOCKTAG *tag, bool session)
{
	TimestampTz start = GetCurrentTimestamp();
	int			slice = Max(1, Min(200, DeadlockTimeout / 2));

	for (;;)
	{
		int			wait = slice;

		if (LockTimeout > 0)
		{
			long		left = LockTimeout -
				TimestampDifferenceMilliseconds(start, GetCurrentTimestamp());

			if (left <= 0)
				ereport(ERROR,
						(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
						 errmsg("canceling statement due to lock timeout"),
						 errdetail("Another migration run held the pgmig migration lock for longer than lock_timeout %dms.",
								   LockTimeout)));
			wait = Min(wait, (int) left);
		}
		if (lock_within(tag, session, wait))
			return;
		step_aside_if_waited_for(tag);
	}
}

/*
 * A standby cannot be migrated: advisory locks are granted there, but every
 * write would fail halfway with "read-only transaction".  Refuse before.
 */
static void
refuse_standby(void)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("pgmig cannot change a standby server"),
				 errdetail("This server is in recovery, replaying its primary's changes; migrations run on the primary and reach it by replication."),
				 errhint("Connect to the primary.")));
}

/*
 * Take the transaction-level migration lock, for a caller inside a
 * transaction (mig_apply and the other functions).
 */
void
mig_lock(void)
{
	LOCKTAG		tag;

	refuse_standby();
	migration_locktag(&tag);
	if (LockAcquire(&tag, ExclusiveLock, false, true) != LOCKACQUIRE_NOT_AVAIL)
		return;
	wait_for_lock(&tag, false);
}

/*
 * Take the session-level migration lock in a procedure that has just
 * committed (SPI_commit): it waits without a snapshot, so no index build
 * of the run holding it waits for it.
 */
void
mig_lock_session(void)
{
	LOCKTAG		tag;

	refuse_standby();
	migration_locktag(&tag);
	if (LockAcquire(&tag, ExclusiveLock, true, true) != LOCKACQUIRE_NOT_AVAIL)
		return;
	InvalidateCatalogSnapshot();
	wait_for_lock(&tag, true);
}

/* Release the session-level migration lock; false if it was not held. */
bool
mig_unlock_session(void)
{
	LOCKTAG		tag;

	if (!mig_holds_session_lock())
		return false;
	migration_locktag(&tag);
	return LockRelease(&tag, ExclusiveLock, true);
}

/* Does this session hold the session-level migration lock? */
bool
mig_holds_session_lock(void)
{
	LOCKTAG		tag;

	migration_locktag(&tag);
#if PG_VERSION_NUM >= 170000
	return LockHeldByMe(&tag, ExclusiveLock, false);
#else
	return LockHeldByMe(&tag, ExclusiveLock);
#endif
}

/* Refuse a procedure called inside a transaction block or from a function. */
void
mig_require_nonatomic(FunctionCallInfo fcinfo, const char *call, const char *hint)
{
	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		castNode(CallContext, fcinfo->context)->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s must be called with CALL outside a transaction block", call),
				 hint ? errhint("%s", hint) : 0));
}

PG_FUNCTION_INFO_V1(pgmig_lock);

/*
 * CALL pgmig.lock(): take the session-level migration lock, waiting
 * without holding a snapshot (the way "pgmig up --sql" scripts take it).
 */
Datum
pgmig_lock(PG_FUNCTION_ARGS)
{
	mig_require_nonatomic(fcinfo, "pgmig.lock()", NULL);
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	SPI_commit();
	mig_lock_session();
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(pgmig_unlock);

/*
 * pgmig.unlock(): release it; false if this session did not hold it.  The
 * run that held it ends: its snapshot is recorded ("pgmig up --sql").
 */
Datum
pgmig_unlock(PG_FUNCTION_ARGS)
{
	if (mig_holds_session_lock())
	{
		int			nestlevel = mig_connect_catalog();

		mig_record_unrecorded();
		mig_finish_catalog(nestlevel);
	}
	PG_RETURN_BOOL(mig_unlock_session());
}
