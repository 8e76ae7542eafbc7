/*-------------------------------------------------------------------------
 *
 * nontx.c
 *	  What the client needs to run a no-transaction revision (CREATE INDEX
 *	  CONCURRENTLY and the like) at top level, one statement at a time,
 *	  and to log failures after it rolled back.
 *
 * The server still does the splitting, so there is one parser of
 * scripts: pgmig.nontx_plan gives the runner (the client, or psql running
 * "pgmig up --sql") the commands to run, from where an earlier attempt
 * stopped.  A statement that can run in a transaction block is run in one
 * together with its progress record (pgmig.nontx_progress), so it happens
 * exactly once; one that cannot is preceded by an intent
 * (pgmig.nontx_intent) so that a later attempt can tell what it left
 * (resume.c).  A revision that stops halfway shows as such in mig_status()
 * and a later attempt resumes it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

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

/*
 * Load the catalog and the up (or down) script of revision "id", split and
 * checked; *rev gets what the catalog knows of it.
 */
static MigScript *
load_script(const char *id, bool revert, MigRevision **rev)
{
	MigCatalog *cat = mig_load_catalog();
	int			x = find_revision(cat, id);
	int			first_line;
	char	   *text;

	*rev = MIG_REV(&cat->graph, x);
	text = mig_fetch_script(cat->graph.nodes[x].id, revert, &first_line);
	return mig_split_script(cat->graph.nodes[x].id, (*rev)->source_file, text,
							first_line, revert);
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
	MigScript  *script;
	MigRevision *rev;
	int			nestlevel;
	int			i;

	nestlevel = mig_connect_catalog();
	script = load_script(id, revert, &rev);

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
	mig_finish_catalog(nestlevel);
	return (Datum) 0;
}

/* Refuse unless this session holds the session-level migration lock. */
static void
require_session_lock(void)
{
	if (!mig_holds_session_lock())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no-transaction revisions need the pgmig session lock"),
				 errdetail("Statements of such a revision run in transactions of their own; the lock must outlive them."),
				 errhint("Take it first with CALL pgmig.lock().")));
}

/*
 * Refuse to run revision "node" now in the direction asked: going up, it
 * must not be applied (nor half reverted) and its parents must be; going
 * down, it must be applied (or partial), reversible, without an applied
 * child.
 */
static void
check_may_run(PgmigGraph *g, PgmigNode *node, bool revert)
{
	MigRevision *rev = (MigRevision *) node->data;
	int			j;

	if (!rev->registered)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no script registered for revision %s", node->id)));
	if (!revert)
	{
		if (pgmig_state_half_reverted(rev->state))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is half reverted", node->id),
					 errhint("Finish reverting it, or repair the schema by hand and use mig_stamp().")));
		if (node->applied)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is already applied", node->id)));
		for (j = 0; j < node->nparents; j++)
			if (!g->nodes[node->parents[j]].applied)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("parent %s of revision %s is not applied",
								g->nodes[node->parents[j]].id, node->id)));
	}
	else
	{
		/* a partial one is reverted too: its down script undoes it */
		if (!node->applied && !node->partial)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is not applied", node->id)));
		if (!rev->reversible)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is irreversible", node->id)));
		for (j = 0; j < node->nchildren; j++)
		{
			PgmigNode  *child = &g->nodes[node->children[j]];

			if (child->applied || child->partial)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("child %s of revision %s is applied",
								child->id, node->id)));
		}
	}
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
	int			x;

	mig_check_confirmed(revert ? "revert" : "apply");
	require_session_lock();
	nestlevel = mig_connect_catalog();
	cat = mig_load_catalog();
	x = find_revision(cat, id);
	node = &cat->graph.nodes[x];
	rev = (MigRevision *) node->data;

	check_may_run(&cat->graph, node, revert);
	mig_prepare_map();

	/* a run that stopped without a word: say so in the audit log */
	if (pgmig_state_interrupted(rev->state))
		mig_log_event(pgmig_state_partial(rev->state) ? "apply" : "revert",
					  node->id, NULL, false, NULL,
					  psprintf("interrupted: the attempt ended without recording why (its client, connection or server went away); statements done: %d",
							   rev->statements_done));

	values[0] = CStringGetTextDatum(node->id);
	values[1] = CStringGetTextDatum(rev->description);
	values[2] = CStringGetTextDatum(rev->up_checksum);
	/* what nontx_plan reads: where to resume, what was cut short */
	if (!revert)
		catalog_exec("INSERT INTO pgmig.schema_migrations AS m"
					 " (id, description, checksum, state, statements_done)"
					 " VALUES ($1, $2, $3, 'running', 0)"
					 " ON CONFLICT (id) DO UPDATE SET state = 'running',"
					 " statements_done = CASE WHEN m.checksum = excluded.checksum"
					 " THEN m.statements_done ELSE 0 END,"
					 " pending = CASE WHEN m.checksum = excluded.checksum"
					 " THEN m.pending END,"
					 " checksum = excluded.checksum"
					 " RETURNING statements_done",
					 3, argtypes, values, NULL, SPI_OK_INSERT_RETURNING);
	else
		catalog_exec("UPDATE pgmig.schema_migrations SET"
					 " statements_done = CASE WHEN state IN ('reverting', 'revert_failed')"
					 " THEN coalesce(statements_done, 0) ELSE 0 END,"
					 " pending = CASE WHEN state IN ('reverting', 'revert_failed')"
					 " THEN pending END,"
					 " state = 'reverting'"
					 " WHERE id = $1 RETURNING statements_done",
					 1, argtypes, values, NULL, SPI_OK_UPDATE_RETURNING);
	done = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
									   SPI_tuptable->tupdesc, 1, &isnull));
	mig_refresh_status();
	mig_finish_catalog(nestlevel);
	PG_RETURN_INT32(isnull ? 0 : done);
}

