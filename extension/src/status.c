/*-------------------------------------------------------------------------
 *
 * status.c
 *	  Read-only views of the catalog: mig_status, mig_plan, mig_revisions.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "pgmig.h"

/* The status line as text that outlives SPI_finish(). */
static text *
status_result(const char *line)
{
	text	   *t = cstring_to_text(line);
	text	   *result = SPI_palloc(VARSIZE(t));

	memcpy(result, t, VARSIZE(t));
	return result;
}

PG_FUNCTION_INFO_V1(pgmig_status);

/*
 * mig_status(): one line for psql: the environment, the status line (kept
 * up to date by the functions that change the catalog, else computed), and
 * drift.
 */
Datum
pgmig_status(PG_FUNCTION_ARGS)
{
	int			nestlevel;
	StringInfoData buf;
	StringInfoData drift;
	text	   *result;

	nestlevel = mig_connect_catalog();

	initStringInfo(&buf);
	if (pgmig_environment && pgmig_environment[0] != '\0')
		appendStringInfo(&buf, "[%s] ", pgmig_environment);
	appendStringInfoString(&buf, mig_status_text());

	initStringInfo(&drift);
	if (mig_drift_summary(&drift, 3) > 0)
		appendStringInfo(&buf, "; WARNING drift: %s", drift.data);

	result = status_result(buf.data);
	mig_finish_catalog(nestlevel);
	PG_RETURN_TEXT_P(result);
}

PG_FUNCTION_INFO_V1(pgmig_plan);

/* mig_plan(target, revert): the steps mig_apply or mig_revert would run. */
Datum
pgmig_plan(PG_FUNCTION_ARGS)
{
	char	   *target = PG_ARGISNULL(0) ? "head" : text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		revert = PG_ARGISNULL(1) ? false : PG_GETARG_BOOL(1);
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	int			nestlevel = mig_connect_catalog();
	MigCatalog *cat = mig_load_catalog_for(target, revert);
	PgmigPlan	plan;
	PgmigError	err;
	int			i;

	if (!pgmig_graph_plan(&cat->graph, target, revert, &plan, &err))
		mig_report(&err);
	for (i = 0; i < plan.nsteps; i++)
	{
		PgmigNode  *node = &cat->graph.nodes[plan.steps[i]];
		MigRevision *rev = (MigRevision *) node->data;
		Datum		values[6];
		bool		nulls[6] = {false, false, false, false, false, false};

		values[0] = Int32GetDatum(i + 1);
		values[1] = CStringGetTextDatum(node->id);
		values[2] = CStringGetTextDatum(rev->description);
		values[3] = CStringGetTextDatum(revert ? "revert" : "apply");
		values[4] = BoolGetDatum(rev->transactional);
		if (rev->source_file)
			values[5] = CStringGetTextDatum(rev->source_file);
		else
			nulls[5] = true;
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	mig_finish_catalog(nestlevel);
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(pgmig_revisions);

/* mig_revisions(): every revision in the order upgrades run them. */
Datum
pgmig_revisions(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	int			nestlevel = mig_connect_catalog();
	MigCatalog *cat = mig_load_catalog();
	PgmigGraph *g = &cat->graph;
	bool	   *ooo = palloc0(g->n * sizeof(bool));
	int		   *ooo_idx;
	int			nooo = pgmig_graph_out_of_order(g, &ooo_idx);
	int			i,
				j;

	for (i = 0; i < nooo; i++)
		ooo[ooo_idx[i]] = true;

	for (i = 0; i < g->n; i++)
	{
		int			x = g->order[i];
		PgmigNode  *node = &g->nodes[x];
		MigRevision *rev = (MigRevision *) node->data;
		char	  **parents = palloc(node->nparents * sizeof(char *));
		Datum		values[14];
		bool		nulls[14];

		memset(nulls, 0, sizeof(nulls));
		for (j = 0; j < node->nparents; j++)
			parents[j] = g->nodes[node->parents[j]].id;
		values[0] = CStringGetTextDatum(node->id);
		values[1] = CStringGetTextDatum(rev->description);
		values[2] = mig_text_array(parents, node->nparents);
		values[3] = mig_text_array(node->labels, node->nlabels);
		values[4] = BoolGetDatum(node->applied);
		if (rev->state)
			values[5] = CStringGetTextDatum(rev->state);
		else
			nulls[5] = true;
		if (rev->state)
			values[6] = TimestampTzGetDatum(rev->applied_at);
		else
			nulls[6] = true;
		if (rev->method)
			values[7] = CStringGetTextDatum(rev->method);
		else
			nulls[7] = true;
		values[8] = BoolGetDatum(node->nchildren == 0);
		values[9] = BoolGetDatum(ooo[x]);
		values[10] = BoolGetDatum(mig_rev_changed(rev));
		values[11] = BoolGetDatum(rev->reversible);
		values[12] = BoolGetDatum(rev->transactional);
		if (rev->source_file)
			values[13] = CStringGetTextDatum(rev->source_file);
		else
			nulls[13] = true;
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	mig_finish_catalog(nestlevel);
	return (Datum) 0;
}
