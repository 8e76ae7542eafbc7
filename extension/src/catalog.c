/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  Reading and writing pgmig's catalog: registered revisions, applied
 *	  revisions and the audit log.
 *
 * Callers are inside a catalog section (section.c): connected to SPI,
 * search_path pinned; every query here is schema-qualified anyway.
 * Statements that run once per revision use plans kept for the session.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "pgmig.h"
#include "pgmig_version.h"

static SPIPlanPtr plan_insert_event = NULL;
static SPIPlanPtr plan_fetch_up = NULL;
static SPIPlanPtr plan_fetch_down = NULL;

/*
 * Does schema pgmig have relation "relname"?  Tables added by a later
 * version are missing while a database still runs an older one.
 */
bool
mig_catalog_has(const char *relname)
{
	Oid			nsp = get_namespace_oid("pgmig", true);

	return OidIsValid(nsp) && OidIsValid(get_relname_relid(relname, nsp));
}

/* A text datum as a C string, or NULL. */
static char *
datum_text(Datum d, bool isnull)
{
	return isnull ? NULL : TextDatumGetCString(d);
}

/* A text[] datum as an array of C strings (NULL if null); *n gets the count. */
static char **
datum_text_array(Datum d, bool isnull, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **result;
	int			i,
				k = 0;

	*n = 0;
	if (isnull)
		return NULL;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, n);
	result = palloc(*n * sizeof(char *));
	for (i = 0; i < *n; i++)
		if (!nulls[i])
			result[k++] = TextDatumGetCString(elems[i]);
	*n = k;
	return result;
}

/* Has the applied script changed since it was applied? */
bool
mig_rev_changed(MigRevision *rev)
{
	return rev->registered &&
		pgmig_changed_since_applied(rev->state, rev->applied_checksum, rev->up_checksum);
}

/* Rows of the catalog read per fetch (see mig_load_catalog). */
#define CATALOG_FETCH_ROWS 10000

/* The columns of the catalog query, 0-based. */
enum
{
	CC_ID, CC_SORTKEY, CC_DESCRIPTION, CC_PARENTS, CC_LABELS,
	CC_TRANSACTIONAL, CC_REVERSIBLE, CC_UP_CHECKSUM, CC_SOURCE_FILE,
	CC_LOCK_TIMEOUT, CC_REGISTERED, CC_STATE, CC_METHOD, CC_CHECKSUM,
	CC_APPLIED_AT, CC_STATEMENTS_DONE, CC_NCOLUMNS
};

/* Fill one node and its revision from a row of the catalog query. */
static void
read_node(PgmigNode *node, HeapTuple tup, TupleDesc desc, MigCatalog *cat)
{
	MigRevision *rev = palloc0(sizeof(MigRevision));
	Datum		v[CC_NCOLUMNS];
	bool		n[CC_NCOLUMNS];

	Assert(desc->natts == CC_NCOLUMNS);
	/* one pass over the row: its columns are of variable length */
	heap_deform_tuple(tup, desc, v, n);
	node->id = datum_text(v[CC_ID], n[CC_ID]);
	node->sortkey = datum_text(v[CC_SORTKEY], n[CC_SORTKEY]);
	if (node->sortkey == NULL)
		node->sortkey = pgmig_sortkey(node->id);
	if (node->sortkey == NULL)
		node->sortkey = pstrdup("0");
	rev->description = datum_text(v[CC_DESCRIPTION], n[CC_DESCRIPTION]);
	if (rev->description == NULL)
		rev->description = pstrdup("");
	node->parent_ids = datum_text_array(v[CC_PARENTS], n[CC_PARENTS], &node->nparents);
	node->parents_explicit = !n[CC_PARENTS];
	node->labels = datum_text_array(v[CC_LABELS], n[CC_LABELS], &node->nlabels);
	rev->transactional = n[CC_TRANSACTIONAL] ? true : DatumGetBool(v[CC_TRANSACTIONAL]);
	rev->reversible = !n[CC_REVERSIBLE] && DatumGetBool(v[CC_REVERSIBLE]);
	rev->up_checksum = datum_text(v[CC_UP_CHECKSUM], n[CC_UP_CHECKSUM]);
	rev->source_file = datum_text(v[CC_SOURCE_FILE], n[CC_SOURCE_FILE]);
	rev->lock_timeout = datum_text(v[CC_LOCK_TIMEOUT], n[CC_LOCK_TIMEOUT]);
	rev->registered = DatumGetBool(v[CC_REGISTERED]);
	rev->state = datum_text(v[CC_STATE], n[CC_STATE]);
	rev->method = datum_text(v[CC_METHOD], n[CC_METHOD]);
	rev->applied_checksum = datum_text(v[CC_CHECKSUM], n[CC_CHECKSUM]);
	rev->applied_at = n[CC_APPLIED_AT] ? 0 : DatumGetTimestampTz(v[CC_APPLIED_AT]);
	rev->statements_done = n[CC_STATEMENTS_DONE] ? 0 : DatumGetInt32(v[CC_STATEMENTS_DONE]);

	node->applied = pgmig_state_applied(rev->state);
	node->partial = pgmig_state_partial(rev->state);
	node->data = rev;
	if (rev->registered)
		cat->nregistered++;
}

