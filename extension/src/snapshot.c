/*-------------------------------------------------------------------------
 *
 * snapshot.c
 *	  Schema fingerprints: recorded after each run that changed something,
 *	  compared with the live schema to report drift.
 *
 * The fingerprint itself is SQL (pgmig.object_hashes() in the install
 * scripts): one hash per object of the schema, and one over them all.  The
 * latest snapshot's hashes are kept as rows (pgmig.snapshot_objects); a
 * run brings them up to date with what it touched (ddltrack.c notes that)
 * and records its snapshot, the fingerprint, once at its end.  Callers are
 * inside SPI with the catalog's search_path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
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

/* Does this database keep the latest snapshot's map as rows (0.3.0)? */
bool
mig_map_kept(void)
{
	return mig_catalog_has("snapshot_objects");
}

/* Run a snapshot function of the catalog with one text argument, or none. */
static void
call_snapshot_function(SPIPlanPtr *plan, const char *sql, const char *arg)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	if (arg != NULL)
		args[0] = CStringGetTextDatum(arg);
	if (SPI_execute_plan(mig_kept_plan(plan, sql, arg != NULL ? 1 : 0, argtypes, 0),
						 args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "recording the schema fingerprint failed");
	SPI_freetuptable(SPI_tuptable);
}

/*
 * pgmig.check_map: the map, brought up to date from what DDL touched, must
 * equal the whole schema's (unless it could not be brought up to date:
 * rows are still pending).
 */
static void
check_map(void)
{
	char	   *diff;

	if (SPI_execute("SELECT pg_catalog.string_agg(d.change || ' ' || d.object, ', ')"
					" FROM pgmig.map_diff((SELECT pg_catalog.jsonb_object_agg(m.key, m.hash)"
					"                      FROM pgmig.snapshot_objects m),"
					"                     pgmig.object_map()) d"
					" WHERE NOT EXISTS (SELECT FROM pgmig.snapshot_pending)",
					false, 1) != SPI_OK_SELECT)
		elog(ERROR, "map check failed");
	diff = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	SPI_freetuptable(SPI_tuptable);
	if (diff != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("drift tracking's map differs from the schema"),
				 errdetail("Objects that differ: %s.", diff)));
}

/*
 * Note an object a run touched, for the next update of the map (classid
 * 0: hash the whole schema again).  The pending rows are the extension
 * owner's to write, as the event triggers write them: the role running
 * the migration may not.
 */
void
mig_note_pending(Oid classid, Oid objid)
{
	Oid			save_userid;
	int			save_sec;
	Oid			owner;
	bool		isnull;
	int			nestlevel = mig_connect_catalog();

	if (SPI_execute("SELECT extowner FROM pg_catalog.pg_extension WHERE extname = 'pgmig'",
					true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "extension pgmig is not installed");
	owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
										   1, &isnull));
	SPI_freetuptable(SPI_tuptable);
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		Oid			argtypes[2] = {OIDOID, OIDOID};
		Datum		args[2] = {ObjectIdGetDatum(classid), ObjectIdGetDatum(objid)};

		if (SPI_execute_with_args("INSERT INTO pgmig.snapshot_pending VALUES ($1, $2, false)",
								  2, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "could not note what a run touched");
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
	mig_finish_catalog(nestlevel);
}

/* Record the schema's fingerprint after "action" (apply, revert, stamp). */
void
mig_record_snapshot(const char *action)
{
	static SPIPlanPtr plan = NULL;

	if (!tracking())
		return;
	call_snapshot_function(&plan, "SELECT pgmig.record_snapshot($1)", action);
	if (pgmig_check_map && mig_map_kept())
		check_map();
}

/*
 * At a run's start, after the drift warning: hash the whole schema now if
 * it must be (the map is new, or DDL ran outside pgmig), so that what the
 * run touches is measured against a map of its own.
 */
void
mig_prepare_map(void)
{
	static SPIPlanPtr plan = NULL;

	if (tracking() && mig_map_kept())
		call_snapshot_function(&plan, "SELECT pgmig.update_map(true)", NULL);
}

/*
 * At the end of one of a run's transactions (a revision of "pgmig up
 * --commit-each", a no-transaction revision): leave the snapshot for the
 * run's end; what the transaction touched waits in pgmig.snapshot_pending.
 * Before 0.3.0, record the snapshot: the map is recomputed anyway.
 */
void
mig_defer_snapshot(const char *action)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];

	if (!tracking())
		return;
	if (!mig_map_kept())
	{
		mig_record_snapshot(action);
		return;
	}
	args[0] = CStringGetTextDatum(action);
	if (SPI_execute_plan(mig_kept_plan(&plan,
									   "UPDATE pgmig.status_cache SET unrecorded = $1"
									   " WHERE unrecorded IS DISTINCT FROM $1",
									   1, argtypes, 0),
						 args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "status cache update failed");
}

/* At a run's end: record the snapshot its transactions left to record. */
void
mig_record_unrecorded(void)
{
	static SPIPlanPtr plan = NULL;

	if (tracking() && mig_map_kept())
		call_snapshot_function(&plan, "SELECT pgmig.record_unrecorded()", NULL);
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
