/*-------------------------------------------------------------------------
 *
 * resume.c
 *	  Making the statements of a no-transaction revision safe to resume.
 *
 * A statement that cannot run in a transaction block (CREATE INDEX
 * CONCURRENTLY and the like) commits on its own, and its progress record
 * is written after it: a client killed between the two leaves the
 * statement's effect without the record, and one killed during it, or a
 * build that failed, leaves an invalid index behind.  So before such a
 * statement runs, the runner records an intent (pgmig.nontx_intent): the
 * statement's number and what it touches, as it is then (the table and
 * the indexes it already has, the index to drop, the partition to
 * detach).  A later attempt compares that with the catalog
 * (pgmig.nontx_plan) to tell whether the statement took effect, must run
 * again, or left something to clean up first:
 *
 * - CREATE INDEX CONCURRENTLY: an index that the table did not have
 *	 before, valid, is the statement's work: done.  Invalid, it is what an
 *	 interrupted build left: dropped concurrently, then built again.  An
 *	 index of that name that existed before is not pgmig's: the statement
 *	 runs again and PostgreSQL says it exists.
 * - REINDEX CONCURRENTLY: the invalid copies it left are dropped, then it
 *	 runs again.
 * - DROP INDEX CONCURRENTLY: done once the index is gone.
 * - DETACH PARTITION CONCURRENTLY: a detach left pending is finished with
 *	 DETACH PARTITION ... FINALIZE; done once the partition is detached.
 * - Anything else runs again (VACUUM, CLUSTER and the like are safe to
 *	 repeat).
 *
 * Names are recorded as PostgreSQL prints them under pgmig's pinned
 * search_path (schema-qualified and quoted), so a dump and restore keeps
 * them meaningful; commands to clean up are made from the catalog's own
 * objects, never from recorded text.
 *
 * Statements that can run in a transaction block need none of this: the
 * runner commits each one together with its progress record.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "pgmig.h"

/* What kind of statement an intent is recorded for. */
typedef enum ResumeKind
{
	RESUME_RERUN,				/* run it again */
	RESUME_CREATE_INDEX,
	RESUME_REINDEX,
	RESUME_DROP_INDEX,
	RESUME_DETACH
} ResumeKind;

/* A statement's kind and the relations it names. */
typedef struct ResumeTarget
{
	ResumeKind	kind;
	RangeVar   *relation;		/* table, or index for REINDEX/DROP INDEX,
								 * or parent for DETACH */
	RangeVar   *partition;		/* DETACH: the partition */
	const char *index;			/* CREATE INDEX: the index's name, or NULL */
	bool		index_is_relation;	/* REINDEX INDEX: relation is an index */
} ResumeTarget;

/* Is this REINDEX one that runs CONCURRENTLY? */
static bool
reindex_concurrently(ReindexStmt *r)
{
#if PG_VERSION_NUM >= 140000
	ListCell   *lc;

	foreach(lc, r->params)
	{
		DefElem    *opt = (DefElem *) lfirst(lc);

		if (strcmp(opt->defname, "concurrently") == 0 && defGetBoolean(opt))
			return true;
	}
	return false;
#else
	return r->concurrent;
#endif
}

/* Classify a raw statement (see file header). */
static void
classify(Node *stmt, ResumeTarget *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = RESUME_RERUN;
	if (stmt == NULL)
		return;
	switch (nodeTag(stmt))
	{
		case T_IndexStmt:
			if (((IndexStmt *) stmt)->concurrent)
			{
				t->kind = RESUME_CREATE_INDEX;
				t->relation = ((IndexStmt *) stmt)->relation;
				t->index = ((IndexStmt *) stmt)->idxname;
			}
			break;
		case T_ReindexStmt:
			{
				ReindexStmt *r = (ReindexStmt *) stmt;

				if ((r->kind == REINDEX_OBJECT_INDEX || r->kind == REINDEX_OBJECT_TABLE) &&
					reindex_concurrently(r))
				{
					t->kind = RESUME_REINDEX;
					t->relation = r->relation;
					t->index_is_relation = r->kind == REINDEX_OBJECT_INDEX;
				}
				break;
			}
		case T_DropStmt:
			{
				DropStmt   *d = (DropStmt *) stmt;

				if (d->concurrent && d->removeType == OBJECT_INDEX &&
					list_length(d->objects) == 1)
				{
					t->kind = RESUME_DROP_INDEX;
					t->relation = makeRangeVarFromNameList(linitial(d->objects));
				}
				break;
			}
#if PG_VERSION_NUM >= 140000
		case T_AlterTableStmt:
			{
				AlterTableStmt *a = (AlterTableStmt *) stmt;
				ListCell   *lc;

				foreach(lc, a->cmds)
				{
					AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

					if (cmd->subtype == AT_DetachPartition &&
						((PartitionCmd *) cmd->def)->concurrent)
					{
						t->kind = RESUME_DETACH;
						t->relation = a->relation;
						t->partition = ((PartitionCmd *) cmd->def)->name;
					}
				}
				break;
			}
#endif
		default:
			break;
	}
}