PG_FUNCTION_INFO_V1(pgmig_nontx_progress);

/*
 * pgmig.nontx_progress(revision, statements_done): statements up to
 * "statements_done" have run.  For a statement that builds a named index
 * concurrently, the index must be valid (IF NOT EXISTS may have skipped an
 * invalid one).
 */
Datum
pgmig_nontx_progress(PG_FUNCTION_ARGS)
{
	Oid			argtypes[2] = {TEXTOID, INT4OID};
	Datum		values[2];
	int			nestlevel;
	char	   *invalid = NULL;
	uint64		n;

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	nestlevel = mig_connect_catalog();
	n = catalog_exec("UPDATE pgmig.schema_migrations m SET statements_done = $2,"
					 " pending = NULL"
					 " FROM (SELECT pending FROM pgmig.schema_migrations WHERE id = $1) o"
					 " WHERE m.id = $1 AND m.state IN ('running', 'reverting')"
					 " RETURNING (SELECT c.oid::regclass::text"
					 "   FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
					 "   WHERE i.indexrelid = to_regclass(o.pending->>'index')"
					 "     AND (o.pending->>'statement')::integer = $2"
					 "     AND NOT i.indisvalid)",
					 2, argtypes, values, NULL, SPI_OK_UPDATE_RETURNING);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("revision %s is not running",
						TextDatumGetCString(values[0])),
				 errhint("Call pgmig.nontx_begin() first.")));
	invalid = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (invalid != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index %s is invalid", invalid),
				 errdetail("The statement did not leave a usable index: CREATE INDEX ... IF NOT EXISTS skips an index of that name even when an earlier build left it invalid."),
				 errhint("Drop it with DROP INDEX CONCURRENTLY %s; then run the migration again.",
						 invalid)));
	mig_finish_catalog(nestlevel);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(pgmig_nontx_intent);

/*
 * pgmig.nontx_intent(revision, stmt, sql): top-level statement "stmt",
 * whose text is "sql", is about to run (see resume.c).
 */
Datum
pgmig_nontx_intent(PG_FUNCTION_ARGS)
{
	char	   *id = text_to_cstring(PG_GETARG_TEXT_PP(0));

	require_session_lock();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	if (!mig_record_intent(id, PG_GETARG_INT32(1),
						   text_to_cstring(PG_GETARG_TEXT_PP(2))))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("revision %s is not running", id),
				 errhint("Call pgmig.nontx_begin() first.")));
	SPI_finish();
	PG_RETURN_VOID();
}

/* Add a row to nontx_plan's result (sql NULL: statement "stmt"'s text). */
static void
plan_row(Tuplestorestate *tupstore, TupleDesc tupdesc, MigScript *script,
		 int stmt, const char *sql, const char *mode)
{
	Datum		values[5];
	bool		nulls[5] = {false, false, false, false, false};

	/* stmt -1: a setting before the first statement */
	values[0] = Int32GetDatum(stmt + 1);
	values[1] = Int32GetDatum(mig_statement_line(script, Max(stmt, 0)));
	values[2] = PointerGetDatum(sql ? cstring_to_text(sql) :
								cstring_to_text_with_len(script->text + script->stmts[stmt].offset,
														 script->stmts[stmt].length));
	values[3] = CStringGetTextDatum(mode);
	values[4] = Int32GetDatum(script->nstmts);
	tuplestore_putvalues(tupstore, tupdesc, values, nulls);
}

