/*-------------------------------------------------------------------------
 *
 * snapshot.c
 *	  Schema fingerprints: recorded after each run that changed something,
 *	  compared with the live schema to report drift.
 *
 * The fingerprint itself is SQL (pgmig.schema_objects() in the install
 * scripts): one hash per object of the schema, and one over them all.  A
 * run takes it once at its end, not once per revision.  Callers are inside
 * SPI with the catalog's search_path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "pgmig.h"

/* Most drifted objects a warning lists. */
#define DRIFT_LIST_MAX 10

/*
 * Is drift tracked here?  Not when pgmig.track_drift is off, nor in a
 * database whose extension predates fingerprints (0.1.0, before ALTER
 * EXTENSION pgmig UPDATE): the new library keeps working with it.
 */
static bool
tracking(void)
{
	return pgmig_track_drift && mig_catalog_has("snapshots");
}

/* Record the schema's fingerprint after "action" (apply, revert, stamp). */
void
mig_record_snapshot(const char *action)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	if (!tracking())
		return;
	args[0] = CStringGetTextDatum(action);
	if (SPI_execute_plan(mig_kept_plan(&plan, "SELECT pgmig.record_snapshot($1)",
									   1, argtypes, 0),
						 args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "recording the schema fingerprint failed");
	SPI_freetuptable(SPI_tuptable);
}

/*
 * Objects changed since the latest snapshot, as "table public.t (changed),
 * ..." (at most "max"); returns how many there are, 0 without drift.
 */
int
mig_drift_summary(StringInfo buf, int max)
{
	int			n;
	int			i;

	if (!tracking() || !mig_schema_maybe_changed())
		return 0;
	if (SPI_execute("SELECT object, change FROM pgmig.drift()",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "drift query failed");
	n = (int) SPI_processed;
	for (i = 0; i < n && i < max; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];

		appendStringInfo(buf, "%s%s (%s)", i > 0 ? ", " : "",
						 SPI_getvalue(tup, SPI_tuptable->tupdesc, 1),
						 SPI_getvalue(tup, SPI_tuptable->tupdesc, 2));
	}
	if (n > max)
		appendStringInfo(buf, " and %d more", n - max);
	SPI_freetuptable(SPI_tuptable);
	return n;
}

/* Warn, before a run, of changes made outside migrations since the last. */
void
mig_warn_drift(void)
{
	StringInfoData buf;
	int			n;

	initStringInfo(&buf);
	n = mig_drift_summary(&buf, DRIFT_LIST_MAX);
	if (n > 0)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("the schema changed outside migrations"),
				 errdetail_plural("%d object differs from the fingerprint recorded after the last run: %s.",
								  "%d objects differ from the fingerprint recorded after the last run: %s.",
								  n, n, buf.data),
				 errhint("Put the change into a migration, or undo it. The fingerprint recorded after this run will include it.")));
	pfree(buf.data);
}