/*
 * Is "sql" a REINDEX or CLUSTER of a partitioned table or index?  Those
 * cannot run in a transaction block either, which only the catalog tells.
 * Names resolve with "search_path".
 */
bool
mig_partitioned_maintenance(const char *sql, const char *search_path)
{
	Node	   *stmt = mig_parse_one(sql);
	RangeVar   *rv = NULL;
	Oid			relid;
	char		relkind;
	int			nestlevel;

	if (stmt == NULL)
		return false;
	if (IsA(stmt, ReindexStmt) &&
		(((ReindexStmt *) stmt)->kind == REINDEX_OBJECT_INDEX ||
		 ((ReindexStmt *) stmt)->kind == REINDEX_OBJECT_TABLE))
		rv = ((ReindexStmt *) stmt)->relation;
	else if (IsA(stmt, ClusterStmt))
		rv = ((ClusterStmt *) stmt)->relation;
	if (rv == NULL)
		return false;
	nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", search_path,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	relid = RangeVarGetRelid(rv, NoLock, true);
	AtEOXact_GUC(true, nestlevel);
	if (!OidIsValid(relid))
		return false;
	relkind = get_rel_relkind(relid);
	return relkind == RELKIND_PARTITIONED_TABLE || relkind == RELKIND_PARTITIONED_INDEX;
}

/*
 * Record the intent to run top-level statement "stmt" (its text "sql") of
 * a running no-transaction revision.  Names in the statement resolve with
 * the session's search_path, so this is called before the catalog's is
 * pinned.  False when the revision is not running.
 */
bool
mig_record_intent(const char *revision, int stmt, const char *sql)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[6] = {TEXTOID, INT4OID, OIDOID, TEXTOID, OIDOID, BOOLOID};
	ResumeTarget t;
	Oid			relid = InvalidOid;
	Oid			object = InvalidOid;
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int			nestlevel;
	uint64		n;

	classify(mig_parse_one(sql), &t);
	if (t.relation != NULL)
		relid = RangeVarGetRelid(t.relation, NoLock, true);
	switch (t.kind)
	{
		case RESUME_REINDEX:
			if (t.index_is_relation && OidIsValid(relid))
				relid = IndexGetRelation(relid, true);
			break;
		case RESUME_DROP_INDEX:
			object = relid;
			relid = InvalidOid;
			break;
		case RESUME_DETACH:
			object = RangeVarGetRelid(t.partition, NoLock, true);
			break;
		default:
			break;
	}

	nestlevel = mig_enter_catalog();
	mig_kept_plan(&plan,
				  "UPDATE pgmig.schema_migrations SET pending = jsonb_strip_nulls(jsonb_build_object("
				  " 'statement', $2,"
				  " 'relation', $3::regclass::text,"
				  " 'index', (SELECT format('%I.%I', n.nspname, $4)"
				  "           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
				  "           WHERE c.oid = $3),"
				  " 'existing', CASE WHEN $6 THEN"
				  "   (SELECT coalesce(jsonb_agg(i.indexrelid::regclass::text), '[]')"
				  "    FROM pg_index i WHERE i.indrelid = $3) END,"
				  " 'object', $5::regclass::text))"
				  " WHERE id = $1 AND state IN ('running', 'reverting')",
				  6, argtypes, 0);
	values[0] = CStringGetTextDatum(revision);
	values[1] = Int32GetDatum(stmt);
	values[2] = ObjectIdGetDatum(relid);
	if (!OidIsValid(relid))
		nulls[2] = 'n';
	if (t.kind == RESUME_CREATE_INDEX && t.index != NULL)
		values[3] = CStringGetTextDatum(t.index);
	else
		nulls[3] = 'n';
	values[4] = ObjectIdGetDatum(object);
	if (!OidIsValid(object))
		nulls[4] = 'n';
	values[5] = BoolGetDatum(OidIsValid(relid) &&
							 (t.kind == RESUME_CREATE_INDEX || t.kind == RESUME_REINDEX));
	if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record the intent of a statement");
	n = SPI_processed;
	/*
	 * What the statement touches goes to drift tracking now: a statement
	 * that fails or is cut short after its first commit (CREATE INDEX
	 * CONCURRENTLY) leaves objects no event trigger reports.
	 */
	if (n > 0 && mig_map_kept())
	{
		if (OidIsValid(relid))
			mig_note_pending(RelationRelationId, relid);
		if (OidIsValid(object))
			mig_note_pending(RelationRelationId, object);
	}
	mig_leave_catalog(nestlevel);
	return n > 0;
}

