/*-------------------------------------------------------------------------
 *
 * statuscache.c
 *	  The one row of pgmig.status_cache: the status line, kept by the
 *	  functions that change the catalog so that mig_status() answers
 *	  without loading every revision, and the flag that DDL ran outside
 *	  pgmig, so that drift is computed only when it may be there.
 *
 * Every function that changes pgmig.revisions or pgmig.schema_migrations
 * stores the new status line before it returns, in the same transaction.
 * A change made any other way (by hand, by a restore) fires a statement
 * trigger that clears the line, and mig_status() computes it again from
 * the catalog until the next change through pgmig.  pgmig's own writes
 * happen inside a catalog section (section.c), and the trigger lets those
 * pass.
 *
 * The event trigger pgmig.ddl_seen() (ddltrack.c) sets schema_changed
 * when DDL runs outside pgmig; recording a fingerprint
 * (pgmig.record_snapshot(), snapshot.c) clears it.  The other columns,
 * the state of drift tracking's map, are SQL's (pgmig.update_map()), and
 * ddltrack.c's.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "pgmig.h"

/* Does this database have the cache (not before 0.2.0)? */
static bool
have_cache(void)
{
	return mig_catalog_has("status_cache");
}

/* Does this database keep the settled part of the catalog (since 0.3.0)? */
static bool
have_settled(void)
{
	Oid			nsp = get_namespace_oid("pgmig", true);
	Oid			rel = OidIsValid(nsp) ? get_relname_relid("status_cache", nsp) : InvalidOid;

	return OidIsValid(rel) && get_attnum(rel, "settled_last") != InvalidAttrNumber;
}

/* The stored status line, or NULL when it must be computed. */
static char *
cached_status(void)
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

/* Append "label: a, b, c" for the nodes matching a condition. */
static void
append_list(StringInfo buf, const char *label, const PgmigGraph *g,
			int *idx, int n)
{
	if (n == 0)
		return;
	appendStringInfo(buf, "; %s: %s", label, pgmig_graph_id_list(g, idx, n, 5));
}

/*
 * The status line of a loaded catalog, without the environment and drift
 * parts, e.g.
 *   at 003 (create orders); 2 pending, head 005
 * followed by warnings: several heads, changed scripts, out-of-order or
 * half-done revisions, applied revisions without a registered script.
 */
char *
mig_status_line(MigCatalog *cat)
{
	PgmigGraph *g = &cat->graph;
	StringInfoData buf;
	int		   *current;
	int		   *changed = palloc(g->n * sizeof(int));
	int		   *halfdone = palloc(g->n * sizeof(int));
	int		   *missing = palloc(g->n * sizeof(int));
	int			ncurrent,
				nchanged = 0,
				nhalf = 0,
				nmissing = 0,
				npending = 0;
	int		   *heads;
	int		   *ooo;
	int			nheads,
				nooo;
	int			i;

	initStringInfo(&buf);
	if (g->n == 0)
	{
		appendStringInfoString(&buf, "no revisions registered");
		return buf.data;
	}

	for (i = 0; i < g->n; i++)
	{
		PgmigNode  *node = &g->nodes[i];
		MigRevision *rev = (MigRevision *) node->data;

		if (!node->applied)
			npending++;
		if (mig_rev_changed(rev))
			changed[nchanged++] = i;
		if (rev->state != NULL && strcmp(rev->state, PGMIG_STATE_COMPLETE) != 0)
			halfdone[nhalf++] = i;
		if (node->applied && !rev->registered)
			missing[nmissing++] = i;
	}
	ncurrent = pgmig_graph_current(g, &current);
	nheads = pgmig_graph_heads(g, &heads);
	nooo = pgmig_graph_out_of_order(g, &ooo);

	if (ncurrent == 0)
		appendStringInfoString(&buf, "at base");
	else if (ncurrent == 1)
		appendStringInfo(&buf, "at %s (%s)", g->nodes[current[0]].id,
						 MIG_REV(g, current[0])->description);
	else
		appendStringInfo(&buf, "at %s", pgmig_graph_id_list(g, current, ncurrent, 5));

	if (npending == 0)
		appendStringInfoString(&buf, ", up to date");
	else
		appendStringInfo(&buf, "; %d pending", npending);
	if (nheads == 1 && npending > 0)
		appendStringInfo(&buf, ", head %s", g->nodes[heads[0]].id);

	if (nheads > 1)
		appendStringInfo(&buf, "; WARNING %d heads: %s", nheads,
						 pgmig_graph_id_list(g, heads, nheads, 5));
	append_list(&buf, "WARNING changed since applied", g, changed, nchanged);
	append_list(&buf, "WARNING out of order", g, ooo, nooo);
	append_list(&buf, "WARNING half-done", g, halfdone, nhalf);
	append_list(&buf, "WARNING no script registered", g, missing, nmissing);
	return buf.data;
}

/*
 * The status line for mig_status(): the stored one, else computed from
 * the catalog.
 */