/* The catalog query's columns (CC_*); the FROM clause follows. */
#define CATALOG_COLUMNS \
	"SELECT coalesce(r.id, m.id), r.sortkey," \
	" coalesce(r.description, m.description), r.parents," \
	" r.labels, r.transactional, r.down_checksum IS NOT NULL," \
	" r.up_checksum, r.source_file, r.lock_timeout," \
	" r.id IS NOT NULL, m.state, m.method, m.checksum," \
	" m.applied_at, m.statements_done"

/* Nodes being read. */
typedef struct NodeArray
{
	PgmigNode  *nodes;
	int			n;
	int			max;
} NodeArray;

/*
 * Append the rows of a portal to "a" as nodes, a batch at a time, so that
 * the tuple table never holds the whole catalog besides the nodes made
 * from it; close the portal.
 */
static void
read_portal(Portal portal, NodeArray *a, MigCatalog *cat)
{
	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, CATALOG_FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		if (a->n + (int) SPI_processed > a->max)
		{
			int			newmax = Max(a->max * 2, a->n + (int) SPI_processed);

			a->nodes = a->nodes == NULL ? palloc(newmax * sizeof(PgmigNode)) :
				repalloc(a->nodes, newmax * sizeof(PgmigNode));
			memset(a->nodes + a->max, 0, (newmax - a->max) * sizeof(PgmigNode));
			a->max = newmax;
		}
		for (i = 0; i < SPI_processed; i++)
			read_node(&a->nodes[a->n++], SPI_tuptable->vals[i],
					  SPI_tuptable->tupdesc, cat);
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_freetuptable(SPI_tuptable);
	SPI_cursor_close(portal);
}

/* Build the graph of the nodes read; an error in it is reported. */
static MigCatalog *
build(MigCatalog *cat, NodeArray *a)
{
	PgmigError	err;

	if (!pgmig_graph_build(&cat->graph, a->nodes, a->n, &err))
		mig_report(&err);
	return cat;
}

/*
 * Load every registered and applied revision and build the graph.  Reads
 * are not read-only SPI calls: they must see what this call just wrote.
 */
MigCatalog *
mig_load_catalog(void)
{
	static SPIPlanPtr plan = NULL;
	MigCatalog *cat = palloc0(sizeof(MigCatalog));
	NodeArray	a = {NULL, 0, 0};

	read_portal(SPI_cursor_open(NULL,
								mig_kept_plan(&plan,
											  CATALOG_COLUMNS
											  " FROM pgmig.revisions r"
											  " FULL JOIN pgmig.schema_migrations m ON m.id = r.id",
											  0, NULL, 0),
								NULL, NULL, false),
				&a, cat);
	return build(cat, &a);
}

/* Is "id" one of the elements of text[] datum "arr"? */
static bool
array_has(Datum arr, const char *id)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n,
				i;

	deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (!nulls[i] && strcmp(TextDatumGetCString(elems[i]), id) == 0)
			return true;
	return false;
}

/*
 * Read the edge of the settled part (see pgmig.status_cache) after the
 * nrecent revisions that follow it in "a": its last revision, its frontier
 * and the settled parents of the recent ones, as roots, applied and
 * complete.  False if one of them is not what the settled part must be.
 */
