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
 * the new status line and fingerprint itself.  A section that an error
 * cut short ends with the transaction or subtransaction that aborts; a
 * subtransaction rolled back inside a section leaves it open.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "pgmig.h"

/* Catalog sections entered and not yet left, in this transaction. */
static int	catalog_depth = 0;

/*
 * The depth when each open subtransaction started, innermost last: a
 * subtransaction that aborts takes back the sections entered in it, and
 * only those.  pgmig rolls back subtransactions of its own inside a
 * section (the check of deferred constraints, a lock retry, a slice of
 * waiting for the migration lock), and the section goes on after them.
 */
typedef struct SubxactDepth
{
	SubTransactionId subid;
	int			depth;
} SubxactDepth;

static SubxactDepth *subxact_depths = NULL;
static int	nsubxacts = 0;
static int	maxsubxacts = 0;

/* At a transaction's end: an abort ends every section. */
static void
track_xact(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			catalog_depth = 0;
			nsubxacts = 0;
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			nsubxacts = 0;
			break;
		default:
			break;
	}
}

/*
 * Remember the depth when a subtransaction starts; restore it when it
 * aborts.  A subtransaction that started before the library was loaded
 * was not seen starting: its abort forgets every section, as clearing the
 * status line or noting drift too often is safe, never too little.
 */
static void
track_subxact(SubXactEvent event, SubTransactionId mySubid,
			  SubTransactionId parentSubid, void *arg)
{
	bool		found = false;

	switch (event)
	{
		case SUBXACT_EVENT_START_SUB:
			if (nsubxacts == maxsubxacts)
			{
				maxsubxacts = maxsubxacts > 0 ? maxsubxacts * 2 : 16;
				subxact_depths = subxact_depths == NULL ?
					MemoryContextAlloc(TopMemoryContext,
									   maxsubxacts * sizeof(SubxactDepth)) :
					repalloc(subxact_depths, maxsubxacts * sizeof(SubxactDepth));
			}
			subxact_depths[nsubxacts].subid = mySubid;
			subxact_depths[nsubxacts].depth = catalog_depth;
			nsubxacts++;
			break;
		case SUBXACT_EVENT_COMMIT_SUB:
		case SUBXACT_EVENT_ABORT_SUB:
			while (nsubxacts > 0 &&
				   subxact_depths[nsubxacts - 1].subid >= mySubid)
			{
				nsubxacts--;
				if (subxact_depths[nsubxacts].subid == mySubid)
				{
					found = true;
					if (event == SUBXACT_EVENT_ABORT_SUB)
						catalog_depth = subxact_depths[nsubxacts].depth;
				}
			}
			if (event == SUBXACT_EVENT_ABORT_SUB && !found)
				catalog_depth = 0;
			break;
		default:
			break;
	}
}

/* Register the callbacks; called once from _PG_init(). */
void
mig_section_init(void)
{
	RegisterXactCallback(track_xact, NULL);
	RegisterSubXactCallback(track_subxact, NULL);
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
	Assert(catalog_depth > 0);
	if (catalog_depth > 0)
		catalog_depth--;
}

/*
 * Connect to SPI and enter a catalog section: what most of pgmig's
 * functions do first.  Returns the nest level for mig_finish_catalog().
 */
int
mig_connect_catalog(void)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	return mig_enter_catalog();
}

/* Leave the catalog section and SPI. */
void
mig_finish_catalog(int nestlevel)
{
	mig_leave_catalog(nestlevel);
	SPI_finish();
}

/*
 * The plan of "sql", prepared once per session and kept in *slot;
 * "cursor_options" as for SPI_prepare_cursor().
 */
SPIPlanPtr
mig_kept_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *argtypes,
			  int cursor_options)
{
	if (*slot == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare_cursor(sql, nargs, argtypes,
											  cursor_options);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed for \"%s\": %s",
				 sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "SPI_keepplan failed");
		*slot = plan;
	}
	return *slot;
}

/* Is pgmig's own catalog work (a run, a check) under way? */
bool
mig_in_catalog(void)
{
	return catalog_depth > 0;
}
