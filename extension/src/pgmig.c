/*-------------------------------------------------------------------------
 *
 * pgmig.c
 *	  Module entry point of the pgmig extension: loading the library, the
 *	  guarded search_path for catalog queries, error reporting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"

#include "pgmig.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Load the library: define the settings, apply again the stored values of
 * the ones only administrators may change, and watch transactions for the
 * catalog's depth counter.
 */
void
_PG_init(void)
{
	mig_define_settings();
	mig_status_cache_init();
	mig_restore_stored_settings();
}

/*
 * Pin search_path for the catalog queries that follow, so that a hostile
 * search_path cannot redirect an operator or function.  Returns the GUC
 * nest level to hand to mig_leave_catalog().
 */
int
mig_enter_catalog(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	mig_catalog_entered();
	return nestlevel;
}

/* Restore the caller's settings. */
void
mig_leave_catalog(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
	mig_catalog_left();
}

/*
 * Run fn(arg) in an internal subtransaction.  Returns NULL when it
 * succeeds; otherwise the subtransaction is rolled back and the error is
 * returned, copied into the caller's memory context.
 */
ErrorData *
mig_try_in_subxact(void (*fn) (void *arg), void *arg)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return edata;
}

/*
 * Does schema pgmig have relation "relname"?  Tables added by a later
 * version are missing while a database still runs an older one.
 */
bool
mig_catalog_has(const char *relname)
{
	Oid			nsp = get_namespace_oid("pgmig", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid(relname, nsp));
}

/* Turn a PgmigError from the shared code into an ereport. */
void
mig_report(PgmigError *err)
{
	int			code;

	switch (err->kind)
	{
		case PGMIG_ERR_DUPLICATE:
			code = ERRCODE_DUPLICATE_OBJECT;
			break;
		case PGMIG_ERR_UNDEFINED:
			code = ERRCODE_UNDEFINED_OBJECT;
			break;
		case PGMIG_ERR_AMBIGUOUS:
			code = ERRCODE_AMBIGUOUS_PARAMETER;
			break;
		case PGMIG_ERR_CYCLE:
			code = ERRCODE_INVALID_OBJECT_DEFINITION;
			break;
		case PGMIG_ERR_HEADS:
			code = ERRCODE_CARDINALITY_VIOLATION;
			break;
		default:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg_internal("%s", err->message),
			 err->detail ? errdetail_internal("%s", err->detail) : 0,
			 err->hint ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

/* Prepare a materialized set-returning function's result. */
Tuplestorestate *
mig_init_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	MemoryContext oldcxt;
	Tuplestorestate *tupstore;

	if (rsinfo == NULL || !IsA(rsinfo, ReturnSetInfo) ||
		(rsinfo->allowedModes & SFRM_Materialize) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("set-valued function called in context that cannot accept a set")));
	if (get_call_result_type(fcinfo, NULL, tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	oldcxt = MemoryContextSwitchTo(rsinfo->econtext->ecxt_per_query_memory);
	*tupdesc = CreateTupleDescCopy(*tupdesc);
	tupstore = tuplestore_begin_heap(true, false, work_mem);
	rsinfo->returnMode = SFRM_Materialize;
	rsinfo->setResult = tupstore;
	rsinfo->setDesc = *tupdesc;
	MemoryContextSwitchTo(oldcxt);
	return tupstore;
}

PG_FUNCTION_INFO_V1(pgmig_events_append_only);

/* Trigger on pgmig.events: the audit log is never changed or emptied. */
Datum
pgmig_events_append_only(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_events_append_only: not called by trigger manager");
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("pgmig.events is append-only"),
			 errdetail("The audit log keeps every apply, revert and stamp; rows cannot be changed or removed.")));
	PG_RETURN_NULL();
}
