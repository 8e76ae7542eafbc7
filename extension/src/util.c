/*-------------------------------------------------------------------------
 *
 * util.c
 *	  Small helpers every part of pgmig uses: arrays, error reporting for
 *	  the shared code, subtransactions, set-returning results, times and
 *	  the caller's search_path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "pgmig.h"

/*
 * A one-dimensional array of the "n" Datums of type "elemtype" in
 * "elems"; "nulls" marks the NULL ones, or is NULL.
 */
Datum
mig_array(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1] = {n};
	int			lbs[1] = {1};

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval,
											  typalign));
}

/* A text[] of "n" C strings. */
Datum
mig_text_array(char **items, int n)
{
	Datum	   *d = palloc(n * sizeof(Datum));
	int			i;

	for (i = 0; i < n; i++)
		d[i] = CStringGetTextDatum(items[i]);
	return mig_array(d, NULL, n, TEXTOID);
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
 * Turn a PgmigError from the shared code into an ereport; where it
 * happened, a line of a migration file, becomes its context.
 */
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
		case PGMIG_ERR_DIFF:
			code = ERRCODE_FEATURE_NOT_SUPPORTED;
			break;
		default:
			code = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
	}
	ereport(ERROR,
			(errcode(code),
			 errmsg_internal("%s", err->message),
			 err->detail ? errdetail_internal("%s", err->detail) : 0,
			 err->hint ? errhint("%s", err->hint) : 0,
			 err->file_name ?
			 errcontext("file \"%s\" line %d", err->file_name, err->line) : 0));
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

/* Deconstruct a text[] argument that must hold no NULLs. */
int
mig_text_array_arg(ArrayType *arr, const char *what, Datum **elems)
{
	bool	   *nulls;
	int			n,
				i;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain nulls", what)));
	return n;
}
