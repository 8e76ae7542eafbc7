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
#include "pgmig_format.h"

/*
 * The revision a failed run of this session was at, and its file, for the
 * client's audit log entry (pgmig.last_failure()); kept in
 * TopMemoryContext, since the run's transaction is gone when it asks.
 */
static char *failed_action = NULL;
static char *failed_revision = NULL;
static char *failed_file = NULL;

/*
 * Forget the last failure (action NULL), or note one of "action" at
 * "revision" of file "file" (each may be NULL), for pgmig.last_failure().
 */
void
mig_note_failure(const char *action, const char *revision, const char *file)
{
	if (failed_action)
		pfree(failed_action);
	if (failed_revision)
		pfree(failed_revision);
	if (failed_file)
		pfree(failed_file);
	failed_action = failed_revision = failed_file = NULL;
	if (action == NULL)
		return;
	failed_action = MemoryContextStrdup(TopMemoryContext, action);
	if (revision)
		failed_revision = MemoryContextStrdup(TopMemoryContext, revision);
	if (file)
		failed_file = MemoryContextStrdup(TopMemoryContext, file);
}

/* Forget the last failure, or note one at revision "at" (NULL: none). */
static void
note_failure(const char *action, const PgmigNode *at)
{
	mig_note_failure(action, at ? at->id : NULL,
					 at ? ((MigRevision *) at->data)->source_file : NULL);
}

/* Is "file" the up file of a revision of a layout that splits it? */
static bool
pair_up_file(const char *file)
{
	return file != NULL && pgmig_split_up_file(file);
}

/*
 * Fetch, split and check the scripts of every step, before any runs;
 * *at names the revision at hand, for the failure note.
 */
static MigScript **
prepare_scripts(MigCatalog *cat, PgmigPlan *plan, bool client_split,
				const PgmigNode **at)
{
	PgmigGraph *g = &cat->graph;
	MigScript **scripts = palloc(plan->nsteps * sizeof(MigScript *));
	int			i;

	/* cheap checks on the whole plan first */
	for (i = 0; i < plan->nsteps; i++)
	{
		PgmigNode  *node = &g->nodes[plan->steps[i]];
		MigRevision *rev = (MigRevision *) node->data;

		*at = node;

		if (!rev->registered)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("no script registered for revision %s", node->id),
					 errhint("Register its file with pgmig or mig_register().")));
		if (plan->revert && !rev->reversible)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is irreversible", node->id),
					 pair_up_file(rev->source_file) ?
					 errdetail("Its up file \"%s\" has no down file beside it; nothing was reverted.",
							   rev->source_file) :
					 errdetail("Its file \"%s\" has no \"-- migrate:down\" section; nothing was reverted.",
							   rev->source_file)));
		if (!rev->transactional && !client_split)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("revision %s cannot run inside a transaction", node->id),
					 errdetail("Its file \"%s\" marks it as a no-transaction revision.",
							   rev->source_file),
					 errhint("Run it with the pgmig client, which runs its statements one at a time outside a transaction block.")));
	}
	for (i = 0; i < plan->nsteps; i++)
	{
		PgmigNode  *node = &g->nodes[plan->steps[i]];
		MigRevision *rev = (MigRevision *) node->data;
		int			first_line;
		char	   *text;
		MigScript  *script;

		*at = node;
		text = mig_fetch_script(node->id, plan->revert, &first_line);
		script = mig_split_script(node->id, rev->source_file, text,
								  first_line, plan->revert);
		script->lock_timeout = mig_script_lock_timeout(rev->lock_timeout);
		if (script->top_level_stmt != NULL && rev->transactional)
			ereport(ERROR,
					(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
					 errmsg("%s cannot run inside a transaction block",
							script->top_level_stmt),
					 errcontext(PGMIG_SCRIPT_CONTEXT, plan->revert ? "down" : "up",
								node->id, script->file, script->top_level_line),
					 errhint("Mark it as a no-transaction revision with %s, and apply it with the pgmig client.",
							 pgmig_no_transaction_mark(rev->source_file))));
		scripts[i] = script;
	}
	return scripts;
}