char *
mig_status_text(void)
{
	char	   *line = cached_status();

	return line != NULL ? line : mig_status_line(mig_load_catalog());
}

/* Most revisions without a settled child that the settled part may have. */
#define MAX_FRONTIER 64

/* Is "sortkey" as pgmig_sortkey() makes them: digits, no leading zero? */
static bool
canonical_sortkey(const char *sortkey)
{
	const char *p;

	if (sortkey[0] == '\0' || (sortkey[0] == '0' && sortkey[1] != '\0'))
		return false;
	for (p = sortkey; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

/* May the revision be part of the settled part, its parents permitting? */
static bool
settles(const PgmigNode *node)
{
	MigRevision *rev = (MigRevision *) node->data;

	return rev->settled ||
		(node->applied && !node->partial && rev->registered &&
		 rev->state != NULL && strcmp(rev->state, PGMIG_STATE_COMPLETE) == 0 &&
		 !mig_rev_changed(rev));
}

/*
 * The settled part of a loaded catalog that is up to date (see
 * pgmig--0.2.0--0.3.0.sql): the longest run of revisions in version order,
 * from the first, that are applied, complete, registered and unchanged, and
 * whose parents are in it.  False if there is none, or if a revision could
 * escape the reads of mig_load_recent_catalog(): an applied one without a
 * registered script, a sort key that does not order as text.
 */
static bool
settle(MigCatalog *cat, MigSettled *s)
{
	PgmigGraph *g = &cat->graph;
	bool	   *settled = palloc0((g->n > 0 ? g->n : 1) * sizeof(bool));
	Datum	   *frontier = palloc((g->n > 0 ? g->n : 1) * sizeof(Datum));
	int			last = -1;
	int			nfrontier = 0;
	int			i,
				j;

	for (i = 0; i < g->n; i++)
		if ((g->nodes[i].applied && !MIG_REV(g, i)->registered) ||
			!canonical_sortkey(g->nodes[i].sortkey))
			return false;
	/* an edge of an earlier settled part comes first: it is older */
	for (i = 0; i < g->n && settles(&g->nodes[i]); i++)
	{
		for (j = 0; j < g->nodes[i].nparents; j++)
			if (!settled[g->nodes[i].parents[j]])
				break;
		if (j < g->nodes[i].nparents)
			break;
		settled[i] = true;
		last = i;
	}
	if (last < 0)
		return false;
	for (i = 0; i <= last; i++)
	{
		if (g->nodes[i].hidden_child)
			continue;
		for (j = 0; j < g->nodes[i].nchildren; j++)
			if (settled[g->nodes[i].children[j]])
				break;
		if (j == g->nodes[i].nchildren)
			frontier[nfrontier++] = CStringGetTextDatum(g->nodes[i].id);
	}
	if (nfrontier > MAX_FRONTIER)
		return false;
	s->last = g->nodes[last].id;
	s->sortkey = g->nodes[last].sortkey;
	s->frontier = PointerGetDatum(construct_array(frontier, nfrontier, TEXTOID,
												  -1, false, TYPALIGN_INT));
	return true;
}

/*
 * Analyze pgmig's catalog tables whose statistics are far from what a whole
 * catalog holds (never analyzed, or a large change such as a first
 * registration or stamp): mig_load_recent_catalog() reads a few rows of
 * them through their indexes, and without statistics the planner would
 * read them all.  Autovacuum would get there, but not before the next run.
 * Runs as the extension's owner, who owns the tables.
 */
static void
analyze_if_stale(MigCatalog *cat)
{
	PgmigGraph *g = &cat->graph;
	const char *tables[2] = {"pgmig.revisions", "pgmig.schema_migrations"};
	double		rows[2] = {cat->nregistered, 0};
	StringInfoData stale;
	Oid			save_userid;
	int			save_sec;
	Oid			owner = InvalidOid;
	int			i;

	for (i = 0; i < g->n; i++)
		if (g->nodes[i].applied || g->nodes[i].partial ||
			MIG_REV(g, i)->state != NULL)
			rows[1]++;
	initStringInfo(&stale);
	for (i = 0; i < 2; i++)
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1] = {CStringGetTextDatum(tables[i])};
		float4		reltuples;
		bool		isnull;

		if (SPI_execute_with_args("SELECT c.reltuples, e.extowner"
								  " FROM pg_catalog.pg_class c, pg_catalog.pg_extension e"
								  " WHERE c.oid = pg_catalog.to_regclass($1) AND e.extname = 'pgmig'",
								  1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "could not read the size of %s", tables[i]);
		reltuples = DatumGetFloat4(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
		owner = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
		SPI_freetuptable(SPI_tuptable);
		/* PostgreSQL 14 and later say -1 for never analyzed, 13 says 0 */
		if (reltuples < 0 || fabs(rows[i] - reltuples) > Max(1000.0, rows[i] / 5.0))
			appendStringInfo(&stale, "%s%s", stale.len > 0 ? ", " : "", tables[i]);
	}
	if (stale.len == 0)
		return;
	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	PG_TRY();
	{
		if (SPI_execute(psprintf("ANALYZE %s", stale.data), false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "could not analyze pgmig's catalog");
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_userid, save_sec);
	}
	PG_END_TRY();
}

/*
 * Store the status line of a catalog that is up to date, and its settled
 * part.  A catalog of the recent revisions (mig_load_recent_catalog) must
 * hold every revision the caller changed.
 */
void
mig_store_status(MigCatalog *cat)
{
	static SPIPlanPtr plan = NULL;
	static SPIPlanPtr plan_settled = NULL;
	Oid			argtypes[4] = {TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID};
	Datum		args[4];
	char		nulls[4] = {' ', 'n', 'n', 'n'};
	MigSettled	s;

	if (!have_cache())
		return;
	args[0] = CStringGetTextDatum(mig_status_line(cat));
	if (!have_settled())
	{
		if (SPI_execute_plan(mig_kept_plan(&plan, "UPDATE pgmig.status_cache SET status = $1",
										   1, argtypes, 0),
							 args, NULL, false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "status cache update failed");
		return;
	}
	if (!cat->recent)
		analyze_if_stale(cat);
	if (settle(cat, &s))
	{
		args[1] = CStringGetTextDatum(s.last);
		args[2] = CStringGetTextDatum(s.sortkey);
		args[3] = s.frontier;
		nulls[1] = nulls[2] = nulls[3] = ' ';
	}
	if (SPI_execute_plan(mig_kept_plan(&plan_settled,
									   "UPDATE pgmig.status_cache SET status = $1,"
									   " settled_last = $2, settled_sortkey = $3,"
									   " settled_frontier = $4",
									   4, argtypes, 0),
						 args, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "status cache update failed");
}

/* Read the settled part of the catalog; false if there is none. */
bool
mig_read_settled(MigSettled *s)
{
	static SPIPlanPtr plan = NULL;
	bool		isnull;
	bool		found = false;

	if (!have_settled())
		return false;
	if (SPI_execute_plan(mig_kept_plan(&plan,
									   "SELECT settled_last, settled_sortkey, settled_frontier"
									   " FROM pgmig.status_cache"
									   " WHERE settled_last IS NOT NULL AND settled_sortkey IS NOT NULL"
									   " AND settled_frontier IS NOT NULL",
									   0, NULL, 0),
						 NULL, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "status cache query failed");
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		s->last = SPI_getvalue(tup, desc, 1);
		s->sortkey = SPI_getvalue(tup, desc, 2);
		s->frontier = PointerGetDatum(DatumGetArrayTypePCopy(SPI_getbinval(tup, desc, 3, &isnull)));
		found = true;
	}
	SPI_freetuptable(SPI_tuptable);
	return found;
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
		int			nestlevel = mig_connect_catalog();

		if (SPI_execute(have_settled() ?
						"UPDATE pgmig.status_cache SET status = NULL, settled_last = NULL"
						" WHERE status IS NOT NULL OR settled_last IS NOT NULL" :
						"UPDATE pgmig.status_cache SET status = NULL"
						" WHERE status IS NOT NULL", false, 0) != SPI_OK_UPDATE)
			elog(ERROR, "status cache update failed");
		mig_finish_catalog(nestlevel);
	}
	return PointerGetDatum(NULL);
}

/*
 * Did DDL run outside pgmig since the last fingerprint?  The event trigger
 * pgmig.ddl_seen() notes it; without it, drift need not be computed.
 */
bool
mig_schema_maybe_changed(void)
{
	bool		changed = true;
	bool		isnull;

	if (SPI_execute("SELECT schema_changed FROM pgmig.status_cache", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "status cache query failed");
	if (SPI_processed == 1)
	{
		changed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
		if (isnull)
			changed = true;
	}
	SPI_freetuptable(SPI_tuptable);
	return changed;
}

/*
 * DDL ran outside pgmig (ddltrack.c): note that drift must be computed,
 * unless it touched only temporary objects or an extension's members.
 * "drop" tells a sql_drop from a ddl_command_end.
 */
void
mig_note_schema_changed(bool drop)
{
	const char *sql;
	int			nestlevel;

	if (drop)
		sql = "UPDATE pgmig.status_cache SET schema_changed = true"
			" WHERE NOT schema_changed AND EXISTS"
			" (SELECT FROM pg_catalog.pg_event_trigger_dropped_objects() o"
			"  WHERE NOT o.is_temporary)";
	else
		sql = "UPDATE pgmig.status_cache SET schema_changed = true"
			" WHERE NOT schema_changed AND EXISTS"
			" (SELECT FROM pg_catalog.pg_event_trigger_ddl_commands() c"
			"  WHERE NOT c.in_extension"
			"    AND c.schema_name IS DISTINCT FROM 'pg_temp')";
	nestlevel = mig_connect_catalog();
	if (SPI_execute(sql, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "status cache update failed");
	mig_finish_catalog(nestlevel);
}
