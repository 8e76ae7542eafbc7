/*-------------------------------------------------------------------------
 *
 * nontx.c
 *	  What the client needs to run a no-transaction revision (CREATE INDEX
 *	  CONCURRENTLY and the like) at top level, one statement at a time,
 *	  and to log failures after it rolled back.
 *
 * The server still does the splitting (pgmig.statements), so there is one
 * parser of scripts.  Progress is committed after every statement, so a
 * revision that stops halfway shows as such in mig_status() and a later
 * attempt resumes after the last statement that completed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "utils/builtins.h"

#include "pgmig.h"

/* Run a catalog statement with parameters; returns rows processed. */
static uint64
catalog_exec(const char *sql, int nargs, Oid *argtypes, Datum *values,
			 const char *nulls, int expected)
{
	int			ret = SPI_execute_with_args(sql, nargs, argtypes, values, nulls,
											false, 0);

	if (ret != expected)
		elog(ERROR, "pgmig catalog statement failed: %s",
			 SPI_result_code_string(ret));
	return SPI_processed;
}

/* Find a revision by exact id or unique prefix in a loaded catalog. */
static int
find_revision(MigCatalog *cat, const char *id)
{
	PgmigError	err;
	int			x = pgmig_graph_find(&cat->graph, id, &err);

	if (x < 0)
		mig_report(&err);
	return x;
}

PG_FUNCTION_INFO_V1(pgmig_statements);

/* pgmig.statements(revision, revert): the server's split of a script. */
Datum
pgmig_statements(PG_FUNCTION_ARGS)
{
	char	   *id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		revert = PG_GETARG_BOOL(1);
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	MigCatalog *cat;
	MigScript  *script;
	MigRevision *rev;
	char	   *text;
	int			first_line;
	int			nestlevel;
	int			x,
				i;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = mig_enter_catalog();
	cat = mig_load_catalog();
	x = find_revision(cat, id);
	rev = MIG_REV(&cat->graph, x);
	text = mig_fetch_script(cat->graph.nodes[x].id, revert, &first_line);
	script = mig_split_script(cat->graph.nodes[x].id, rev->source_file, text,
							  first_line, revert);

	for (i = 0; i < script->nstmts; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = Int32GetDatum(pgmig_line_at(script->text, script->stmts[i].offset,
												script->first_line));
		values[2] = PointerGetDatum(cstring_to_text_with_len(script->text + script->stmts[i].offset,
															 script->stmts[i].length));
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	mig_leave_catalog(nestlevel);
	SPI_finish();
	return (Datum) 0;
}

/* Refuse unless this session holds the pgmig session-level advisory lock. */
static void
require_session_lock(void)
{
	LOCKTAG		tag;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, PGMIG_LOCK_KEY1, PGMIG_LOCK_KEY2, 2);
#if PG_VERSION_NUM >= 170000
	if (!LockHeldByMe(&tag, ExclusiveLock, false))
#else
	if (!LockHeldByMe(&tag, ExclusiveLock))
#endif
		ereport(ERROR,
				(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
				 errmsg("no-transaction revisions need the pgmig session lock"),
				 errdetail("Statements of such a revision run in transactions of their own; the lock must outlive them."),
				 errhint("Take it first with SELECT pg_advisory_lock(%d, %d).",
						 PGMIG_LOCK_KEY1, PGMIG_LOCK_KEY2)));
}

PG_FUNCTION_INFO_V1(pgmig_nontx_begin);

/*
 * pgmig.nontx_begin(revision, revert): check that the revision may run now
 * and mark it running; returns how many of its statements an interrupted
 * earlier attempt completed (0 for a fresh start).
 */
Datum
pgmig_nontx_begin(PG_FUNCTION_ARGS)
{
	char	   *id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		revert = PG_GETARG_BOOL(1);
	MigCatalog *cat;
	PgmigNode  *node;
	MigRevision *rev;
	Oid			argtypes[3] = {TEXTOID, TEXTOID, TEXTOID};
	Datum		values[3];
	bool		isnull;
	int			done;
	int			nestlevel;
	int			x,
				j;

	mig_check_confirmed(revert ? "revert" : "apply");
	require_session_lock();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = mig_enter_catalog();
	cat = mig_load_catalog();
	x = find_revision(cat, id);
	node = &cat->graph.nodes[x];
	rev = (MigRevision *) node->data;

	if (!rev->registered)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no script registered for revision %s", node->id)));
	if (!revert)
	{
		if (rev->state != NULL && strncmp(rev->state, "revert", 6) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is half reverted", node->id),
					 errhint("Finish reverting it, or repair the schema by hand and use mig_stamp().")));
		if (node->applied)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is already applied", node->id)));
		for (j = 0; j < node->nparents; j++)
			if (!cat->graph.nodes[node->parents[j]].applied)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("parent %s of revision %s is not applied",
								cat->graph.nodes[node->parents[j]].id, node->id)));
	}
	else
	{
		if (!node->applied)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is not applied", node->id)));
		if (!rev->reversible)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is irreversible", node->id)));
		for (j = 0; j < node->nchildren; j++)
			if (cat->graph.nodes[node->children[j]].applied)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("child %s of revision %s is applied",
								cat->graph.nodes[node->children[j]].id, node->id)));
	}

	values[0] = CStringGetTextDatum(node->id);
	values[1] = CStringGetTextDatum(rev->description);
	values[2] = CStringGetTextDatum(rev->up_checksum);
	if (!revert)
		catalog_exec("INSERT INTO pgmig.schema_migrations AS m"
					 " (id, description, checksum, state, statements_done)"
					 " VALUES ($1, $2, $3, 'running', 0)"
					 " ON CONFLICT (id) DO UPDATE SET state = 'running',"
					 " statements_done = CASE WHEN m.checksum = excluded.checksum"
					 " THEN m.statements_done ELSE 0 END,"
					 " checksum = excluded.checksum"
					 " RETURNING statements_done",
					 3, argtypes, values, NULL, SPI_OK_INSERT_RETURNING);
	else
		catalog_exec("UPDATE pgmig.schema_migrations SET"
					 " statements_done = CASE WHEN state = 'complete' THEN 0"
					 " ELSE coalesce(statements_done, 0) END,"
					 " state = 'reverting'"
					 " WHERE id = $1 RETURNING statements_done",
					 1, argtypes, values, NULL, SPI_OK_UPDATE_RETURNING);
	done = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
	mig_refresh_status();
	mig_leave_catalog(nestlevel);
	SPI_finish();
	PG_RETURN_INT32(isnull ? 0 : done);
}

