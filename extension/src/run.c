/*-------------------------------------------------------------------------
 *
 * run.c
 *	  mig_apply, mig_revert, mig_stamp and the commit-per-revision
 *	  procedure mig_apply_each.
 *
 * mig_apply and mig_revert work in the caller's transaction: all or
 * nothing.  Every caller first takes the pgmig advisory lock, then reads
 * the catalog, so concurrent appliers run one after the other and each
 * revision is applied exactly once.  All scripts of a plan are fetched,
 * split and checked before the first one runs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "pgmig.h"

/* Time elapsed since "start", as an interval. */
Interval *
mig_interval_since(TimestampTz start)
{
	Interval   *result = palloc0(sizeof(Interval));

	result->time = GetCurrentTimestamp() - start;
	return result;
}

/* The caller's search_path, for running scripts with it. */
char *
mig_caller_search_path(void)
{
	const char *path = GetConfigOption("search_path", false, false);

	return pstrdup(path ? path : "");
}

/* Fetch, split and check the scripts of every step, before any runs. */
static MigScript **
prepare_scripts(MigCatalog *cat, PgmigPlan *plan, bool client_split)
{
	PgmigGraph *g = &cat->graph;
	MigScript **scripts = palloc((plan->nsteps > 0 ? plan->nsteps : 1) * sizeof(MigScript *));
	int			i;

	/* cheap checks on the whole plan first */
	for (i = 0; i < plan->nsteps; i++)
	{
		PgmigNode  *node = &g->nodes[plan->steps[i]];
		MigRevision *rev = (MigRevision *) node->data;

		if (!rev->registered)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no script registered for revision %s", node->id),
					 errhint("Register its file with pgmig or mig_register().")));
		if (plan->revert && !rev->reversible)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is irreversible", node->id),
					 errdetail("Its file \"%s\" has no \"-- migrate:down\" section; nothing was reverted.",
							   rev->source_file)));
		if (!rev->transactional && !client_split)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("revision %s cannot run inside a transaction", node->id),
					 errdetail("Its file \"%s\" marks it \"transaction:false\".",
							   rev->source_file),
					 errhint("Run it with the pgmig client, which runs its statements one at a time outside a transaction block.")));
	}
	for (i = 0; i < plan->nsteps; i++)
	{
		PgmigNode  *node = &g->nodes[plan->steps[i]];
		MigRevision *rev = (MigRevision *) node->data;
		int			first_line;
		char	   *text = mig_fetch_script(node->id, plan->revert, &first_line);
		MigScript  *script = mig_split_script(node->id, rev->source_file, text,
											  first_line, plan->revert);

		if (script->top_level_stmt != NULL && rev->transactional)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("%s cannot run inside a transaction block",
							script->top_level_stmt),
					 errdetail("Revision %s, file \"%s\" line %d.",
							   node->id, rev->source_file, script->top_level_line),
					 errhint("Mark the revision with \"-- migrate:up transaction:false\" and apply it with the pgmig client.")));
		scripts[i] = script;
	}
	return scripts;
}

/*
 * Run one step of a plan and note it in "batch", which the caller writes
 * to the catalog (mig_batch_flush), or drops in a dry run.
 */
static Interval *
run_step(MigCatalog *cat, PgmigPlan *plan, int step, MigScript *script,
		 const char *search_path, MigBatch *batch)
{
	PgmigNode  *node = &cat->graph.nodes[plan->steps[step]];
	MigRevision *rev = (MigRevision *) node->data;
	TimestampTz start = GetCurrentTimestamp();
	Interval   *duration;

	mig_run_script_retrying(script, search_path, rev->lock_timeout);
	duration = mig_interval_since(start);
	mig_batch_add(batch, plan->revert ? "revert" : "apply", node->id,
				  rev->description, rev->up_checksum, duration);
	node->applied = !plan->revert;
	/* keep the loaded catalog current, for the status line */
	rev->state = plan->revert ? NULL : "complete";
	rev->applied_checksum = plan->revert ? NULL : rev->up_checksum;
	return duration;
}

