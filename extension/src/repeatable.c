/*-------------------------------------------------------------------------
 *
 * repeatable.c
 *	  Flyway's repeatable migrations: registering them, applying those
 *	  that changed, and importing Flyway's record of them.
 *
 * A repeatable migration (R__<description>.sql) has no version: it is not
 * a revision of the graph, and is kept in pgmig.repeatables.  As Flyway
 * does, it is applied after the versioned revisions, in the order of the
 * descriptions, whenever its script is not the one last applied (its
 * checksum differs from applied_checksum, or it never ran): a changed
 * repeatable file is the point of the kind, not an edited history, so
 * registering it again is no override.  It is never reverted; "down"
 * leaves it, as Flyway's undo does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pgmig.h"

/* Fail unless the catalog has pgmig.repeatables (0.3.0 or later). */
static void
require_repeatables(void)
{
	if (!mig_catalog_has("repeatables"))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("this database's pgmig catalog has no repeatable migrations"),
				 errhint("Update the extension: ALTER EXTENSION pgmig UPDATE.")));
}

/*
 * Register parsed repeatable migrations (in the caller's catalog section),
 * putting a (file name, action) row for each into the tuplestore: "new",
 * "updated" (another script: it is pending again) or "unchanged".
 */
void
mig_register_repeatables(PgmigScript *reps, int n, Tuplestorestate *tupstore,
						 TupleDesc tupdesc)
{
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	int			i;

	if (n == 0)
		return;
	require_repeatables();
	for (i = 0; i < n; i++)
	{
		PgmigScript *s = &reps[i];
		Datum		args[4];
		Datum		values[2];
		bool		nulls[2] = {false, false};
		const char *action;

		args[0] = CStringGetTextDatum(s->file_name);
		args[1] = CStringGetTextDatum(s->description);
		args[2] = CStringGetTextDatum(s->up);
		args[3] = CStringGetTextDatum(s->up_checksum);
		if (SPI_execute_with_args("SELECT checksum FROM pgmig.repeatables WHERE file_name = $1",
								  1, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read repeatable migrations");
		if (SPI_processed == 0)
		{
			action = "new";
			if (SPI_execute_with_args("INSERT INTO pgmig.repeatables"
									  " (file_name, description, script, checksum)"
									  " VALUES ($1, $2, $3, $4)",
									  4, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
				elog(ERROR, "could not register repeatable migration %s", s->file_name);
		}
		else if (strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1),
						s->up_checksum) == 0)
			action = "unchanged";
		else
		{
			action = "updated";
			if (SPI_execute_with_args("UPDATE pgmig.repeatables SET description = $2,"
									  " script = $3, checksum = $4, registered_at = now()"
									  " WHERE file_name = $1",
									  4, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
				elog(ERROR, "could not register repeatable migration %s", s->file_name);
		}
		values[0] = CStringGetTextDatum(s->file_name);
		values[1] = CStringGetTextDatum(action);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
}

/* A repeatable migration to run. */
typedef struct Pending
{
	char	   *file_name;
	char	   *description;
	char	   *script;
	char	   *checksum;
} Pending;

/* The repeatable migrations to apply, in Flyway's order (*n of them). */
static Pending *
read_pending(int *n)
{
	Pending    *p;
	uint64		i;

	if (SPI_execute("SELECT file_name, description, script, checksum"
					" FROM pgmig.repeatables"
					" WHERE applied_checksum IS DISTINCT FROM checksum"
					" ORDER BY description COLLATE \"C\", file_name COLLATE \"C\"",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read repeatable migrations");
	p = palloc((SPI_processed + 1) * sizeof(Pending));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		p[i].file_name = SPI_getvalue(tup, desc, 1);
		p[i].description = SPI_getvalue(tup, desc, 2);
		p[i].script = SPI_getvalue(tup, desc, 3);
		p[i].checksum = SPI_getvalue(tup, desc, 4);
	}
	*n = (int) SPI_processed;
	return p;
}

/* Record repeatable migration "file_name" as applied with "checksum". */
static void
mark_applied(const char *file_name, const char *checksum)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		args[2];

	args[0] = CStringGetTextDatum(file_name);
	args[1] = CStringGetTextDatum(checksum);
	if (SPI_execute_with_args("UPDATE pgmig.repeatables SET applied_checksum = $2,"
							  " applied_at = now() WHERE file_name = $1",
							  2, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record repeatable migration %s", file_name);
}

PG_FUNCTION_INFO_V1(pgmig_apply_repeatables);

/*
 * mig_apply_repeatables(): apply, in this transaction, every repeatable
 * migration whose script is not the one last applied, in the order of
 * their descriptions; a row each.
 */
Datum
pgmig_apply_repeatables(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	char	   *search_path = mig_caller_search_path();
	Pending    *pending;
	int			n;
	int			nestlevel;
	int			i;

	mig_note_failure(NULL, NULL, NULL);
	mig_check_confirmed("apply");
	mig_lock();
	nestlevel = mig_connect_catalog();
	require_repeatables();
	pending = read_pending(&n);
	if (n > 0)
	{
		mig_warn_drift();
		mig_prepare_map();
	}
	for (i = 0; i < n; i++)
	{
		MigScript  *script = mig_split_script(pending[i].file_name, pending[i].file_name,
											  pending[i].script, 1, false);
		TimestampTz start = GetCurrentTimestamp();
		Interval   *duration;
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		/* what pgmig.last_failure() says if it fails; forgotten if not */
		mig_note_failure("apply", pending[i].file_name, pending[i].file_name);
		mig_run_script(script, search_path);
		mig_note_failure(NULL, NULL, NULL);
		duration = mig_interval_since(start);
		mark_applied(pending[i].file_name, pending[i].checksum);
		mig_log_event("apply", pending[i].file_name, duration, true, NULL,
					  "repeatable migration");
		values[0] = CStringGetTextDatum(pending[i].file_name);
		values[1] = CStringGetTextDatum(pending[i].description);
		values[2] = IntervalPGetDatum(duration);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	if (n > 0)
		mig_record_snapshot("apply");
	mig_finish_catalog(nestlevel);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(pgmig_import_repeatables);

/*
 * pgmig.import_repeatables(file_names text[], source text): record the
 * registered repeatable migrations another tool applied as they are, an
 * "import" event each.
 */
Datum
pgmig_import_repeatables(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	Datum	   *names;
	int			n;
	char	   *source;
	char	   *message;
	int			nestlevel;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("arguments of pgmig.import_repeatables must not be null")));
	n = mig_text_array_arg(PG_GETARG_ARRAYTYPE_P(0), "file_names", &names);
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	tupstore = mig_init_srf(fcinfo, &tupdesc);
	message = psprintf("imported from %s", source);

	mig_check_confirmed("import");
	mig_lock();
	nestlevel = mig_connect_catalog();
	require_repeatables();
	for (i = 0; i < n; i++)
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];
		Datum		values[2];
		bool		nulls[2] = {false, false};
		char	   *name = TextDatumGetCString(names[i]);

		args[0] = names[i];
		if (SPI_execute_with_args("UPDATE pgmig.repeatables SET applied_checksum = checksum,"
								  " applied_at = now() WHERE file_name = $1",
								  1, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "could not record repeatable migration %s", name);
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("repeatable migration %s is not registered", name),
					 errhint("Register its file first with mig_register().")));
		mig_log_event("import", name, NULL, true, NULL, message);
		values[0] = names[i];
		values[1] = CStringGetTextDatum("imported");
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	mig_finish_catalog(nestlevel);
	return (Datum) 0;
}
