/*-------------------------------------------------------------------------
 *
 * pgmig_diff_propagate.c
 *	  Autogenerate's differ: what a change drags along.
 *
 * Found in the "from" description's dependencies: the columns and indexes
 * of a dropped table go with it, a view over a column whose type changes
 * is dropped and created again, a default that calls a function being
 * replaced is dropped first and set again, a sequence whose owning column
 * goes away lets go of it first.  An index of "from" says, for each item,
 * what depends on it and what goes away with it.
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

/* The item whose drop takes this one along in "from", or -1. */
static int
goes_with(const DiffCtx *ctx, const DiffItem *item)
{
	const PgmigObject *a = item->a;

	if (a == NULL)
		return -1;
	if (strcmp(a->kind, PGMIG_KIND_SEQUENCE) == 0)
		return diff_find(ctx, pgmig_object_attr(a, "owned_by"));
	if (strcmp(a->kind, PGMIG_KIND_TABLE) == 0)
		return diff_find(ctx, pgmig_object_attr(a, "partition_of"));
	return diff_find(ctx, a->parent);
}

/* Compressed lists: for each i, the j with key(j) == i. */
static void
build_lists(int n, int npairs, const int *keys, const int *vals,
			int **start, int **list)
{
	int		   *st = palloc0(sizeof(int) * (n + 1));
	int		   *ls = palloc(sizeof(int) * (npairs + 1));
	int		   *fill = palloc(sizeof(int) * (n + 1));
	int			k;

	for (k = 0; k < npairs; k++)
		st[keys[k] + 1]++;
	for (k = 0; k < n; k++)
		st[k + 1] += st[k];
	memcpy(fill, st, sizeof(int) * (n + 1));
	for (k = 0; k < npairs; k++)
		ls[fill[keys[k]]++] = vals[k];
	pfree(fill);
	*start = st;
	*list = ls;
}

/* In "from": what depends on each item, and what goes away with it. */
void
diff_build_index(DiffCtx *ctx)
{
	int			cap = 16;
	int			nd = 0,
				nk = 0;
	int		   *dk = palloc(sizeof(int) * cap);
	int		   *dv = palloc(sizeof(int) * cap);
	int		   *kk = palloc(sizeof(int) * (ctx->nitems + 1));
	int		   *kv = palloc(sizeof(int) * (ctx->nitems + 1));
	int			i;

	for (i = 0; i < ctx->nitems; i++)
	{
		const PgmigObject *a = ctx->items[i].a;
		int			d,
					owner;

		if (a == NULL)
			continue;
		for (d = 0; d < a->ndeps; d++)
		{
			int			j = diff_find(ctx, a->deps[d]);

			if (j < 0 || j == i || ctx->items[j].a == NULL)
				continue;
			if (nd == cap)
			{
				cap *= 2;
				dk = repalloc(dk, sizeof(int) * cap);
				dv = repalloc(dv, sizeof(int) * cap);
			}
			dk[nd] = j;
			dv[nd++] = i;
		}
		owner = goes_with(ctx, &ctx->items[i]);
		if (owner >= 0 && owner != i)
		{
			kk[nk] = owner;
			kv[nk++] = i;
		}
	}
	build_lists(ctx->nitems, nd, dk, dv, &ctx->dep_start, &ctx->dep_list);
	build_lists(ctx->nitems, nk, kk, kv, &ctx->kid_start, &ctx->kid_list);
	pfree(dk);
	pfree(dv);
	pfree(kk);
	pfree(kv);
}

/* Mark an item to be dropped and created again, because of "cause". */
static void
replace(DiffCtx *ctx, int i, int cause, int *stack, int *top)
{
	DiffItem   *item = &ctx->items[i];

	if (item->state == DIFF_ADDED || item->state == DIFF_DROPPED ||
		item->state == DIFF_REPLACED)
		return;
	item->state = DIFF_REPLACED;
	item->why = cause;
	if (!item->queued)
	{
		item->queued = true;
		stack[(*top)++] = i;
	}
}

/*
 * Does a constraint that would go along with its table x use another object
 * that goes too (a foreign key to another table dropped)?  Then it is
 * dropped first, on its own: two tables that refer to each other could not
 * be dropped otherwise.
 */
static bool
uses_other_going(const DiffCtx *ctx, int i, int x)
{
	const PgmigObject *a = ctx->items[i].a;
	int			d;

	if (!diff_attr_is(a, "type", "f"))
		return false;
	for (d = 0; d < a->ndeps; d++)
	{
		int			y = diff_find(ctx, a->deps[d]);

		if (y >= 0 && y != x && y != i && diff_goes(&ctx->items[y]) &&
			goes_with(ctx, &ctx->items[y]) != x)
			return true;
	}
	return false;
}