static bool
read_settled_edge(MigSettled *s, NodeArray *a, MigCatalog *cat)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[2] = {TEXTARRAYOID, TEXTOID};
	Datum		args[2];
	Datum	   *ids;
	int			nrecent = a->n;
	int			nids = 0;
	int			maxids = 16;
	int			nfrontier;
	int			i,
				j,
				nfound = 0;

	ids = palloc(maxids * sizeof(Datum));
	ids[nids++] = CStringGetTextDatum(s->last);
	for (i = 0; i < nrecent; i++)
		for (j = 0; j < a->nodes[i].nparents; j++)
		{
			if (nids == maxids)
				ids = repalloc(ids, (maxids *= 2) * sizeof(Datum));
			ids[nids++] = CStringGetTextDatum(a->nodes[i].parent_ids[j]);
		}
	args[0] = PointerGetDatum(construct_array(ids, nids, TEXTOID, -1, false, TYPALIGN_INT));
	args[1] = CStringGetTextDatum(s->sortkey);
	read_portal(SPI_cursor_open(NULL,
								mig_kept_plan(&plan,
											  CATALOG_COLUMNS
											  " FROM pgmig.revisions r"
											  " LEFT JOIN pgmig.schema_migrations m ON m.id = r.id"
											  " WHERE r.id = ANY ($1 || (SELECT c.settled_frontier FROM pgmig.status_cache c))"
											  " AND (pg_catalog.length(r.sortkey), r.sortkey COLLATE \"C\")"
											  " <= (pg_catalog.length($2), $2 COLLATE \"C\")",
											  2, argtypes, CURSOR_OPT_CUSTOM_PLAN),
								args, NULL, false),
				a, cat);

	nfrontier = ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(s->frontier)),
							   ARR_DIMS(DatumGetArrayTypeP(s->frontier)));
	for (i = nrecent; i < a->n; i++)
	{
		PgmigNode  *node = &a->nodes[i];
		MigRevision *rev = (MigRevision *) node->data;
		bool		in_frontier = array_has(s->frontier, node->id);

		if (rev->state == NULL || strcmp(rev->state, PGMIG_STATE_COMPLETE) != 0 ||
			mig_rev_changed(rev))
			return false;
		if (in_frontier || strcmp(node->id, s->last) == 0)
			nfound++;
		node->parents_explicit = true;
		node->nparents = 0;
		node->hidden_child = !in_frontier;
		rev->settled = true;
	}
	return nfound == nfrontier + (array_has(s->frontier, s->last) ? 0 : 1);
}

/*
 * Load the revisions that follow the settled part of the catalog, and the
 * edge of that part, and build their graph: what plans an upgrade and the
 * status line need, without reading the whole history.  The settled part
 * is applied and stays as it is (pgmig--0.2.0--0.3.0.sql); the loaded graph
 * has the same heads, current revisions, pending ones and warnings as the
 * whole one, and its upgrades run the same steps.  Without a settled part,
 * or when its edge is not as recorded, this is mig_load_catalog().
 */
MigCatalog *
mig_load_recent_catalog(void)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	MigSettled	s;
	MigCatalog *cat;
	NodeArray	a = {NULL, 0, 0};

	if (!mig_read_settled(&s))
		return mig_load_catalog();
	cat = palloc0(sizeof(MigCatalog));
	args[0] = CStringGetTextDatum(s.sortkey);
	read_portal(SPI_cursor_open(NULL,
								mig_kept_plan(&plan,
											  CATALOG_COLUMNS
											  " FROM pgmig.revisions r"
											  " LEFT JOIN pgmig.schema_migrations m ON m.id = r.id"
											  " WHERE (pg_catalog.length(r.sortkey), r.sortkey COLLATE \"C\")"
											  " > (pg_catalog.length($1), $1 COLLATE \"C\")",
											  1, argtypes, CURSOR_OPT_CUSTOM_PLAN),
								args, NULL, false),
				&a, cat);
	if (!read_settled_edge(&s, &a, cat))
		return mig_load_catalog();
	cat->recent = true;
	cat = build(cat, &a);
	if (pgmig_check_catalog &&
		strcmp(mig_status_line(cat), mig_status_line(mig_load_catalog())) != 0)
		elog(ERROR, "pgmig.check_catalog: the status line of the recent revisions differs from the whole catalog's: \"%s\", \"%s\"",
			 mig_status_line(cat), mig_status_line(mig_load_catalog()));
	return cat;
}