/* The first column of each row of the last SPI query, as C strings. */
static List *
first_column(void)
{
	List	   *result = NIL;
	uint64		i;

	for (i = 0; i < SPI_processed; i++)
		result = lappend(result, SPI_getvalue(SPI_tuptable->vals[i],
											  SPI_tuptable->tupdesc, 1));
	return result;
}

/* Run a resolution query with the pending record as $1. */
static void
pending_query(const char *sql, Datum pending)
{
	Oid			argtypes[1] = {JSONBOID};
	Datum		values[1] = {pending};

	if (SPI_execute_with_args(sql, 1, argtypes, values, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read what an interrupted statement left");
}

/*
 * Statement "sql" was started by an earlier attempt that did not record
 * its end; "pending" is the intent recorded for it.  Returns whether it
 * took effect (done) and adds to *cleanup the commands to run first,
 * at top level, before it runs again.  The caller has pinned the
 * catalog's search_path.
 */
bool
mig_resolve_intent(const char *sql, Datum pending, List **cleanup)
{
	ResumeTarget t;
	bool		done = false;

	classify(mig_parse_one(sql), &t);
	switch (t.kind)
	{
		case RESUME_CREATE_INDEX:
		case RESUME_REINDEX:
			{
				uint64		i;
				bool		named = false;
				bool		named_valid = false;
				bool		new_valid = false;

				/* the indexes the table has gained since the intent */
				pending_query("SELECT format('DROP INDEX CONCURRENTLY IF EXISTS %s', c.oid::regclass),"
							  " i.indisvalid, c.oid = to_regclass($1->>'index')"
							  " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
							  " WHERE i.indrelid = to_regclass($1->>'relation')"
							  "   AND NOT EXISTS (SELECT FROM jsonb_array_elements_text($1->'existing') e"
							  "                   WHERE e.value = c.oid::regclass::text)"
							  " ORDER BY c.oid",
							  pending);
				for (i = 0; i < SPI_processed; i++)
				{
					HeapTuple	tup = SPI_tuptable->vals[i];
					bool		isnull;
					bool		valid = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull));
					bool		ours = DatumGetBool(SPI_getbinval(tup, SPI_tuptable->tupdesc, 3, &isnull)) && !isnull;

					if (ours)
					{
						named = true;
						named_valid = valid;
					}
					if (valid)
						new_valid = true;
					/* an invalid index: what an interrupted build left */
					else if (t.index == NULL || ours)
						*cleanup = lappend(*cleanup,
										   SPI_getvalue(tup, SPI_tuptable->tupdesc, 1));
				}
				if (t.kind == RESUME_CREATE_INDEX)
					done = t.index != NULL ? named && named_valid : new_valid;
				break;
			}
		case RESUME_DROP_INDEX:
			pending_query("SELECT to_regclass($1->>'object') IS NULL AND $1 ? 'object'",
						  pending);
			done = SPI_processed == 1 &&
				strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") == 0;
			break;
		case RESUME_DETACH:
#if PG_VERSION_NUM >= 140000
			/* still a partition: finish a detach left pending */
			pending_query("SELECT format('ALTER TABLE %s DETACH PARTITION %s FINALIZE', i.inhparent::regclass, i.inhrelid::regclass)"
						  " FROM pg_inherits i"
						  " WHERE i.inhrelid = to_regclass($1->>'object')"
						  "   AND i.inhparent = to_regclass($1->>'relation')"
						  "   AND i.inhdetachpending",
						  pending);
			*cleanup = list_concat(*cleanup, first_column());
			pending_query("SELECT NOT EXISTS (SELECT FROM pg_inherits i"
						  "  WHERE i.inhrelid = to_regclass($1->>'object')"
						  "    AND i.inhparent = to_regclass($1->>'relation')"
						  "    AND NOT i.inhdetachpending) AND $1 ? 'object'",
						  pending);
			done = SPI_processed == 1 &&
				strcmp(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1), "t") == 0;
#endif
			break;
		case RESUME_RERUN:
			break;
	}
	return done;
}
