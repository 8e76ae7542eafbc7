/*-------------------------------------------------------------------------
 *
 * import.c
 *	  pgmig.import: take over the history another migration tool recorded.
 *
 * The client reads the other tool's catalog (dbmate's schema_migrations,
 * for one), matches it to the files it registered, and passes the
 * revisions it names here.  They are recorded as applied without running,
 * as a stamp records them (method "stamped", the registered checksums),
 * each with an "import" event naming the source.  Only into a database
 * with no pgmig history: an import never rewrites what pgmig recorded
 * itself, which is what "pgmig stamp" is for.  The set need not be closed
 * under parents: another tool may have applied a revision out of order,
 * and pgmig's status then says so.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"

#include "pgmig.h"

PG_FUNCTION_INFO_V1(pgmig_import);

/* pgmig.import(revisions text[], source text): record another tool's history. */
Datum
pgmig_import(PG_FUNCTION_ARGS)
{
	Datum	   *ids;
	int			n;
	char	   *source;
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore;
	MigCatalog *cat;
	MigBatch   *batch = mig_batch_create();
	int			nestlevel;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("arguments of pgmig.import must not be null")));
	n = mig_text_array_arg(PG_GETARG_ARRAYTYPE_P(0), "revisions", &ids);
	source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	tupstore = mig_init_srf(fcinfo, &tupdesc);

	mig_check_confirmed("import");
	mig_lock();
	nestlevel = mig_connect_catalog();
	cat = mig_load_catalog();

	for (i = 0; i < cat->graph.n; i++)
		if (cat->graph.nodes[i].applied || cat->graph.nodes[i].partial ||
			MIG_REV(&cat->graph, i)->state != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("database already has pgmig history"),
					 errdetail("Revision %s is recorded in pgmig.schema_migrations; nothing was imported.",
							   cat->graph.nodes[i].id),
					 errhint("An import takes over another tool's history before pgmig records any. To change what pgmig recorded, use \"pgmig stamp\".")));

	batch->message = psprintf("imported from %s", source);
	for (i = 0; i < n; i++)
	{
		char	   *id = TextDatumGetCString(ids[i]);
		int			x = pgmig_graph_find_id(&cat->graph, id);
		PgmigNode  *node;
		MigRevision *rev;
		Datum		values[2];
		bool		nulls[2] = {false, false};

		if (x < 0 || !MIG_REV(&cat->graph, x)->registered)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("revision %s is not registered", id),
					 errdetail("%s records it as applied; nothing was imported.", source),
					 errhint("Register its file first: \"pgmig import\" registers the folder's files before it imports.")));
		node = &cat->graph.nodes[x];
		rev = (MigRevision *) node->data;
		if (node->applied)
			continue;			/* named twice */
		mig_batch_add(batch, "import", node->id, rev->description,
					  rev->up_checksum, NULL);
		node->applied = true;
		rev->state = PGMIG_STATE_COMPLETE;
		rev->applied_checksum = rev->up_checksum;
		values[0] = CStringGetTextDatum(node->id);
		values[1] = CStringGetTextDatum("imported");
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}
	if (batch->n > 0)
	{
		mig_batch_flush(batch, "stamped");
		mig_store_status(cat);
		/* the schema the other tool left is where pgmig's history starts */
		mig_record_snapshot("import");
	}

	mig_finish_catalog(nestlevel);
	return (Datum) 0;
}