/* Can an upgrade to "target" be planned from the recent revisions? */
static bool
recent_target(const char *target)
{
	return target == NULL || strcmp(target, "head") == 0 ||
		strcmp(target, "heads") == 0 || target[0] == '+';
}

/* The step ids of a plan to "target", or its error, for pgmig.check_catalog. */
static char *
plan_text(MigCatalog *cat, const char *target, bool revert)
{
	PgmigPlan	plan;
	PgmigError	err;
	StringInfoData buf;
	int			i;

	memset(&err, 0, sizeof(err));
	if (!pgmig_graph_plan(&cat->graph, target, revert, &plan, &err))
		return psprintf("error: %s %s", err.message, err.detail ? err.detail : "");
	initStringInfo(&buf);
	for (i = 0; i < plan.nsteps; i++)
		appendStringInfo(&buf, "%s ", cat->graph.nodes[plan.steps[i]].id);
	return buf.data;
}

/*
 * The catalog to plan an upgrade or a downgrade to "target" from: the
 * recent revisions for an upgrade to the heads, the whole catalog else.
 */
MigCatalog *
mig_load_catalog_for(const char *target, bool revert)
{
	MigCatalog *cat;

	if (revert || !recent_target(target))
		return mig_load_catalog();
	cat = mig_load_recent_catalog();
	if (pgmig_check_catalog && cat->recent)
	{
		char	   *recent = plan_text(cat, target, revert);
		char	   *whole = plan_text(mig_load_catalog(), target, revert);

		if (strcmp(recent, whole) != 0)
			elog(ERROR, "pgmig.check_catalog: the plan to %s from the recent revisions differs from the whole catalog's: \"%s\", \"%s\"",
				 target ? target : "head", recent, whole);
	}
	return cat;
}

/* Fetch a revision's up (or down) script and the file line it starts on. */
char *
mig_fetch_script(const char *revision, bool revert, int *first_line)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	SPIPlanPtr	plan;
	char	   *text;
	bool		isnull;
	int			ret;

	if (revert)
		plan = mig_kept_plan(&plan_fetch_down,
						 "SELECT down_script, down_line FROM pgmig.revisions WHERE id = $1",
						 1, argtypes, 0);
	else
		plan = mig_kept_plan(&plan_fetch_up,
						 "SELECT up_script, up_line FROM pgmig.revisions WHERE id = $1",
						 1, argtypes, 0);
	values[0] = CStringGetTextDatum(revision);
	ret = SPI_execute_plan(plan, values, NULL, false, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read script of revision %s", revision);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no script registered for revision %s", revision),
				 errhint("Register its file with pgmig or mig_register().")));
	text = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("revision %s is irreversible", revision),
				 errdetail("Its file has no \"-- migrate:down\" section.")));
	*first_line = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 2, &isnull));
	if (isnull)
		*first_line = 1;
	SPI_freetuptable(SPI_tuptable);
	return text;
}

