/*-------------------------------------------------------------------------
 *
 * settings.c
 *	  The pgmig.* settings: their definitions, the stored values of the
 *	  ones only administrators may change, and the production guard that
 *	  reads them.
 *
 * pgmig.environment, pgmig.track_drift and pgmig.allow_drop lift a
 * protection (the production guard, drift tracking, the drop guard), so
 * they are superuser settings (PGC_SUSET).  A session may give them a value
 * before this library is loaded; PostgreSQL keeps it as a placeholder and,
 * when _PG_init() defines the setting, discards it with a warning if the
 * role that gave it may not set it.  A value given at connection start
 * (PGOPTIONS, "options" in a connection string) is the placeholder's
 * default as well, in place of the value stored with ALTER DATABASE or
 * ALTER ROLE; discarding it would lose that stored value too, and with it
 * pgmig.environment = 'production'.  So the stored values are applied
 * again once the settings are defined.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_db_role_setting.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "pgmig.h"

char	   *pgmig_environment = NULL;
char	   *pgmig_confirm = NULL;
char	   *pgmig_format = NULL;
int			pgmig_lock_timeout = 5000;
int			pgmig_lock_retries = 3;
int			pgmig_lock_retry_delay = 1000;
bool		pgmig_track_drift = true;
bool		pgmig_check_map = false;
bool		pgmig_check_catalog = false;
bool		pgmig_allow_drop = false;
int			pgmig_progress = MIG_PROGRESS_OFF;

static const struct config_enum_entry progress_options[] = {
	{"off", MIG_PROGRESS_OFF, false},
	{"revisions", MIG_PROGRESS_REVISIONS, false},
	{"statements", MIG_PROGRESS_STATEMENTS, false},
	{NULL, 0, false}
};

/* pgmig.format: empty, or the one layout only a setting tells, sqlx's. */
static bool
check_format(char **newval, void **extra, GucSource source)
{
	if (**newval == '\0' || strcmp(*newval, "sqlx") == 0)
		return true;
	GUC_check_errdetail("The only format a setting tells is \"sqlx\"; the others are told by their files.");
	return false;
}

/*
 * Define the pgmig.* settings; called once from _PG_init().  The ones that
 * switch off a protection (the production guard, drift tracking, the drop
 * guard) are superuser settings, which PostgreSQL 15 and later let an
 * administrator delegate with GRANT SET ON PARAMETER; the confirmation and
 * the lock settings are the session's own.
 */