/* The objects that go with item x (its columns, its owned sequences, ...). */
static void
drag_kids(DiffCtx *ctx, int x, int *stack, int *top)
{
	int			k;

	for (k = ctx->kid_start[x]; k < ctx->kid_start[x + 1]; k++)
	{
		int			i = ctx->kid_list[k];
		DiffItem   *kid = &ctx->items[i];

		if (diff_item_is_kind(kid, PGMIG_KIND_SEQUENCE) && kid->b != NULL)
		{
			/* a sequence that stays lets go of its owner first */
			kid->release_owner = true;
			continue;
		}
		if (diff_item_is_kind(kid, PGMIG_KIND_TABLE) && kid->b != NULL &&
			ctx->items[x].state == DIFF_DROPPED)
			continue;			/* a partition that moves: DETACH first */
		replace(ctx, i, x, stack, top);
		if (!uses_other_going(ctx, i, x))
			kid->drop_via = x;
		if (kid->state == DIFF_DROPPED && !kid->queued)
		{
			kid->queued = true;
			stack[(*top)++] = i;
		}
	}
}

/*
 * An object "d" that depends on "x", which goes away or changes so that its
 * dependents cannot stay: re-create d, or release what it holds on to.
 */
static bool
drag_dependent(DiffCtx *ctx, int x, int d, int *stack, int *top)
{
	DiffItem   *xi = &ctx->items[x];
	DiffItem   *di = &ctx->items[d];

	if (diff_goes(di) || di->drop_via >= 0)
		return true;
	if (diff_item_is_kind(di, PGMIG_KIND_COLUMN))
	{
		if (pgmig_object_attr(di->a, "generated") != NULL)
			replace(ctx, d, x, stack, top);
		else if (diff_item_is_kind(xi, PGMIG_KIND_FUNCTION) ||
				 diff_item_is_kind(xi, PGMIG_KIND_SEQUENCE))
			di->reset_default = true;
		else if (diff_item_is_kind(xi, PGMIG_KIND_ENUM) && xi->rebuild)
		{
			di->retype = di->forces = true;
			if (!di->queued)
			{
				di->queued = true;
				stack[(*top)++] = d;
			}
		}
		else if (diff_is_type_kind(xi->a->kind) && xi->state == DIFF_REPLACED)
		{
			char	   *detail = psprintf("Column %s uses it, and a change to the type would drop the column.",
										  di->id + strlen("column "));

			pgmig_set_error(ctx->err, PGMIG_ERR_DIFF, detail,
							"Change the column to another type first, in a revision of its own.",
							"cannot change %s in place", xi->id);
			pfree(detail);
			return false;
		}
		if (di->state == DIFF_SAME && (di->reset_default || di->retype))
			di->state = DIFF_ALTERED;
		return true;
	}
	if (diff_item_is_kind(di, PGMIG_KIND_TABLE) || diff_item_is_kind(di, PGMIG_KIND_SEQUENCE))
	{
		/* inheritance children follow a parent that is re-created */
		if (diff_item_is_kind(di, PGMIG_KIND_TABLE) && xi->state == DIFF_REPLACED &&
			diff_item_is_kind(xi, PGMIG_KIND_TABLE))
			replace(ctx, d, x, stack, top);
		return true;
	}
	if (diff_is_type_kind(di->a->kind) && !xi->forces && xi->state == DIFF_DROPPED)
		return true;			/* the type changes to another base */
	replace(ctx, d, x, stack, top);
	return true;
}

/* Everything a change drags along: re-created dependents, implicit drops. */
bool
diff_propagate(DiffCtx *ctx)
{
	int		   *stack = palloc(sizeof(int) * (ctx->nitems + 1));
	int			top = 0;
	int			i;
	bool		ok = true;

	for (i = 0; i < ctx->nitems; i++)
	{
		DiffItem   *item = &ctx->items[i];

		if (diff_goes(item) || item->forces)
		{
			item->queued = true;
			stack[top++] = i;
		}
	}
	while (ok && top > 0)
	{
		int			x = stack[--top];
		int			k;

		if (diff_goes(&ctx->items[x]))
			drag_kids(ctx, x, stack, &top);
		for (k = ctx->dep_start[x]; ok && k < ctx->dep_start[x + 1]; k++)
		{
			int			d = ctx->dep_list[k];

			if (ctx->items[d].drop_via == x)
				continue;
			ok = drag_dependent(ctx, x, d, stack, &top);
		}
	}
	pfree(stack);
	return ok;
}