/* Append an event to the audit log. */
void
mig_log_event(const char *action, const char *revision, Interval *duration,
			  bool success, const char *sqlstate, const char *message)
{
	Oid			argtypes[6] = {TEXTOID, TEXTOID, INTERVALOID, BOOLOID, TEXTOID, TEXTOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	SPIPlanPtr	plan;

	plan = mig_kept_plan(&plan_insert_event,
					 "INSERT INTO pgmig.events"
					 " (action, revision, duration, success, sqlstate, message)"
					 " VALUES ($1, $2, $3, $4, $5, $6)",
					 6, argtypes, 0);
	values[0] = CStringGetTextDatum(action);
	if (revision)
		values[1] = CStringGetTextDatum(revision);
	else
		nulls[1] = 'n';
	if (duration)
		values[2] = IntervalPGetDatum(duration);
	else
		nulls[2] = 'n';
	values[3] = BoolGetDatum(success);
	if (sqlstate)
		values[4] = CStringGetTextDatum(sqlstate);
	else
		nulls[4] = 'n';
	if (message)
		values[5] = CStringGetTextDatum(message);
	else
		nulls[5] = 'n';
	if (SPI_execute_plan(plan, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write pgmig event");
}

/*
 * Batched bookkeeping for a run in one transaction: what each step did is
 * collected, then written with one statement per table, instead of two
 * executor start-ups (and the catalog's CHECK constraints parsed again)
 * for every revision.
 */
MigBatch *
mig_batch_create(void)
{
	return palloc0(sizeof(MigBatch));
}

/* "arr" (or nothing yet) with room for "cap" Datums. */
static Datum *
grow(Datum *arr, int cap)
{
	return arr ? repalloc(arr, cap * sizeof(Datum)) : palloc(cap * sizeof(Datum));
}

/* Note that a step did "action" (apply, revert, stamp, unstamp) to a revision. */
void
mig_batch_add(MigBatch *b, const char *action, const char *revision,
			  const char *description, const char *checksum,
			  Interval *duration)
{
	Assert(b->n <= b->cap);
	if (b->n == b->cap)
	{
		b->cap = b->cap ? b->cap * 2 : 16;
		b->actions = grow(b->actions, b->cap);
		b->ids = grow(b->ids, b->cap);
		b->descriptions = grow(b->descriptions, b->cap);
		b->checksums = grow(b->checksums, b->cap);
		b->durations = grow(b->durations, b->cap);
		b->ats = grow(b->ats, b->cap);
	}
	b->actions[b->n] = CStringGetTextDatum(action);
	b->ids[b->n] = CStringGetTextDatum(revision);
	b->descriptions[b->n] = CStringGetTextDatum(description ? description : "");
	b->checksums[b->n] = checksum ? CStringGetTextDatum(checksum) : (Datum) 0;
	b->durations[b->n] = duration ? IntervalPGetDatum(duration) : (Datum) 0;
	b->ats[b->n] = TimestampTzGetDatum(GetCurrentTimestamp());
	b->n++;
}

/* An array Datum of the first n of "elems", NULL where 0 (not timestamps). */
static Datum
batch_array(Datum *elems, int n, Oid type)
{
	bool	   *nulls = palloc(n * sizeof(bool));
	int			i;

	for (i = 0; i < n; i++)
		nulls[i] = (type != TIMESTAMPTZOID && elems[i] == (Datum) 0);
	return mig_array(elems, nulls, n, type);
}

/* The elements of "arr" at the positions "idx". */
static Datum *
gather(Datum *arr, int *idx, int n)
{
	Datum	   *result = palloc(n * sizeof(Datum));
	int			i;

	for (i = 0; i < n; i++)
		result[i] = arr[idx[i]];
	return result;
}

/*
 * Record the "n" revisions of the batch that went up (applied or stamped,
 * "method"): entries (at the positions "idx") in pgmig.schema_migrations.
 */
static void
flush_up(MigBatch *b, int *idx, int n, const char *method)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[6] = {TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
	TIMESTAMPTZARRAYOID, INTERVALARRAYOID, TEXTOID};
	Datum		args[6];

	mig_kept_plan(&plan,
				  "INSERT INTO pgmig.schema_migrations AS m"
				  " (id, description, checksum, applied_at, duration, method)"
				  " SELECT u.id, u.description, u.checksum, u.at, u.duration, $6"
				  " FROM unnest($1, $2, $3, $4, $5)"
				  "   AS u(id, description, checksum, at, duration)"
				  " ON CONFLICT (id) DO UPDATE SET description = excluded.description,"
				  " checksum = excluded.checksum, applied_at = excluded.applied_at,"
				  " applied_by = excluded.applied_by, duration = excluded.duration,"
				  " method = excluded.method, state = 'complete', statements_done = NULL"
				  " WHERE m.state <> 'complete'",
				  6, argtypes, 0);
	args[0] = batch_array(gather(b->ids, idx, n), n, TEXTOID);
	args[1] = batch_array(gather(b->descriptions, idx, n), n, TEXTOID);
	args[2] = batch_array(gather(b->checksums, idx, n), n, TEXTOID);
	args[3] = batch_array(gather(b->ats, idx, n), n, TIMESTAMPTZOID);
	args[4] = batch_array(gather(b->durations, idx, n), n, INTERVALOID);
	args[5] = CStringGetTextDatum(method);
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record applied revisions");
	if (SPI_processed != (uint64) n)
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("a revision of this run is already applied"),
				 errdetail("Another session applied it concurrently."),
				 errhint("Run mig_apply() in a READ COMMITTED transaction.")));
}