/* Shared body of mig_apply, mig_revert, pgmig.apply and pgmig.revert. */
static Datum
run_plan(FunctionCallInfo fcinfo, const char *target, bool revert,
		 int max_steps, bool dry_run)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	char	   *search_path = mig_caller_search_path();
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	MigCatalog *cat;
	MigScript **scripts;
	MigBatch   *batch = mig_batch_create();
	PgmigPlan	plan;
	PgmigError	err;
	int			nestlevel;
	int			i;

	if (!dry_run)
		mig_check_confirmed(revert ? "revert" : "apply");
	mig_lock();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = mig_enter_catalog();

	cat = mig_load_catalog();
	if (!pgmig_graph_plan(&cat->graph, target, revert, &plan, &err))
		mig_report(&err);
	if (max_steps >= 0 && plan.nsteps > max_steps)
		plan.nsteps = max_steps;
	scripts = prepare_scripts(cat, &plan, false);
	if (plan.nsteps > 0)
		mig_warn_drift();

	if (dry_run)
	{
		BeginInternalSubTransaction(NULL);
		MemoryContextSwitchTo(oldcxt);
	}

	for (i = 0; i < plan.nsteps; i++)
	{
		PgmigNode  *node = &cat->graph.nodes[plan.steps[i]];
		Interval   *duration;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		duration = run_step(cat, &plan, i, scripts[i], search_path, batch);
		values[0] = CStringGetTextDatum(node->id);
		values[1] = CStringGetTextDatum(MIG_REV(&cat->graph, plan.steps[i])->description);
		values[2] = IntervalPGetDatum(duration);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
		pfree(scripts[i]->text);
	}

	if (dry_run)
	{
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	else if (plan.nsteps > 0)
	{
		mig_batch_flush(batch, "applied");
		mig_store_status(cat);
		mig_record_snapshot(revert ? "revert" : "apply");
	}

	mig_leave_catalog(nestlevel);
	SPI_finish();
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(pgmig_apply);

/* mig_apply(target, dry_run): apply up to target in this transaction. */
Datum
pgmig_apply(PG_FUNCTION_ARGS)
{
	char	   *target = PG_ARGISNULL(0) ? "head" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		dry_run = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);

	return run_plan(fcinfo, target, false, -1, dry_run);
}

PG_FUNCTION_INFO_V1(pgmig_revert);

/* mig_revert(target, dry_run): revert down to target in this transaction. */
Datum
pgmig_revert(PG_FUNCTION_ARGS)
{
	return run_plan(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(0)), true, -1,
					PG_GETARG_BOOL(1));
}

/* Shared body of pgmig.apply and pgmig.revert: the first steps of a plan. */
static Datum
run_plan_steps(FunctionCallInfo fcinfo, bool revert)
{
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("arguments of pgmig.%s must not be null",
						revert ? "revert" : "apply")));
	return run_plan(fcinfo, text_to_cstring(PG_GETARG_TEXT_PP(0)), revert,
					PG_GETARG_INT32(1), PG_GETARG_BOOL(2));
}

PG_FUNCTION_INFO_V1(pgmig_apply_steps);

/* pgmig.apply(target, max_steps, dry_run) */
Datum
pgmig_apply_steps(PG_FUNCTION_ARGS)
{
	return run_plan_steps(fcinfo, false);
}

PG_FUNCTION_INFO_V1(pgmig_revert_steps);

/* pgmig.revert(target, max_steps, dry_run) */
Datum
pgmig_revert_steps(PG_FUNCTION_ARGS)
{
	return run_plan_steps(fcinfo, true);
}

PG_FUNCTION_INFO_V1(pgmig_stamp);