void
mig_define_settings(void)
{
	DefineCustomStringVariable("pgmig.environment",
							   "Names the kind of database; \"production\" guards apply, revert and stamp.",
							   "Set it with ALTER DATABASE ... SET pgmig.environment = 'production'.",
							   &pgmig_environment,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("pgmig.confirm",
							   "Set to \"yes\" to confirm changes to a production database.",
							   NULL,
							   &pgmig_confirm,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("pgmig.format",
							   "Set to \"sqlx\" to register files without sections as sqlx's up-only migrations.",
							   "pgmig.conf's format = sqlx; the client sets it for mig_register().",
							   &pgmig_format,
							   "",
							   PGC_USERSET,
							   0,
							   check_format, NULL, NULL);
	DefineCustomIntVariable("pgmig.lock_timeout",
							"Longest wait for a lock by a statement of a migration script.",
							"A revision's \"-- pgmig:lock_timeout\" directive overrides it; 0 waits indefinitely, -1 keeps the session's lock_timeout.",
							&pgmig_lock_timeout,
							5000, -1, INT_MAX,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgmig.lock_retries",
							"How many times a revision that timed out waiting for a lock is retried.",
							NULL,
							&pgmig_lock_retries,
							3, 0, 1000,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("pgmig.lock_retry_delay",
							"Pause before the first retry of a revision that timed out waiting for a lock; it doubles with each retry.",
							NULL,
							&pgmig_lock_retry_delay,
							1000, 0, 3600000,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomBoolVariable("pgmig.track_drift",
							 "Records a fingerprint of the schema after each run and warns of changes made outside migrations.",
							 NULL,
							 &pgmig_track_drift,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("pgmig.check_map",
							 "Compares drift tracking's map with the whole schema after each update of it, and fails on a difference.",
							 "For tests of drift tracking: each check hashes the whole schema.",
							 &pgmig_check_map,
							 false,
							 PGC_SUSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("pgmig.check_catalog",
							 "Compares each plan made from the revisions after the settled part with one made from the whole catalog, and fails on a difference.",
							 "For tests of planning: each check reads every revision.",
							 &pgmig_check_catalog,
							 false,
							 PGC_SUSET,
							 GUC_NOT_IN_SAMPLE,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("pgmig.allow_drop",
							 "Allows dropping extension pgmig while its catalog holds migration history.",
							 "Dropping it deletes the applied revisions and the audit log; pg_dump --data-only --table='pgmig.*' saves them.",
							 &pgmig_allow_drop,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	DefineCustomEnumVariable("pgmig.progress",
							 "Sends progress reports as a run goes: each revision's start and end, or each statement's start too.",
							 "They are INFO messages with SQLSTATE 00M01, which the pgmig client sets this for and shows as progress.",
							 &pgmig_progress,
							 MIG_PROGRESS_OFF,
							 progress_options,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);
#if PG_VERSION_NUM >= 150000
	MarkGUCPrefixReserved("pgmig");
#else
	EmitWarningsOnPlaceholders("pgmig");
#endif
}

/* The settings that lift a protection: superuser settings. */
static const char *const guarded_settings[] = {
	"pgmig.environment",
	"pgmig.track_drift",
	"pgmig.allow_drop",
};

/* Is "name" one of the guarded settings? */
static bool
is_guarded(const char *name)
{
	int			i;

	for (i = 0; i < (int) lengthof(guarded_settings); i++)
		if (pg_strcasecmp(name, guarded_settings[i]) == 0)
			return true;
	return false;
}

/*
 * Apply the values of the guarded settings stored for one database and
 * role (either may be InvalidOid: every one), as the backend applied them
 * at connection start: at superuser level, with "source" ranking them.
 */
static void
apply_stored(Relation rel, Oid databaseid, Oid roleid, GucSource source)
{
	ScanKeyData keys[2];
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&keys[0], Anum_pg_db_role_setting_setdatabase,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(databaseid));
	ScanKeyInit(&keys[1], Anum_pg_db_role_setting_setrole,
				BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(roleid));
	scan = systable_beginscan(rel, DbRoleSettingDatidRolidIndexId, true,
							  NULL, 2, keys);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		bool		isnull;
		Datum		config;
		Datum	   *items;
		int			nitems;
		int			i;

		config = heap_getattr(tup, Anum_pg_db_role_setting_setconfig,
							  RelationGetDescr(rel), &isnull);
		if (isnull)
			continue;
		deconstruct_array(DatumGetArrayTypeP(config), TEXTOID, -1, false,
						  TYPALIGN_INT, &items, NULL, &nitems);
		for (i = 0; i < nitems; i++)
		{
			char	   *name;
			char	   *value;

			ParseLongOption(TextDatumGetCString(items[i]), &name, &value);
			if (value != NULL && is_guarded(name))
				(void) set_config_option(name, value, PGC_SUSET, source,
										 GUC_ACTION_SET, true, WARNING, false);
		}
	}
	systable_endscan(scan);
}

/*
 * Apply the stored values of the guarded settings again, in the order and
 * ranks of the backend's start (process_settings() in postinit.c), so that
 * a value that was discarded does not take the stored value with it.  A
 * value the session may set keeps its higher rank.  Called by _PG_init()
 * after the settings are defined; it needs the catalog, so it does nothing
 * in the postmaster (shared_preload_libraries, where the settings exist
 * before a session gives them a value) or before a backend has a database.
 */
void
mig_restore_stored_settings(void)
{
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext cxt;
	bool		own_xact;
	Relation	rel;
	Oid			roleid;

	if (!IsUnderPostmaster || !OidIsValid(MyDatabaseId) || IsParallelWorker())
		return;
	/* session_preload_libraries loads the library between transactions */
	own_xact = !IsTransactionState();
	if (own_xact)
		StartTransactionCommand();
	cxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig settings",
								ALLOCSET_SMALL_SIZES);
	MemoryContextSwitchTo(cxt);
	roleid = GetSessionUserId();
	rel = table_open(DbRoleSettingRelationId, AccessShareLock);
	apply_stored(rel, MyDatabaseId, roleid, PGC_S_DATABASE_USER);
	apply_stored(rel, InvalidOid, roleid, PGC_S_USER);
	apply_stored(rel, MyDatabaseId, InvalidOid, PGC_S_DATABASE);
	apply_stored(rel, InvalidOid, InvalidOid, PGC_S_GLOBAL);
	table_close(rel, AccessShareLock);
	MemoryContextSwitchTo(callercxt);
	MemoryContextDelete(cxt);
	if (own_xact)
	{
		CommitTransactionCommand();
		MemoryContextSwitchTo(callercxt);
	}
}

/* Refuse a change to a production database that the session did not confirm. */
void
mig_check_confirmed(const char *action)
{
	if (pgmig_environment == NULL ||
		pg_strcasecmp(pgmig_environment, "production") != 0)
		return;
	if (pgmig_confirm != NULL && pg_strcasecmp(pgmig_confirm, "yes") == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("%s refused in a production database", action),
			 errdetail("This database has pgmig.environment set to \"production\"."),
			 errhint("Confirm with SET pgmig.confirm = 'yes' in the session, \"pgmig --confirm\", or PGMIG_CONFIRM=yes.")));
}