/* Where an earlier attempt of a revision stopped, and the intent it left. */
static int
resume_point(MigRevision *rev, const char *id, bool revert, Datum *pending,
			 bool *has_pending)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	bool		same_direction;

	*has_pending = false;
	if (rev->state == NULL)
		return 0;
	same_direction = revert ?
		pgmig_state_half_reverted(rev->state) :
		pgmig_state_partial(rev->state);
	/* an edited up script starts again (as nontx_begin records it) */
	if (!revert && same_direction && rev->applied_checksum && rev->up_checksum &&
		strcmp(rev->applied_checksum, rev->up_checksum) != 0)
		same_direction = false;
	if (!same_direction)
		return 0;

	values[0] = CStringGetTextDatum(id);
	catalog_exec("SELECT pending FROM pgmig.schema_migrations"
				 " WHERE id = $1 AND (pending->>'statement')::integer = coalesce(statements_done, 0) + 1",
				 1, argtypes, values, NULL, SPI_OK_SELECT);
	if (SPI_processed == 1)
	{
		*pending = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
								 has_pending);
		*has_pending = !*has_pending;
	}
	return rev->statements_done;
}

PG_FUNCTION_INFO_V1(pgmig_nontx_plan);

/*
 * pgmig.nontx_plan(revision, revert): the commands that run the up (or
 * down) script of a no-transaction revision from where an earlier attempt
 * stopped, in order: (stmt, line, sql, mode, total).  "mode" says how:
 *
 * - replay: a setting for this session: first the lock_timeout the
 *	 statements wait with (mig_nontx_lock_timeout; statement number 0),
 *	 then the SETs of the statements before the resume point;
 * - cleanup: what the interrupted statement left, to run first;
 * - done: the interrupted statement took effect; only record it;
 * - transaction: run it in a transaction with its progress record;
 * - top level: record the intent, run it outside a transaction block,
 *	 record its progress.
 *
 * It reads the catalog only; pgmig.nontx_begin may run before or after.
 */
Datum
pgmig_nontx_plan(PG_FUNCTION_ARGS)
{
	char	   *id = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		revert = PG_GETARG_BOOL(1);
	char	   *search_path = mig_caller_search_path();
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	MigRevision *rev;
	MigScript  *script;
	Datum		pending = (Datum) 0;
	bool		has_pending;
	char	   *lock_timeout;
	int			nestlevel;
	int			start;
	int			i;

	nestlevel = mig_connect_catalog();
	script = load_script(id, revert, &rev);
	start = Min(resume_point(rev, script->revision, revert, &pending,
							 &has_pending), script->nstmts);
	Assert(start >= 0);

	/* the session's lock_timeout for the statements, then the script's SETs */
	lock_timeout = mig_nontx_lock_timeout(rev->lock_timeout);
	if (lock_timeout != NULL && script->nstmts > 0)
		plan_row(tupstore, tupdesc, script, -1,
				 psprintf("SET lock_timeout = %s", quote_literal_cstr(lock_timeout)),
				 "replay");
	for (i = 0; i < start; i++)
		if (script->stmts[i].flags & MIG_STMT_SESSION_SET)
			plan_row(tupstore, tupdesc, script, i, NULL, "replay");
	if (has_pending && start < script->nstmts)
	{
		List	   *cleanup = NIL;
		char	   *sql = pnstrdup(script->text + script->stmts[start].offset,
								   script->stmts[start].length);
		bool		done = mig_resolve_intent(sql, pending, &cleanup);
		ListCell   *lc;

		foreach(lc, cleanup)
			plan_row(tupstore, tupdesc, script, start, lfirst(lc), "cleanup");
		if (done)
			plan_row(tupstore, tupdesc, script, start++, NULL, "done");
	}
	for (i = start; i < script->nstmts; i++)
	{
		MigStatement *st = &script->stmts[i];
		bool		top_level = (st->flags & MIG_STMT_TOP_LEVEL) != 0;

		if (!top_level && (st->flags & MIG_STMT_MAINTENANCE))
		{
			char	   *sql = pnstrdup(script->text + st->offset, st->length);

			top_level = mig_partitioned_maintenance(sql, search_path);
		}
		plan_row(tupstore, tupdesc, script, i, NULL,
				 top_level ? "top level" : "transaction");
	}
	mig_finish_catalog(nestlevel);
	return (Datum) 0;
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

	nestlevel = mig_connect_catalog();
	values[0] = CStringGetTextDatum(id);
	if (duration)
		values[1] = IntervalPGetDatum(duration);
	else
		nulls[1] = 'n';
	values[2] = CStringGetTextDatum(revert ? PGMIG_STATE_REVERT_FAILED : PGMIG_STATE_FAILED);

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
	mig_defer_snapshot(revert ? "revert" : "apply");
	mig_finish_catalog(nestlevel);
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
	nestlevel = mig_connect_catalog();
	mig_log_event(action,
				  PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1)),
				  PG_ARGISNULL(2) ? NULL : PG_GETARG_INTERVAL_P(2),
				  false,
				  PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
				  PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4)));
	mig_finish_catalog(nestlevel);
	PG_RETURN_VOID();
}