/* Forget the "n" revisions of the batch that went down. */
static void
flush_down(MigBatch *b, int *idx, int n)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		args[1];

	mig_kept_plan(&plan, "DELETE FROM pgmig.schema_migrations WHERE id = ANY ($1)",
				  1, argtypes, 0);
	args[0] = batch_array(gather(b->ids, idx, n), n, TEXTOID);
	if (SPI_execute_plan(plan, args, NULL, false, 0) != SPI_OK_DELETE)
		elog(ERROR, "could not record reverted revisions");
	if (SPI_processed != (uint64) n)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a revision of this run is not applied"),
				 errdetail("Another session reverted it concurrently.")));
}

/* One event for each step of the batch, in their order. */
static void
flush_events(MigBatch *b)
{
	static SPIPlanPtr plan = NULL;
	Oid			argtypes[5] = {TEXTARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID,
	INTERVALARRAYOID, TEXTOID};
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};

	mig_kept_plan(&plan,
				  "INSERT INTO pgmig.events (action, revision, at, duration, message)"
				  " SELECT u.action, u.revision, u.at, u.duration, $5"
				  " FROM unnest($1, $2, $3, $4) WITH ORDINALITY"
				  "   AS u(action, revision, at, duration, n)"
				  " ORDER BY u.n",
				  5, argtypes, 0);
	args[0] = batch_array(b->actions, b->n, TEXTOID);
	args[1] = batch_array(b->ids, b->n, TEXTOID);
	args[2] = batch_array(b->ats, b->n, TIMESTAMPTZOID);
	args[3] = batch_array(b->durations, b->n, INTERVALOID);
	if (b->message)
		args[4] = CStringGetTextDatum(b->message);
	else
		nulls[4] = 'n';
	if (SPI_execute_plan(plan, args, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not write pgmig events");
}

/*
 * Write what the batch holds: applied revisions recorded ("method"
 * applied or stamped), reverted ones forgotten, and one event each.  A
 * revision that another session applied or reverted behind our back is an
 * error (it cannot happen under the pgmig lock; it is checked anyway).
 */
void
mig_batch_flush(MigBatch *b, const char *method)
{
	int		   *up = palloc(b->n * sizeof(int));
	int		   *down = palloc(b->n * sizeof(int));
	int			nup = 0,
				ndown = 0;
	int			i;

	if (b->n == 0)
		return;
	for (i = 0; i < b->n; i++)
	{
		char	   *action = TextDatumGetCString(b->actions[i]);

		if (strcmp(action, "apply") == 0 || strcmp(action, "stamp") == 0 ||
			strcmp(action, "import") == 0)
			up[nup++] = i;
		else
			down[ndown++] = i;
	}
	if (nup > 0)
		flush_up(b, up, nup, method);
	if (ndown > 0)
		flush_down(b, down, ndown);
	flush_events(b);
	b->n = 0;
}

/*
 * Note that a run starts (pgmig.run_begin), for a caller that commits as
 * it goes; the runs found interrupted, now in the audit log, are warned
 * of.  Nothing before 0.3.0.
 */
void
mig_note_run_start(const char *action, const char *target)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	uint64		i;

	if (!mig_catalog_has("runs"))
		return;
	values[0] = CStringGetTextDatum(action);
	if (target)
		values[1] = CStringGetTextDatum(target);
	else
		nulls[1] = 'n';
	if (SPI_execute_with_args("SELECT m FROM pgmig.run_begin($1, $2) m", 2,
							  argtypes, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not note the run");
	for (i = 0; i < SPI_processed; i++)
		ereport(WARNING,
				(errcode(ERRCODE_WARNING),
				 errmsg("%s", SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1))));
	SPI_freetuptable(SPI_tuptable);
}

/* The run of this session ended (pgmig.run_end). */
void
mig_note_run_end(void)
{
	if (!mig_catalog_has("runs"))
		return;
	if (SPI_execute("SELECT pgmig.run_end()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not note the end of the run");
}