/* The steps of a plan being run. */
typedef struct Steps
{
	MigCatalog *cat;
	PgmigPlan  *plan;
	MigScript **scripts;
	const char *search_path;
	MigBatch   *batch;
	Interval  **durations;		/* by step */
	bool		check_deferred; /* after each script (mig_check_deferred) */
	bool		commit_each;	/* mig_apply_each: a transaction a step */
	MigScript  *current;		/* the script running */
	const PgmigNode *at;		/* the revision at hand, for note_failure */
} Steps;

/*
 * Run one step of a plan (its script, then the deferred constraints it
 * touched) and note it in the batch, which the caller writes to the
 * catalog (mig_batch_flush), or drops in a dry run.
 */
static void
run_step(Steps *s, int step)
{
	PgmigNode  *node = &s->cat->graph.nodes[s->plan->steps[step]];
	MigRevision *rev = (MigRevision *) node->data;
	MigScript  *script = s->scripts[step];
	TimestampTz start = GetCurrentTimestamp();

	Assert(step >= 0 && step < s->plan->nsteps);
	Assert(script != NULL && script->current == -1);
	s->current = script;
	s->at = node;
	mig_progress_start(script, step, s->plan->nsteps);
	mig_run_script(script, s->search_path);
	if (s->check_deferred)
		mig_check_deferred(script);
	s->durations[step] = mig_interval_since(start);
	/* a procedure commits before the next step: no waiting for its start */
	mig_progress_end(script, step, s->plan->nsteps, s->durations[step],
					 s->commit_each);
	mig_batch_add(s->batch, s->plan->revert ? "revert" : "apply", node->id,
				  rev->description, rev->up_checksum, s->durations[step]);
	node->applied = !s->plan->revert;
	node->partial = false;
	/* keep the loaded catalog current, for the status line */
	rev->state = s->plan->revert ? NULL : PGMIG_STATE_COMPLETE;
	rev->applied_checksum = s->plan->revert ? NULL : rev->up_checksum;
}

/* Run every step: one attempt, for mig_run_retrying(). */
static void
run_all_steps(void *arg)
{
	Steps	   *s = (Steps *) arg;
	int			i;

	s->batch->n = 0;
	for (i = 0; i < s->plan->nsteps; i++)
		run_step(s, i);
}

/* Can a lock timeout in one of the scripts be retried? */
static bool
can_retry(MigScript **scripts, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (mig_lock_timeout_ms(scripts[i]->lock_timeout, scripts[i]->file) > 0)
			return true;
	return false;
}

/*
 * Run the steps of a plan, retrying the whole run after a lock timeout.
 * A run that fills the lock table gets a hint on what pgmig can do.
 */
static void
run_steps(Steps *s)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		mig_run_retrying(run_all_steps, s, &s->current, s->search_path,
						 can_retry(s->scripts, s->plan->nsteps));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_OUT_OF_MEMORY || edata->hint == NULL ||
			strstr(edata->hint, "max_locks_per_transaction") == NULL ||
			s->plan->nsteps < 2)
			PG_RE_THROW();
		FlushErrorState();
		edata->hint = s->plan->revert ?
			pstrdup("Revert fewer revisions per transaction: \"pgmig down --commit-each\" reverts each one in a transaction of its own. Or raise max_locks_per_transaction.") :
			pstrdup("Apply fewer revisions per transaction: \"pgmig up --commit-each\" (or CALL mig_apply_each()) applies each one in a transaction of its own. Or raise max_locks_per_transaction.");
		ReThrowError(edata);
	}
	PG_END_TRY();
}

