/*-------------------------------------------------------------------------
 *
 * pgmig.c
 *	  Module entry point of the pgmig extension: loading the library, its
 *	  version, and the trigger that keeps the audit log append-only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "pgmig.h"

#ifndef PGMIG_VERSION
#error "PGMIG_VERSION is not defined: extension/Makefile reads it from pgmig.control"
#endif

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * Load the library: define the settings, apply again the stored values of
 * the ones only administrators may change, watch transactions for the
 * catalog's depth counter, and utility commands for drift tracking.
 */
void
_PG_init(void)
{
	mig_define_settings();
	mig_section_init();
	mig_ddltrack_init();
	mig_restore_stored_settings();
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

PG_FUNCTION_INFO_V1(pgmig_library_version);

/*
 * pgmig.library_version(): the version of this shared library.  It serves
 * every database of the installation, whatever version each one's catalog
 * (extversion) is at until ALTER EXTENSION pgmig UPDATE.
 */
Datum
pgmig_library_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(PGMIG_VERSION));
}
