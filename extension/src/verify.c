/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  mig_verify: prove down scripts before they are needed.
 *
 * For each revision checked, in plan order: fingerprint the schema, run
 * the up script, the down script, fingerprint again and compare, then run
 * the up script once more (later revisions build on it) and compare with
 * the first up.  Everything happens in a subtransaction that is rolled
 * back at the end: nothing is left changed, the catalog included.
 *
 * Without "redo", the revisions checked are the pending ones on the way
 * to the target.  With "redo", they are the applied revisions above the
 * target (as mig_revert would revert them): their down scripts run first,
 * children before parents, then each is checked as above, and the schema
 * after its last up must also equal the schema before its down script (a
 * down script that drops too much, or leaves behind what the up script
 * recreates with IF NOT EXISTS, is caught there).
 *
 * The first failure ends the check; the revisions after it are reported
 * "not checked", since they build on it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "pgmig.h"

/* Most differing objects a result lists. */
#define DIFF_LIST_MAX 20

/* What one verification run needs. */
typedef struct Verify
{
	MigCatalog *cat;
	const char *search_path;
	MemoryContext cxt;			/* outlives the subtransactions */
	Tuplestorestate *tupstore;
	TupleDesc	tupdesc;
	bool	   *reported;		/* by node index: has a result row */
	Datum	   *before_down;	/* redo: by node index, the map before its
								 * down script, or 0 */
	bool		check_deferred; /* after each script (mig_check_deferred) */
} Verify;

/* A script's error, as mig_verify reports it in columns of its own. */
typedef struct ScriptError
{
	ErrorData  *edata;
	int			line;			/* file line of the failing statement, or 0 */
} ScriptError;

/*
 * Add a result row: revision, source_file, result, detail, and for a
 * script that failed its error's sqlstate, message, hint and file line
 * (its detail, if any, goes first in "detail", then "note").
 */
static void
put_row(Verify *v, int idx, const char *result, const char *note,
		ScriptError *error)
{
	PgmigNode  *node = &v->cat->graph.nodes[idx];
	MigRevision *rev = (MigRevision *) node->data;
	ErrorData  *e = error ? error->edata : NULL;
	const char *detail = e && e->detail ?
		(note ? psprintf("%s %s", e->detail, note) : e->detail) : note;
	Datum		values[8];
	bool		nulls[8];

	memset(nulls, true, sizeof(nulls));
	values[0] = CStringGetTextDatum(node->id);
	nulls[0] = false;
	if (rev->source_file)
	{
		values[1] = CStringGetTextDatum(rev->source_file);
		nulls[1] = false;
	}
	values[2] = CStringGetTextDatum(result);
	nulls[2] = false;
	if (detail)
	{
		values[3] = CStringGetTextDatum(detail);
		nulls[3] = false;
	}
	if (e)
	{
		values[4] = CStringGetTextDatum(unpack_sql_state(e->sqlerrcode));
		values[5] = CStringGetTextDatum(e->message);
		nulls[4] = nulls[5] = false;
		if (e->hint)
		{
			values[6] = CStringGetTextDatum(e->hint);
			nulls[6] = false;
		}
		if (error->line > 0)
		{
			values[7] = Int32GetDatum(error->line);
			nulls[7] = false;
		}
	}
	tuplestore_putvalues(v->tupstore, v->tupdesc, values, nulls);
	v->reported[idx] = true;
}

/* Add a result row without a script error. */
static void
put_result(Verify *v, int idx, const char *result, const char *detail)
{
	put_row(v, idx, result, detail, NULL);
}

/* What running one script of a revision needs. */
typedef struct ScriptRun
{
	Verify	   *v;
	int			idx;
	bool		revert;
	MigScript  *script;
	MigScript  *current;		/* for mig_run_retrying() */
} ScriptRun;

/* Run the script and check its deferred constraints: one attempt. */
static void
run_checked_script(void *arg)
{
	ScriptRun  *r = (ScriptRun *) arg;

	r->current = r->script;
	mig_run_script(r->script, r->v->search_path);
	if (r->v->check_deferred)
		mig_check_deferred(r->script);
}