/* Shared body of mig_apply, mig_revert, pgmig.apply and pgmig.revert. */
static Datum
run_plan(FunctionCallInfo fcinfo, const char *target, bool revert,
		 int max_steps, bool dry_run)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	Steps		s;
	PgmigPlan	plan;
	PgmigError	err;
	int			nestlevel;
	int			i;

	memset(&s, 0, sizeof(s));
	s.search_path = mig_caller_search_path();
	s.batch = mig_batch_create();
	s.plan = &plan;
	note_failure(NULL, NULL);
	if (!dry_run)
		mig_check_confirmed(revert ? "revert" : "apply");
	mig_lock();
	nestlevel = mig_connect_catalog();

	PG_TRY();
	{
		s.cat = mig_load_catalog_for(target, revert);
		if (!pgmig_graph_plan(&s.cat->graph, target, revert, &plan, &err))
			mig_report(&err);
		if (max_steps >= 0 && plan.nsteps > max_steps)
			plan.nsteps = max_steps;
		s.scripts = prepare_scripts(s.cat, &plan, false, &s.at);
		s.at = NULL;
		s.durations = palloc0(plan.nsteps * sizeof(Interval *));
		if (plan.nsteps > 0)
		{
			mig_warn_drift();
			if (!dry_run)
				mig_prepare_map();
		}

		if (dry_run)
		{
			BeginInternalSubTransaction(NULL);
			MemoryContextSwitchTo(oldcxt);
		}

		s.check_deferred = plan.nsteps > 0 && mig_deferred_satisfied();
		run_steps(&s);
		s.at = NULL;
	}
	PG_CATCH();
	{
		note_failure(revert ? "revert" : "apply", s.at);
		PG_RE_THROW();
	}
	PG_END_TRY();
	for (i = 0; i < plan.nsteps; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(s.cat->graph.nodes[plan.steps[i]].id);
		values[1] = CStringGetTextDatum(MIG_REV(&s.cat->graph, plan.steps[i])->description);
		values[2] = IntervalPGetDatum(s.durations[i]);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}

	if (dry_run)
	{
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	else if (plan.nsteps > 0)
	{
		mig_batch_flush(s.batch, "applied");
		mig_store_status(s.cat);
		/* the client's runs (max_steps) record their snapshot at their end */
		if (max_steps < 0)
			mig_record_snapshot(revert ? "revert" : "apply");
		else
			mig_defer_snapshot(revert ? "revert" : "apply");
	}

	mig_finish_catalog(nestlevel);
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
	nestlevel = mig_connect_catalog();
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
		rev->state = unstamp ? NULL : PGMIG_STATE_COMPLETE;
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

	mig_finish_catalog(nestlevel);
	return (Datum) 0;
}

/* A step of mig_apply_each. */
typedef struct EachStep
{
	Steps	   *s;
	int			step;
} EachStep;

/* Run the step: one attempt, for mig_run_retrying(). */
static void
run_each_step(void *arg)
{
	EachStep   *e = (EachStep *) arg;

	e->s->batch->n = 0;
	run_step(e->s, e->step);
}

/* Fetch, split, run and record one step, for mig_try_in_subxact(). */
static void
apply_one(void *arg)
{
	EachStep   *e = (EachStep *) arg;
	Steps	   *s = e->s;
	PgmigNode  *node = &s->cat->graph.nodes[s->plan->steps[e->step]];
	MigRevision *rev = (MigRevision *) node->data;
	int			first_line;
	char	   *text = mig_fetch_script(node->id, false, &first_line);
	MigScript  *script = mig_split_script(node->id, rev->source_file, text,
										  first_line, false);

	script->lock_timeout = mig_script_lock_timeout(rev->lock_timeout);
	s->scripts[e->step] = script;
	mig_run_retrying(run_each_step, e, &s->current, s->search_path,
					 can_retry(&script, 1));
	mig_batch_flush(s->batch, "applied");
}

PG_FUNCTION_INFO_V1(pgmig_apply_each);

/*
 * CALL mig_apply_each(target): apply up to target, committing after each
 * revision.  A failing revision is rolled back, its failure is logged and
 * committed, and the error is raised again; the ones before it stay.
 * A session-level advisory lock keeps other appliers out between commits;
 * it is waited for after committing the CALL's own snapshot away, so that
 * no index build of another run waits for us meanwhile.
 */