PG_FUNCTION_INFO_V1(pgmig_nontx_progress);

/* pgmig.nontx_progress(revision, statements_done) */
Datum
pgmig_nontx_progress(PG_FUNCTION_ARGS)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	int			nestlevel;
	uint64		n;

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = mig_enter_catalog();
	n = catalog_exec("UPDATE pgmig.schema_migrations SET statements_done = $2"
					 " WHERE id = $1 AND state IN ('running', 'reverting')",
					 2, argtypes, values, NULL, SPI_OK_UPDATE);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("revision %s is not running",
						TextDatumGetCString(values[0])),
				 errhint("Call pgmig.nontx_begin() first.")));
	mig_leave_catalog(nestlevel);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(pgmig_nontx_end);

/*
 * pgmig.nontx_end(revision, revert, success, duration, sqlstate, message):
 * record how a no-transaction run ended, and log it.
 */
Datum
pgmig_nontx_end(PG_FUNCTION_ARGS)
{
	char	   *id;
	bool		revert,
				success;
	Interval   *duration = PG_ARGISNULL(3) ? NULL : PG_GETARG_INTERVAL_P(3);
	char	   *sqlstate = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	char	   *message = PG_ARGISNULL(5) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(5));
	Oid			argtypes[3] = {TEXTOID, INTERVALOID, TEXTOID};
	Datum		values[3];
	char		nulls[3] = {' ', ' ', ' '};
	int			nestlevel;
	uint64		n;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("revision, revert and success must not be null")));
	id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	revert = PG_GETARG_BOOL(1);
	success = PG_GETARG_BOOL(2);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = mig_enter_catalog();
	values[0] = CStringGetTextDatum(id);
	if (duration)
		values[1] = IntervalPGetDatum(duration);
	else
		nulls[1] = 'n';
	values[2] = CStringGetTextDatum(revert ? "revert_failed" : "failed");

	if (success && !revert)
		n = catalog_exec("UPDATE pgmig.schema_migrations SET state = 'complete',"
						 " statements_done = NULL, duration = $2,"
						 " applied_at = clock_timestamp(), applied_by = current_user"
						 " WHERE id = $1 AND state = 'running'",
						 2, argtypes, values, nulls, SPI_OK_UPDATE);
	else if (success)
		n = catalog_exec("DELETE FROM pgmig.schema_migrations"
						 " WHERE id = $1 AND state = 'reverting'",
						 1, argtypes, values, nulls, SPI_OK_DELETE);
	else
		n = catalog_exec("UPDATE pgmig.schema_migrations SET state = $3, duration = $2"
						 " WHERE id = $1 AND state IN ('running', 'reverting')",
						 3, argtypes, values, nulls, SPI_OK_UPDATE);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("revision %s is not running", id),
				 errhint("Call pgmig.nontx_begin() first.")));
	mig_log_event(revert ? "revert" : "apply", id, duration, success,
				  sqlstate, message);
	mig_refresh_status();
	/* what the completed statements did came from the migration, not drift */
	mig_record_snapshot(revert ? "revert" : "apply");
	mig_leave_catalog(nestlevel);
	SPI_finish();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(pgmig_log_failure);

/*
 * pgmig.log_failure(action, revision, duration, sqlstate, message): the
 * client logs a failed run after rolling it back, so the audit log keeps it.
 */
Datum
pgmig_log_failure(PG_FUNCTION_ARGS)
{
	char	   *action;
	int			nestlevel;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("action must not be null")));
	action = text_to_cstring(PG_GETARG_TEXT_PP(0));
	if (strcmp(action, "apply") != 0 && strcmp(action, "revert") != 0 &&
		strcmp(action, "stamp") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid action \"%s\"", action),
				 errhint("Failures are logged for apply, revert and stamp.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nestlevel = mig_enter_catalog();
	mig_log_event(action,
				  PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)),
				  PG_ARGISNULL(2) ? NULL : PG_GETARG_INTERVAL_P(2),
				  false,
				  PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
				  PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4)));
	mig_leave_catalog(nestlevel);
	SPI_finish();
	PG_RETURN_VOID();
}
