/*-------------------------------------------------------------------------
 *
 * statuscache.c
 *	  The status line, kept in pgmig.status_cache by the functions that
 *	  change the catalog, so that mig_status() answers without loading
 *	  every revision.
 *
 * Every function that changes pgmig.revisions or pgmig.schema_migrations
 * stores the new status line before it returns, in the same transaction.
 * A change made any other way (by hand, by a restore) fires a statement
 * trigger that clears the line, and mig_status() computes it again from
 * the catalog until the next change through pgmig.  pgmig's own writes
 * happen between mig_enter_catalog() and mig_leave_catalog(), and the
 * trigger lets those pass.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "utils/builtins.h"

#include "pgmig.h"

/* Does this database have the cache (not before 0.2.0)? */
static bool
have_cache(void)
{
	return mig_catalog_has("status_cache");
}

/* The stored status line, or NULL when it must be computed. */
char *
mig_cached_status(void)
{
	char	   *line = NULL;

	if (!have_cache())
		return NULL;
	if (SPI_execute("SELECT status FROM pgmig.status_cache", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "status cache query failed");
	if (SPI_processed == 1)
		line = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	SPI_freetuptable(SPI_tuptable);
	return line;
}

/* Store the status line of a catalog that is up to date. */
void
mig_store_status(MigCatalog *cat)
{
	static SPIPlanPtr plan = NULL;
	Datum		args[1];

	if (!have_cache())
		return;
	if (plan == NULL)
	{
		Oid			argtypes[1] = {TEXTOID};

		plan = SPI_prepare("UPDATE pgmig.status_cache SET status = $1", 1, argtypes);
		if (plan == NULL || SPI_keepplan(plan) != 0)
			elog(ERROR, "could not prepare the status cache update");
	}
	args[0] = CStringGetTextDatum(mig_status_line(cat));
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "status cache update failed");
}

/* Reload the catalog and store its status line. */
void
mig_refresh_status(void)
{
	if (have_cache())
		mig_store_status(mig_load_catalog());
}

PG_FUNCTION_INFO_V1(pgmig_status_invalidate);

/* Statement trigger on the catalog: a change not made by pgmig clears it. */
Datum
pgmig_status_invalidate(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_status_invalidate: not called by trigger manager");
	if (!mig_in_catalog())
	{
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		if (SPI_execute("UPDATE pgmig.status_cache SET status = NULL"
						" WHERE status IS NOT NULL", false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "status cache update failed");
		SPI_finish();
	}
	return PointerGetDatum(NULL);
}
