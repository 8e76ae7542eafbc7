/*-------------------------------------------------------------------------
 *
 * pgmig_diff.c
 *	  Autogenerate's differ: from two descriptions of a schema, the plan of
 *	  what happens to each object and the order of the statements.
 *
 * First every object is classified (same, added, dropped, altered in
 * place, or dropped and created again: pgmig_diff_ddl.c knows which
 * changes each kind allows in place).  Then what a change drags along is
 * found in the "from" description's dependencies (pgmig_diff_propagate.c).
 * Last, the statements are ordered as a graph of nodes and written
 * (pgmig_diff_order.c, see pgmig_diff_int.h).  Here are the entry points,
 * the items of both descriptions and what the other files ask of them,
 * the classification, and the comparison of two descriptions.
 *
 * Compiled into the server module and, with -DFRONTEND, into the client:
 * every function frees its scratch memory; the steps belong to the caller.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include "pgmig_diff.h"
#include "pgmig_diff_int.h"

/* qsort comparator: objects by id. */
static int
obj_ptr_cmp(const void *a, const void *b)
{
	return strcmp((*(const PgmigObject *const *) a)->id,
				  (*(const PgmigObject *const *) b)->id);
}

/* The value of attribute "key" of an object, or NULL. */
const char *
pgmig_object_attr(const PgmigObject *obj, const char *key)
{
	int			i;

	if (obj == NULL)
		return NULL;
	for (i = 0; i < obj->nattrs; i++)
		if (strcmp(obj->attr_keys[i], key) == 0)
			return obj->attr_values[i];
	return NULL;
}

/* Does attribute "key" of obj have the value "value"? */
bool
diff_attr_is(const PgmigObject *obj, const char *key, const char *value)
{
	const char *v = pgmig_object_attr(obj, key);

	return v != NULL && strcmp(v, value) == 0;
}

/* Two strings, either of them NULL, equal? */
static bool
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Does attribute "key" differ between an item's two sides? */
bool
diff_attr_changed(const DiffItem *item, const char *key)
{
	return !str_eq(pgmig_object_attr(item->a, key),
				   pgmig_object_attr(item->b, key));
}