/* Fetch, split and run one script, for mig_try_in_subxact(). */
static void
fetch_and_run(void *arg)
{
	ScriptRun  *r = (ScriptRun *) arg;
	PgmigNode  *node = &r->v->cat->graph.nodes[r->idx];
	MigRevision *rev = (MigRevision *) node->data;
	int			first_line;
	char	   *text = mig_fetch_script(node->id, r->revert, &first_line);
	MigScript  *script = mig_split_script(node->id, rev->source_file, text,
										  first_line, r->revert);

	script->lock_timeout = mig_script_lock_timeout(rev->lock_timeout);
	r->script = script;
	mig_run_retrying(run_checked_script, r, &r->current, r->v->search_path,
					 mig_lock_timeout_ms(script->lock_timeout, script->file) > 0);
}

/*
 * Run the up or down script of revision "idx" in a subtransaction.  On an
 * error, the subtransaction is rolled back and the error returned in
 * *error, with the file line; a cancel or shutdown is raised again.
 */
static bool
run_script(Verify *v, int idx, bool revert, ScriptError *error)
{
	ScriptRun	r = {v, idx, revert, NULL, NULL};
	ErrorData  *edata;

	MemoryContextSwitchTo(v->cxt);
	mig_forget_script_error();
	edata = mig_try_in_subxact(fetch_and_run, &r);
	if (edata == NULL)
		return true;
	if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
		edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
		ReThrowError(edata);
	error->edata = edata;
	error->line = mig_script_error_line();
	return false;
}

/* The schema's object map now, copied out of SPI. */
static Datum
object_map(Verify *v)
{
	MemoryContext oldcxt;
	Datum		map;
	bool		isnull;

	if (SPI_execute("SELECT pgmig.object_map()", false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "object map query failed");
	map = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	oldcxt = MemoryContextSwitchTo(v->cxt);
	map = datumCopy(map, false, -1);
	MemoryContextSwitchTo(oldcxt);
	SPI_freetuptable(SPI_tuptable);
	return map;
}

/* What differs between two object maps, as a list; NULL when nothing. */
static char *
map_diff(Verify *v, Datum before, Datum after)
{
	Oid			argtypes[2] = {JSONBOID, JSONBOID};
	Datum		args[2] = {before, after};
	StringInfoData buf;
	uint64		i;

	if (SPI_execute_with_args("SELECT object, change FROM pgmig.map_diff($1, $2)",
							  2, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "object map comparison failed");
	if (SPI_processed == 0)
	{
		SPI_freetuptable(SPI_tuptable);
		return NULL;
	}
	initStringInfo(&buf);
	for (i = 0; i < SPI_processed && i < DIFF_LIST_MAX; i++)
		appendStringInfo(&buf, "%s%s (%s)", i > 0 ? ", " : "",
						 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1),
						 SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2));
	if (SPI_processed > DIFF_LIST_MAX)
		appendStringInfo(&buf, " and " UINT64_FORMAT " more",
						 SPI_processed - DIFF_LIST_MAX);
	SPI_freetuptable(SPI_tuptable);
	return buf.data;
}