Datum
pgmig_apply_each(PG_FUNCTION_ARGS)
{
	char	   *target = PG_ARGISNULL(0) ? "head" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext proccxt;
	Steps		s;
	PgmigPlan	plan;
	PgmigError	err;
	volatile int nestlevel;
	volatile int i;

	mig_require_nonatomic(fcinfo, "mig_apply_each()",
						  "Inside a transaction, use SELECT mig_apply(), which applies everything or nothing.");
	mig_check_confirmed("apply");

	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	proccxt = CurrentMemoryContext;
	memset(&s, 0, sizeof(s));
	s.search_path = mig_caller_search_path();
	s.batch = mig_batch_create();
	s.plan = &plan;
	s.check_deferred = true;	/* each revision is a transaction of its own */
	s.commit_each = true;

	SPI_commit();
	mig_lock_session();
	MemoryContextSwitchTo(proccxt);

	PG_TRY();
	{
		nestlevel = mig_enter_catalog();
		s.cat = mig_load_catalog_for(target, false);
		if (!pgmig_graph_plan(&s.cat->graph, target, false, &plan, &err))
			mig_report(&err);
		/* the lock is ours for the whole run: check everything up front */
		(void) prepare_scripts(s.cat, &plan, false, &s.at);
		s.scripts = palloc0(plan.nsteps * sizeof(MigScript *));
		s.durations = palloc0(plan.nsteps * sizeof(Interval *));
		if (plan.nsteps > 0)
		{
			mig_warn_drift();
			mig_prepare_map();
			mig_note_run_start("apply", target);
		}
		mig_leave_catalog(nestlevel);
		SPI_commit();

		for (i = 0; i < plan.nsteps; i++)
		{
			PgmigNode  *node = &s.cat->graph.nodes[plan.steps[i]];
			EachStep	step = {&s, i};
			ErrorData  *edata;

			nestlevel = mig_enter_catalog();
			MemoryContextSwitchTo(proccxt);
			edata = mig_try_in_subxact(apply_one, &step);
			if (edata != NULL)
			{
				/* as it was: not applied (no-transaction ones are refused) */
				node->applied = false;
				MIG_REV(&s.cat->graph, plan.steps[i])->state = NULL;
				mig_log_event("apply", node->id, NULL, false,
							  unpack_sql_state(edata->sqlerrcode), edata->message);
				mig_store_status(s.cat);
				if (i > 0)
					mig_record_snapshot("apply");
				mig_note_run_end();
				mig_leave_catalog(nestlevel);
				SPI_commit();
				ReThrowError(edata);
			}
			if (s.scripts[i] != NULL)
				pfree(s.scripts[i]->text);

			mig_leave_catalog(nestlevel);
			SPI_commit();
			ereport(NOTICE,
					(errmsg("applied revision %s (%s) in %.3f ms",
							node->id, MIG_REV(&s.cat->graph, plan.steps[i])->description,
							s.durations[i]->time / 1000.0)));
		}
		if (plan.nsteps > 0)
		{
			nestlevel = mig_enter_catalog();
			mig_store_status(s.cat);
			mig_record_snapshot("apply");
			mig_note_run_end();
			mig_leave_catalog(nestlevel);
			SPI_commit();
		}
	}
	PG_FINALLY();
	{
		(void) mig_unlock_session();
	}
	PG_END_TRY();

	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(pgmig_last_failure);

/*
 * pgmig.last_failure(): the action and the revision (with its file) at
 * which this session's last run of mig_apply, mig_revert, pgmig.apply or
 * pgmig.revert failed, no row if it did not; what the client writes to the
 * audit log after rolling the run back, without reading it from the
 * error's text.
 */
Datum
pgmig_last_failure(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	Datum		values[3];
	bool		nulls[3] = {false, failed_revision == NULL, failed_file == NULL};

	if (failed_action == NULL)
		return (Datum) 0;
	values[0] = CStringGetTextDatum(failed_action);
	values[1] = failed_revision ? CStringGetTextDatum(failed_revision) : (Datum) 0;
	values[2] = failed_file ? CStringGetTextDatum(failed_file) : (Datum) 0;
	tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	return (Datum) 0;
}