/* mig_stamp(target): make the applied set match target without running. */
Datum
pgmig_stamp(PG_FUNCTION_ARGS)
{
	char	   *target = text_to_cstring(PG_GETARG_TEXT_PP(0));
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	MigCatalog *cat;
	MigBatch   *batch = mig_batch_create();
	PgmigPlan	down,
				up;
	PgmigError	err;
	int			nestlevel;
	int			i;

	mig_check_confirmed("stamp");
	mig_lock();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = mig_enter_catalog();
	cat = mig_load_catalog();

	down.nsteps = up.nsteps = 0;
	if (target[0] != '+' &&
		!pgmig_graph_plan(&cat->graph, target, true, &down, &err))
		mig_report(&err);
	if (target[0] != '-' &&
		!pgmig_graph_plan(&cat->graph, target, false, &up, &err))
		mig_report(&err);
	if (down.nsteps + up.nsteps > 0)
		mig_warn_drift();

	for (i = 0; i < down.nsteps + up.nsteps; i++)
	{
		bool		unstamp = i < down.nsteps;
		int			x = unstamp ? down.steps[i] : up.steps[i - down.nsteps];
		PgmigNode  *node = &cat->graph.nodes[x];
		MigRevision *rev = (MigRevision *) node->data;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		mig_batch_add(batch, unstamp ? "unstamp" : "stamp", node->id,
					  rev->description, rev->up_checksum, NULL);
		node->applied = !unstamp;
		rev->state = unstamp ? NULL : "complete";
		rev->applied_checksum = unstamp ? NULL : rev->up_checksum;
		values[0] = CStringGetTextDatum(node->id);
		values[1] = CStringGetTextDatum(unstamp ? "unstamped" : "stamped");
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	if (down.nsteps + up.nsteps > 0)
	{
		mig_batch_flush(batch, "stamped");
		mig_store_status(cat);
		mig_record_snapshot("stamp");
	}

	mig_leave_catalog(nestlevel);
	SPI_finish();
	return (Datum) 0;
}

/* One revision of mig_apply_each: what apply_one needs, and its duration. */
typedef struct EachStep
{
	MigCatalog *cat;
	PgmigPlan  *plan;
	int			step;
	const char *search_path;
	MigBatch   *batch;
	Interval   *duration;
} EachStep;

/* Fetch, split, run and record one revision, for mig_try_in_subxact(). */
static void
apply_one(void *arg)
{
	EachStep   *e = (EachStep *) arg;
	PgmigNode  *node = &e->cat->graph.nodes[e->plan->steps[e->step]];
	int			first_line;
	char	   *text = mig_fetch_script(node->id, false, &first_line);
	MigScript  *script = mig_split_script(node->id, MIG_REV(&e->cat->graph, e->plan->steps[e->step])->source_file,
										  text, first_line, false);

	e->duration = run_step(e->cat, e->plan, e->step, script, e->search_path,
						   e->batch);
	mig_batch_flush(e->batch, "applied");
}

PG_FUNCTION_INFO_V1(pgmig_apply_each);

/*
 * CALL mig_apply_each(target): apply up to target, committing after each
 * revision.  A failing revision is rolled back, its failure is logged and
 * committed, and the error is raised again; the ones before it stay.
 * A session-level advisory lock keeps other appliers out between commits.
 */
Datum
pgmig_apply_each(PG_FUNCTION_ARGS)
{
	char	   *target = PG_ARGISNULL(0) ? "head" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext proccxt;
	char	   *search_path = mig_caller_search_path();
	LOCKTAG		tag;
	MigBatch   *batch;
	MigCatalog *volatile cat = NULL;
	PgmigPlan	plan;
	PgmigError	err;
	volatile int nestlevel;
	volatile int i;

	if (fcinfo->context == NULL || !IsA(fcinfo->context, CallContext) ||
		castNode(CallContext, fcinfo->context)->atomic)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("mig_apply_each() must be called with CALL outside a transaction block"),
				 errhint("Inside a transaction, use SELECT mig_apply(), which applies everything or nothing.")));
	mig_check_confirmed("apply");

	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	proccxt = CurrentMemoryContext;
	batch = mig_batch_create();

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, PGMIG_LOCK_KEY1, PGMIG_LOCK_KEY2, 2);
	(void) LockAcquire(&tag, ExclusiveLock, true, false);

	PG_TRY();
	{
		nestlevel = mig_enter_catalog();
		cat = mig_load_catalog();
		if (!pgmig_graph_plan(&cat->graph, target, false, &plan, &err))
			mig_report(&err);
		/* the lock is ours for the whole run: check everything up front */
		(void) prepare_scripts(cat, &plan, false);
		if (plan.nsteps > 0)
			mig_warn_drift();
		mig_leave_catalog(nestlevel);
		SPI_commit();

		for (i = 0; i < plan.nsteps; i++)
		{
			PgmigNode  *node = &cat->graph.nodes[plan.steps[i]];
			EachStep	step = {cat, &plan, i, search_path, batch, NULL};
			ErrorData  *edata;
			Interval   *duration;

			nestlevel = mig_enter_catalog();
			MemoryContextSwitchTo(proccxt);
			edata = mig_try_in_subxact(apply_one, &step);
			if (edata != NULL)
			{
				/* as it was: not applied (no-transaction ones are refused) */
				node->applied = false;
				MIG_REV(&cat->graph, plan.steps[i])->state = NULL;
				mig_log_event("apply", node->id, NULL, false,
							  unpack_sql_state(edata->sqlerrcode), edata->message);
				mig_store_status(cat);
				if (i > 0)
					mig_record_snapshot("apply");
				mig_leave_catalog(nestlevel);
				SPI_commit();
				ReThrowError(edata);
			}
			duration = step.duration;

			mig_leave_catalog(nestlevel);
			SPI_commit();
			ereport(NOTICE,
					(errmsg("applied revision %s (%s) in %.3f ms",
							node->id, MIG_REV(&cat->graph, plan.steps[i])->description,
							duration->time / 1000.0)));
		}
		if (plan.nsteps > 0)
		{
			nestlevel = mig_enter_catalog();
			mig_store_status(cat);
			mig_record_snapshot("apply");
			mig_leave_catalog(nestlevel);
			SPI_commit();
		}
	}
	PG_FINALLY();
	{
		LockRelease(&tag, ExclusiveLock, true);
	}
	PG_END_TRY();

	SPI_finish();
	PG_RETURN_VOID();
}