/* Up, down, up of one revision; false ends the check. */
static bool
round_trip(Verify *v, int idx)
{
	PgmigNode  *node = &v->cat->graph.nodes[idx];
	MigRevision *rev = (MigRevision *) node->data;
	Datum		before,
				after_up,
				after_down,
				after_up2;
	ScriptError error;
	char	   *diff;

	if (!rev->registered)
	{
		put_result(v, idx, "not checked", "No script is registered for it.");
		return false;
	}
	if (!rev->transactional)
	{
		put_result(v, idx, "not checked",
				   "It is marked transaction:false, so it cannot run inside the check's transaction.");
		return false;
	}

	before = object_map(v);
	if (!run_script(v, idx, false, &error))
	{
		put_row(v, idx, "up failed", NULL, &error);
		return false;
	}
	if (!rev->reversible)
	{
		put_result(v, idx, "irreversible", "It has no down script; its up script ran.");
		return true;
	}
	after_up = object_map(v);
	if (!run_script(v, idx, true, &error))
	{
		put_row(v, idx, "down failed", NULL, &error);
		return false;
	}
	after_down = object_map(v);
	if ((diff = map_diff(v, before, after_down)) != NULL)
	{
		put_result(v, idx, "down differs",
				   psprintf("After up and down, the schema differs from before up: %s.",
							diff));
		return false;
	}
	if (!run_script(v, idx, false, &error))
	{
		put_row(v, idx, "up failed",
				"It failed on its second run, after the down script.", &error);
		return false;
	}
	after_up2 = object_map(v);
	if ((diff = map_diff(v, after_up, after_up2)) != NULL)
	{
		put_result(v, idx, "up differs",
				   psprintf("Up after down gives another schema than the first up: %s.",
							diff));
		return false;
	}
	if (v->before_down[idx] != (Datum) 0 &&
		(diff = map_diff(v, v->before_down[idx], after_up2)) != NULL)
	{
		put_result(v, idx, "down differs",
				   psprintf("After the applied revision's down and up scripts, the schema differs from before: %s.",
							diff));
		return false;
	}
	put_result(v, idx, "ok", NULL);
	return true;
}

/*
 * Redo: run the down script of applied revision "idx", keeping the schema's
 * map from before it to compare with after the round trip; false ends the
 * check.
 */
static bool
take_down(Verify *v, int idx)
{
	MigRevision *rev = MIG_REV(&v->cat->graph, idx);
	ScriptError error;

	if (!rev->transactional)
	{
		put_result(v, idx, "not checked",
				   "It is marked transaction:false, so it cannot run inside the check's transaction.");
		return false;
	}
	if (!rev->reversible)
	{
		put_result(v, idx, "irreversible",
				   "It has no down script, so it and the revisions below it cannot be taken down.");
		return false;
	}
	v->before_down[idx] = object_map(v);
	if (!run_script(v, idx, true, &error))
	{
		put_row(v, idx, "down failed", NULL, &error);
		return false;
	}
	return true;
}

PG_FUNCTION_INFO_V1(pgmig_verify);

/*
 * mig_verify(target, redo): prove the down scripts of the pending revisions
 * up to target (redo: of the applied revisions above target).
 */
Datum
pgmig_verify(PG_FUNCTION_ARGS)
{
	char	   *target = PG_ARGISNULL(0) ? "heads" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		redo = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	Verify		v;
	PgmigPlan	plan;
	PgmigError	err;
	int		   *order;
	int			nestlevel;
	int			i;
	bool		ok = true;

	v.tupstore = mig_init_srf(fcinfo, &v.tupdesc);
	v.search_path = mig_caller_search_path();
	mig_lock();
	nestlevel = mig_connect_catalog();
	v.cxt = CurrentMemoryContext;
	v.cat = mig_load_catalog();
	v.reported = palloc0(v.cat->graph.n * sizeof(bool));
	v.before_down = palloc0(v.cat->graph.n * sizeof(Datum));
	if (!pgmig_graph_plan(&v.cat->graph, target, redo, &plan, &err))
		mig_report(&err);

	/* the order to check in: parents first */
	order = palloc(plan.nsteps * sizeof(int));
	for (i = 0; i < plan.nsteps; i++)
		order[i] = redo ? plan.steps[plan.nsteps - 1 - i] : plan.steps[i];

	v.check_deferred = plan.nsteps > 0 && mig_deferred_satisfied();
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(v.cxt);

	/* redo: take the applied revisions down first, children first */
	for (i = 0; redo && i < plan.nsteps && ok; i++)
		ok = take_down(&v, plan.steps[i]);
	for (i = 0; ok && i < plan.nsteps; i++)
		ok = round_trip(&v, order[i]);
	for (i = 0; i < plan.nsteps; i++)
		if (!v.reported[order[i]])
			put_result(&v, order[i], "not checked",
					   "An earlier step of the check failed.");

	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcxt);
	CurrentResourceOwner = oldowner;

	mig_finish_catalog(nestlevel);
	return (Datum) 0;
}