/* Is "key" one of the NULL-terminated "keys"? */
static bool
key_in(const char *key, const char *const *keys)
{
	for (; keys && *keys; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}

/*
 * Does an item's attribute other than "position" and those in "keys" (NULL
 * terminated, or NULL) differ between its two sides?
 */
bool
diff_changed_except(const DiffItem *item, const char *const *keys)
{
	const PgmigObject *sides[2] = {item->a, item->b};
	int			s;

	for (s = 0; s < 2; s++)
	{
		const PgmigObject *o = sides[s];
		int			i;

		for (i = 0; i < o->nattrs; i++)
		{
			const char *key = o->attr_keys[i];

			if (strcmp(key, "position") == 0 || key_in(key, keys))
				continue;
			if (diff_attr_changed(item, key))
				return true;
		}
	}
	return false;
}

/* Equal objects: the same kind, attributes (but "position") and create_sql. */
static bool
objects_equal(const PgmigObject *a, const PgmigObject *b)
{
	DiffItem	item;

	if (strcmp(a->kind, b->kind) != 0 || !str_eq(a->create_sql, b->create_sql))
		return false;
	memset(&item, 0, sizeof(item));
	item.a = a;
	item.b = b;
	return !diff_changed_except(&item, NULL);
}

/* The item with this id, or -1. */
int
diff_find(const DiffCtx *ctx, const char *id)
{
	int			lo = 0;
	int			hi = ctx->nitems - 1;

	if (id == NULL)
		return -1;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;
		int			c = strcmp(ctx->items[mid].id, id);

		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* Does this kind name a type that columns can have? */
bool
diff_is_type_kind(const char *kind)
{
	return strcmp(kind, PGMIG_KIND_ENUM) == 0 ||
		strcmp(kind, PGMIG_KIND_DOMAIN) == 0 ||
		strcmp(kind, PGMIG_KIND_COMPOSITE) == 0 ||
		strcmp(kind, PGMIG_KIND_RANGE) == 0;
}

/* Is the kind of this item "kind"? */
bool
diff_item_is_kind(const DiffItem *item, const char *kind)
{
	return strcmp(diff_obj(item)->kind, kind) == 0;
}

/* Does the item go away in "from" (dropped, or dropped to be re-created)? */
bool
diff_goes(const DiffItem *item)
{
	return item->state == DIFF_DROPPED || item->state == DIFF_REPLACED;
}

/* A description's objects sorted by id; false if an id appears twice. */
static bool
sorted_objects(const PgmigSchema *s, const PgmigObject ***out, PgmigError *err)
{
	const PgmigObject **v = palloc(sizeof(PgmigObject *) * (s->n + 1));
	int			i;

	for (i = 0; i < s->n; i++)
		v[i] = &s->objects[i];
	qsort(v, s->n, sizeof(PgmigObject *), obj_ptr_cmp);
	for (i = 1; i < s->n; i++)
		if (strcmp(v[i - 1]->id, v[i]->id) == 0)
		{
			pgmig_set_error(err, PGMIG_ERR_DIFF,
							"A description must name each object once.", NULL,
							"object \"%s\" is described twice", v[i]->id);
			pfree(v);
			return false;
		}
	*out = v;
	return true;
}

/* One item per id of either description, sorted by id. */
static bool
build_items(DiffCtx *ctx, const PgmigSchema *from, const PgmigSchema *to)
{
	const PgmigObject **a;
	const PgmigObject **b;
	int			i = 0,
				j = 0,
				n = 0;

	if (!sorted_objects(from, &a, ctx->err))
		return false;
	if (!sorted_objects(to, &b, ctx->err))
	{
		pfree(a);
		return false;
	}
	ctx->items = palloc0(sizeof(DiffItem) * (from->n + to->n + 1));
	while (i < from->n || j < to->n)
	{
		DiffItem   *item = &ctx->items[n++];
		int			c;

		if (i >= from->n)
			c = 1;
		else if (j >= to->n)
			c = -1;
		else
			c = strcmp(a[i]->id, b[j]->id);
		item->a = c <= 0 ? a[i++] : NULL;
		item->b = c >= 0 ? b[j++] : NULL;
		item->id = diff_obj(item)->id;
		item->drop_via = item->fold_into = item->why = -1;
		memset(item->node, -1, sizeof(item->node));
	}
	ctx->nitems = n;
	pfree(a);
	pfree(b);
	return true;
}

/* What happens to each object, before what changes drag along. */
static bool
classify(DiffCtx *ctx)
{
	int			i;

	for (i = 0; i < ctx->nitems; i++)
	{
		DiffItem   *item = &ctx->items[i];

		item->inherited = diff_attr_is(diff_obj(item), "inherited", "t");
		if (item->b == NULL)
			item->state = DIFF_DROPPED;
		else if (item->a == NULL)
			item->state = DIFF_ADDED;
		else if (objects_equal(item->a, item->b))
			item->state = DIFF_SAME;
		else if (!diff_strategy(ctx, item))
			return false;
	}
	return true;
}

/* Free the scratch of a diff (not its steps). */
static void
free_ctx(DiffCtx *ctx)
{
	if (ctx->items)
		pfree(ctx->items);
	if (ctx->dep_start)
		pfree(ctx->dep_start);
	if (ctx->dep_list)
		pfree(ctx->dep_list);
	if (ctx->kid_start)
		pfree(ctx->kid_start);
	if (ctx->kid_list)
		pfree(ctx->kid_list);
}

/*
 * The statements that take a database described by "from" to what "to"
 * describes (see pgmig_diff.h).
 */
bool
pgmig_diff(const PgmigSchema *from, const PgmigSchema *to,
		   const PgmigDiffOptions *options, PgmigDiff *diff, PgmigError *err)
{
	DiffCtx		ctx;
	DiffGraph	g;
	bool		ok;

	memset(diff, 0, sizeof(PgmigDiff));
	memset(&ctx, 0, sizeof(ctx));
	memset(&g, 0, sizeof(g));
	ctx.options = options;
	ctx.err = err;
	ok = build_items(&ctx, from, to);
	if (ok)
	{
		diff_build_index(&ctx);
		ok = classify(&ctx) && diff_propagate(&ctx);
	}
	if (ok)
	{
		diff_fold_new_tables(&ctx);
		diff_make_nodes(&ctx, &g);
		diff_make_edges(&ctx, &g);
		ok = diff_order_and_emit(&ctx, &g);
	}
	if (ok)
	{
		if (options->concurrently)
			diff_online_last(&ctx);
		diff_offer_renames(&ctx);
	}
	diff->nsteps = ctx.nsteps;
	diff->steps = ctx.steps;
	diff->nrenames = ctx.nrenames;
	diff->renames = ctx.renames;
	if (!ok)
		pgmig_diff_free(diff);
	diff_free_graph(&g);
	free_ctx(&ctx);
	return ok;
}

/* Free what a diff holds. */
void
pgmig_diff_free(PgmigDiff *diff)
{
	int			k;

	for (k = 0; k < diff->nsteps; k++)
	{
		pfree(diff->steps[k].sql);
		if (diff->steps[k].summary)
			pfree(diff->steps[k].summary);
		if (diff->steps[k].revert_sql)
			pfree(diff->steps[k].revert_sql);
	}
	if (diff->steps)
		pfree(diff->steps);
	for (k = 0; k < diff->nrenames; k++)
		pfree(diff->renames[k]);
	if (diff->renames)
		pfree(diff->renames);
	memset(diff, 0, sizeof(PgmigDiff));
}

/* The first attribute that differs between two objects, for a message. */
static const char *
first_difference(const PgmigObject *a, const PgmigObject *b)
{
	DiffItem	item;
	const PgmigObject *sides[2] = {a, b};
	int			s,
				i;

	if (!str_eq(a->create_sql, b->create_sql))
		return "definition";
	memset(&item, 0, sizeof(item));
	item.a = a;
	item.b = b;
	for (s = 0; s < 2; s++)
		for (i = 0; i < sides[s]->nattrs; i++)
			if (strcmp(sides[s]->attr_keys[i], "position") != 0 &&
				diff_attr_changed(&item, sides[s]->attr_keys[i]))
				return sides[s]->attr_keys[i];
	return "kind";
}

/*
 * Compare two descriptions, "a" the expected one: returns how many objects
 * differ, and lists up to "max" of them in *diffs.
 */
int
pgmig_schema_equal(const PgmigSchema *a, const PgmigSchema *b,
				   char ***diffs, int max)
{
	DiffCtx		ctx;
	PgmigError	err;
	int			count = 0,
				shown = 0,
				i;

	memset(&ctx, 0, sizeof(ctx));
	memset(&err, 0, sizeof(err));
	if (diffs)
		*diffs = palloc0(sizeof(char *) * (max + 1));
	if (!build_items(&ctx, a, b))
	{
		if (diffs && max > 0)
			(*diffs)[shown++] = pstrdup(err.message);
		pgmig_error_free(&err);
		return 1;
	}
	for (i = 0; i < ctx.nitems; i++)
	{
		const DiffItem *item = &ctx.items[i];
		char	   *line;

		if (item->a && item->b && objects_equal(item->a, item->b))
			continue;
		count++;
		if (diffs == NULL || shown >= max)
			continue;
		if (item->b == NULL)
			line = psprintf("missing %s", item->id);
		else if (item->a == NULL)
			line = psprintf("unexpected %s", item->id);
		else
			line = psprintf("different %s (%s)", item->id,
							first_difference(item->a, item->b));
		(*diffs)[shown++] = line;
	}
	free_ctx(&ctx);
	return count;
}
