/*-------------------------------------------------------------------------
 *
 * section.c
 *	  The catalog section: pgmig's own catalog work runs with a pinned
 *	  search_path, and is counted, so that pgmig's triggers can tell its
 *	  own changes from anyone else's.
 *
 * Every internal query is schema-qualified; the pinned search_path
 * ("pg_catalog, pg_temp") also keeps a hostile one from redirecting an
 * operator or a function.  While a section is open, the statement trigger
 * on the catalog (statuscache.c) leaves the stored status line alone and
 * the DDL event trigger does not note drift: the run that writes records
 * the new status line and fingerprint itself.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/guc.h"

#include "pgmig.h"

/* Catalog sections entered and not yet left, in this transaction. */
static int	catalog_depth = 0;

/* Forget the depth when a transaction or subtransaction aborts. */
static void
reset_on_abort(XactEvent event, void *arg)
{
	if (event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_ABORT)
		catalog_depth = 0;
}

/* Same for subtransactions: clearing too often is safe, never too little. */
static void
reset_on_subabort(SubXactEvent event, SubTransactionId mySubid,
				  SubTransactionId parentSubid, void *arg)
{
	if (event == SUBXACT_EVENT_ABORT_SUB)
		catalog_depth = 0;
}

/* Register the callbacks; called once from _PG_init(). */
void
mig_section_init(void)
{
	RegisterXactCallback(reset_on_abort, NULL);
	RegisterSubXactCallback(reset_on_subabort, NULL);
}

/*
 * Pin search_path for the catalog queries that follow, so that a hostile
 * search_path cannot redirect an operator or function, and count the
 * section.  Returns the GUC nest level to hand to mig_leave_catalog().
 */
int
mig_enter_catalog(void)
{
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	catalog_depth++;
	return nestlevel;
}

/* Restore the caller's settings. */
void
mig_leave_catalog(int nestlevel)
{
	AtEOXact_GUC(true, nestlevel);
	if (catalog_depth > 0)
		catalog_depth--;
}

/* Is pgmig's own catalog work (a run, a check) under way? */
bool
mig_in_catalog(void)
{
	return catalog_depth > 0;
}
