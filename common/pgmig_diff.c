/*-------------------------------------------------------------------------
 *
 * pgmig_diff.c
 *	  Autogenerate's differ: from two descriptions of a schema, the plan of
 *	  what happens to each object and the order of the statements.
 *
 * First every object is classified (same, added, dropped, altered in
 * place, or dropped and created again: pgmig_diff_ddl.c knows which
 * changes each kind allows in place).  Then what a change drags along is
 * found in the "from" description's dependencies: the columns and indexes
 * of a dropped table go with it, a view over a column whose type changes
 * is dropped and created again, a default that calls a function being
 * replaced is dropped first and set again.  Last, the statements are
 * ordered as a graph of nodes (see pgmig_diff_int.h).
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

#include "lib/stringinfo.h"

#include "pgmig_diff.h"
#include "pgmig_diff_int.h"

/* A graph node: an item's statements of one phase. */
typedef struct DiffNode
{
	int			item;
	DiffPhase	phase;
	int			rank;			/* order of its kind in its phase */
	int			nin;			/* edges into it not yet satisfied */
	int			first;			/* its edges out: succ[first .. first+n) */
	int			nout;
} DiffNode;

/* The graph being ordered. */
typedef struct DiffGraph
{
	int			nnodes;
	DiffNode   *nodes;
	int			nedges;
	int			capedges;
	int		   *from;
	int		   *to;
	int		   *succ;
} DiffGraph;

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
static void
build_index(DiffCtx *ctx)
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

/* Does this kind name a type that columns can have? */
static bool
is_type_kind(const char *kind)
{
	return strcmp(kind, PGMIG_KIND_ENUM) == 0 ||
		strcmp(kind, PGMIG_KIND_DOMAIN) == 0 ||
		strcmp(kind, PGMIG_KIND_COMPOSITE) == 0 ||
		strcmp(kind, PGMIG_KIND_RANGE) == 0;
}

/* Is the kind of this item "kind"? */
static bool
kind_is(const DiffItem *item, const char *kind)
{
	return strcmp(diff_obj(item)->kind, kind) == 0;
}

/* Does the item go away in "from" (dropped, or dropped to be re-created)? */
static bool
goes(const DiffItem *item)
{
	return item->state == DIFF_DROPPED || item->state == DIFF_REPLACED;
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

/* The objects that go with item x (its columns, its owned sequences, ...). */
static void
drag_kids(DiffCtx *ctx, int x, int *stack, int *top)
{
	int			k;

	for (k = ctx->kid_start[x]; k < ctx->kid_start[x + 1]; k++)
	{
		int			i = ctx->kid_list[k];
		DiffItem   *kid = &ctx->items[i];

		if (kind_is(kid, PGMIG_KIND_SEQUENCE) && kid->b != NULL)
		{
			/* a sequence that stays lets go of its owner first */
			kid->release_owner = true;
			continue;
		}
		if (kind_is(kid, PGMIG_KIND_TABLE) && kid->b != NULL &&
			ctx->items[x].state == DIFF_DROPPED)
			continue;			/* a partition that moves: DETACH first */
		replace(ctx, i, x, stack, top);
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

	if (goes(di) || di->drop_via >= 0)
		return true;
	if (kind_is(di, PGMIG_KIND_COLUMN))
	{
		if (pgmig_object_attr(di->a, "generated") != NULL)
			replace(ctx, d, x, stack, top);
		else if (kind_is(xi, PGMIG_KIND_FUNCTION) ||
				 kind_is(xi, PGMIG_KIND_SEQUENCE))
			di->reset_default = true;
		else if (kind_is(xi, PGMIG_KIND_ENUM) && xi->rebuild)
		{
			di->retype = di->forces = true;
			if (!di->queued)
			{
				di->queued = true;
				stack[(*top)++] = d;
			}
		}
		else if (is_type_kind(xi->a->kind) && xi->state == DIFF_REPLACED)
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
	if (kind_is(di, PGMIG_KIND_TABLE) || kind_is(di, PGMIG_KIND_SEQUENCE))
	{
		/* inheritance children follow a parent that is re-created */
		if (kind_is(di, PGMIG_KIND_TABLE) && xi->state == DIFF_REPLACED &&
			kind_is(xi, PGMIG_KIND_TABLE))
			replace(ctx, d, x, stack, top);
		return true;
	}
	if (is_type_kind(di->a->kind) && !xi->forces && xi->state == DIFF_DROPPED)
		return true;			/* the type changes to another base */
	replace(ctx, d, x, stack, top);
	return true;
}

/* Everything a change drags along: re-created dependents, implicit drops. */
static bool
propagate(DiffCtx *ctx)
{
	int		   *stack = palloc(sizeof(int) * (ctx->nitems + 1));
	int			top = 0;
	int			i;
	bool		ok = true;

	for (i = 0; i < ctx->nitems; i++)
	{
		DiffItem   *item = &ctx->items[i];

		if (goes(item) || item->forces)
		{
			item->queued = true;
			stack[top++] = i;
		}
	}
	while (ok && top > 0)
	{
		int			x = stack[--top];
		int			k;

		if (goes(&ctx->items[x]))
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

/* Is a constraint written inside its new table's CREATE TABLE? */
static bool
folds(const PgmigObject *con)
{
	const char *type = pgmig_object_attr(con, "type");
	const char *def = pgmig_object_attr(con, "def");

	return type != NULL && strchr("puc", type[0]) != NULL && def != NULL &&
		strstr(def, "NOT VALID") == NULL;
}

/* The columns and simple constraints of new tables go in CREATE TABLE. */
static void
fold_new_tables(DiffCtx *ctx)
{
	int			i;

	for (i = 0; i < ctx->nitems; i++)
	{
		DiffItem   *item = &ctx->items[i];
		int			p;

		if (item->b == NULL || item->b->parent == NULL || item->inherited ||
			(item->state != DIFF_ADDED && item->state != DIFF_REPLACED))
			continue;
		p = diff_find(ctx, item->b->parent);
		if (p < 0 || !kind_is(&ctx->items[p], PGMIG_KIND_TABLE) ||
			(ctx->items[p].state != DIFF_ADDED &&
			 ctx->items[p].state != DIFF_REPLACED))
			continue;
		if (strcmp(item->b->kind, PGMIG_KIND_COLUMN) == 0 ||
			(strcmp(item->b->kind, PGMIG_KIND_CONSTRAINT) == 0 &&
			 folds(item->b)))
			item->fold_into = p;
	}
}

/* Does a sequence get OWNED BY after its statements? */
static bool
needs_owner_step(const DiffItem *item)
{
	if (!kind_is(item, PGMIG_KIND_SEQUENCE) || item->b == NULL)
		return false;
	if (item->state == DIFF_ADDED || item->state == DIFF_REPLACED)
		return pgmig_object_attr(item->b, "owned_by") != NULL;
	return item->release_owner || diff_attr_changed(item, "owned_by");
}

/* Does a column drop its default before anything else happens? */
static bool
needs_default_drop(const DiffItem *item)
{
	if (!kind_is(item, PGMIG_KIND_COLUMN) || item->state != DIFF_ALTERED ||
		pgmig_object_attr(item->a, "default") == NULL)
		return false;
	return item->reset_default || item->forces ||
		diff_attr_changed(item, "default");
}

/* Add a node for an item's phase. */
static void
add_node(DiffGraph *g, DiffCtx *ctx, int i, DiffPhase phase)
{
	DiffNode   *node = &g->nodes[g->nnodes];
	int			rank = diff_kind_rank(diff_obj(&ctx->items[i])->kind);

	node->item = i;
	node->phase = phase;
	node->rank = phase == PHASE_DROP ? -rank : rank;
	ctx->items[i].node[phase] = g->nnodes++;
}

/* The nodes: which statements each item needs. */
static void
make_nodes(DiffCtx *ctx, DiffGraph *g)
{
	int			i;

	g->nodes = palloc0(sizeof(DiffNode) * (ctx->nitems * PHASE_COUNT + 1));
	for (i = 0; i < ctx->nitems; i++)
	{
		DiffItem   *item = &ctx->items[i];

		if (item->inherited && item->state != DIFF_ALTERED)
			continue;
		if (needs_default_drop(item) ||
			(item->release_owner && item->state != DIFF_DROPPED &&
			 item->state != DIFF_REPLACED))
			add_node(g, ctx, i, PHASE_PRE);
		if (goes(item) && item->drop_via < 0)
			add_node(g, ctx, i, PHASE_DROP);
		if ((item->state == DIFF_ADDED || item->state == DIFF_REPLACED ||
			 item->state == DIFF_ALTERED) && item->fold_into < 0)
			add_node(g, ctx, i, PHASE_MAKE);
		if (needs_owner_step(item) || item->rebuild ||
			(item->node[PHASE_MAKE] >= 0 && diff_validates_later(ctx, item)))
			add_node(g, ctx, i, PHASE_POST);
	}
}

/* The node that makes item i (or the item that makes it), or -1. */
static int
make_of(const DiffCtx *ctx, int i)
{
	if (i < 0)
		return -1;
	if (ctx->items[i].fold_into >= 0)
		return ctx->items[ctx->items[i].fold_into].node[PHASE_MAKE];
	return ctx->items[i].node[PHASE_MAKE];
}

/* The node after which item i's "from" incarnation is gone, or -1. */
static int
release_of(const DiffCtx *ctx, int i)
{
	int			guard = 0;

	while (i >= 0 && guard++ < ctx->nitems)
	{
		const DiffItem *item = &ctx->items[i];

		if (item->node[PHASE_DROP] >= 0)
			return item->node[PHASE_DROP];
		if (item->rebuild)
			return item->node[PHASE_POST];
		if (item->drop_via < 0)
			return -1;
		i = item->drop_via;
	}
	return -1;
}

/* An edge: node "a" runs before node "b". */
static void
add_edge(DiffGraph *g, int a, int b)
{
	if (a < 0 || b < 0 || a == b)
		return;
	if (g->nedges == g->capedges)
	{
		g->capedges = g->capedges ? g->capedges * 2 : 256;
		g->from = g->from ? repalloc(g->from, sizeof(int) * g->capedges) :
			palloc(sizeof(int) * g->capedges);
		g->to = g->to ? repalloc(g->to, sizeof(int) * g->capedges) :
			palloc(sizeof(int) * g->capedges);
	}
	g->from[g->nedges] = a;
	g->to[g->nedges++] = b;
}

/* Edges of a node that makes something: after what it needs in "to". */
static void
edges_for_make(DiffCtx *ctx, DiffGraph *g, int i)
{
	const DiffItem *item = &ctx->items[i];
	int			m = make_of(ctx, i);
	int			d;

	if (item->b == NULL || m < 0)
		return;
	for (d = 0; d < item->b->ndeps; d++)
		add_edge(g, make_of(ctx, diff_find(ctx, item->b->deps[d])), m);
	add_edge(g, make_of(ctx, diff_find(ctx, item->b->parent)), m);
	if (item->state == DIFF_REPLACED)
		add_edge(g, release_of(ctx, i), m);
	add_edge(g, item->node[PHASE_PRE], m);
	add_edge(g, m, item->node[PHASE_POST]);
	if (kind_is(item, PGMIG_KIND_SEQUENCE))
		add_edge(g, make_of(ctx, diff_find(ctx,
										   pgmig_object_attr(item->b, "owned_by"))),
				 item->node[PHASE_POST]);
	if (item->retype)
	{
		int			d2;

		/* a rebuilt enum's old type goes after its columns changed */
		for (d2 = 0; d2 < item->a->ndeps; d2++)
		{
			int			t = diff_find(ctx, item->a->deps[d2]);

			if (t >= 0 && ctx->items[t].rebuild)
				add_edge(g, m, ctx->items[t].node[PHASE_POST]);
		}
	}
}

/* Edges of what goes away, or lets go, in "from". */
static void
edges_for_release(DiffCtx *ctx, DiffGraph *g, int i)
{
	const DiffItem *item = &ctx->items[i];
	int			d;

	if (item->a == NULL)
		return;
	for (d = 0; d < item->a->ndeps; d++)
	{
		int			y = diff_find(ctx, item->a->deps[d]);
		int			r = release_of(ctx, y);

		if (y < 0 || y == i || r < 0)
			continue;
		if (item->node[PHASE_DROP] >= 0)
			add_edge(g, item->node[PHASE_DROP], r);
		else if (item->drop_via < 0)
		{
			/* it stays: let go first (pre), or change (make) */
			add_edge(g, item->node[PHASE_PRE], r);
			if (ctx->items[y].b == NULL || ctx->items[y].rebuild)
				add_edge(g, item->node[PHASE_MAKE], r);
		}
	}
	if (item->release_owner)
		add_edge(g, item->node[PHASE_PRE],
				 release_of(ctx, diff_find(ctx,
										   pgmig_object_attr(item->a, "owned_by"))));
}

/* qsort comparator: (qname, is make) pairs for the name clash edges. */
typedef struct NameRef
{
	const char *qname;
	int			node;
	bool		make;
} NameRef;

static int
nameref_cmp(const void *a, const void *b)
{
	const NameRef *x = a;
	const NameRef *y = b;
	int			c = strcmp(x->qname, y->qname);

	if (c != 0)
		return c;
	return (int) x->make - (int) y->make;
}

/* Is the kind one that takes a name among relations and types? */
static bool
relation_like(const char *kind)
{
	return strcmp(kind, PGMIG_KIND_TABLE) == 0 ||
		strcmp(kind, PGMIG_KIND_VIEW) == 0 ||
		strcmp(kind, PGMIG_KIND_MATVIEW) == 0 ||
		strcmp(kind, PGMIG_KIND_SEQUENCE) == 0 ||
		strcmp(kind, PGMIG_KIND_INDEX) == 0 ||
		is_type_kind(kind);
}

/* A name that goes away is free before an object of another kind takes it. */
static void
edges_for_names(DiffCtx *ctx, DiffGraph *g)
{
	NameRef    *refs = palloc(sizeof(NameRef) * (g->nnodes + 1));
	int			n = 0;
	int			k,
				start;

	for (k = 0; k < g->nnodes; k++)
	{
		const DiffNode *node = &g->nodes[k];
		const PgmigObject *o = diff_obj(&ctx->items[node->item]);

		if ((node->phase != PHASE_DROP && node->phase != PHASE_MAKE) ||
			!relation_like(o->kind) || o->qname == NULL)
			continue;
		refs[n].qname = o->qname;
		refs[n].node = k;
		refs[n++].make = node->phase == PHASE_MAKE;
	}
	qsort(refs, n, sizeof(NameRef), nameref_cmp);
	for (start = 0; start < n; start = k)
	{
		int			a,
					b;

		for (k = start; k < n && strcmp(refs[k].qname, refs[start].qname) == 0; k++)
			;
		for (a = start; a < k; a++)
			for (b = start; b < k; b++)
				if (!refs[a].make && refs[b].make &&
					g->nodes[refs[a].node].item != g->nodes[refs[b].node].item)
					add_edge(g, refs[a].node, refs[b].node);
	}
	pfree(refs);
}

/* All the edges, then each node's successors in one array. */
static void
make_edges(DiffCtx *ctx, DiffGraph *g)
{
	int			i,
				k;
	int		   *fill;

	for (i = 0; i < ctx->nitems; i++)
	{
		edges_for_make(ctx, g, i);
		edges_for_release(ctx, g, i);
		add_edge(g, ctx->items[i].node[PHASE_PRE], ctx->items[i].node[PHASE_DROP]);
		if (ctx->items[i].node[PHASE_MAKE] < 0)
			add_edge(g, ctx->items[i].node[PHASE_PRE], ctx->items[i].node[PHASE_POST]);
	}
	edges_for_names(ctx, g);
	for (k = 0; k < g->nedges; k++)
	{
		g->nodes[g->from[k]].nout++;
		g->nodes[g->to[k]].nin++;
	}
	fill = palloc(sizeof(int) * (g->nnodes + 1));
	for (k = 0, i = 0; k < g->nnodes; k++)
	{
		g->nodes[k].first = fill[k] = i;
		i += g->nodes[k].nout;
	}
	g->succ = palloc(sizeof(int) * (g->nedges + 1));
	for (k = 0; k < g->nedges; k++)
		g->succ[fill[g->from[k]]++] = g->to[k];
	pfree(fill);
}

/* Order of two ready nodes: phase, then kind, then id. */
static bool
node_before(const DiffCtx *ctx, const DiffGraph *g, int a, int b)
{
	const DiffNode *x = &g->nodes[a];
	const DiffNode *y = &g->nodes[b];

	if (x->phase != y->phase)
		return x->phase < y->phase;
	if (x->rank != y->rank)
		return x->rank < y->rank;
	return x->item < y->item;
	(void) ctx;
}

/* Binary heap of ready nodes. */
static void
heap_push(const DiffCtx *ctx, const DiffGraph *g, int *heap, int *n, int v)
{
	int			i = (*n)++;

	heap[i] = v;
	while (i > 0 && node_before(ctx, g, heap[i], heap[(i - 1) / 2]))
	{
		int			p = (i - 1) / 2,
					t = heap[p];

		heap[p] = heap[i];
		heap[i] = t;
		i = p;
	}
}

static int
heap_pop(const DiffCtx *ctx, const DiffGraph *g, int *heap, int *n)
{
	int			top = heap[0];
	int			i = 0;

	heap[0] = heap[--(*n)];
	for (;;)
	{
		int			l = 2 * i + 1,
					r = l + 1,
					m = i,
					t;

		if (l < *n && node_before(ctx, g, heap[l], heap[m]))
			m = l;
		if (r < *n && node_before(ctx, g, heap[r], heap[m]))
			m = r;
		if (m == i)
			break;
		t = heap[m];
		heap[m] = heap[i];
		heap[i] = t;
		i = m;
	}
	return top;
}

/* Name what is left in a cycle of dependencies. */
static bool
cycle_error(DiffCtx *ctx, DiffGraph *g)
{
	StringInfoData buf;
	char	   *detail;
	int			k,
				shown = 0;

	initStringInfo(&buf);
	for (k = 0; k < g->nnodes && shown < 5; k++)
		if (g->nodes[k].nin > 0)
			appendStringInfo(&buf, "%s%s", shown++ ? ", " : "",
							 ctx->items[g->nodes[k].item].id);
	detail = psprintf("These objects depend on each other: %s.", buf.data);
	pgmig_set_error(ctx->err, PGMIG_ERR_DIFF, detail,
					"Write this change by hand, or split it into two revisions.",
					"cannot order the changes to the schema");
	pfree(detail);
	pfree(buf.data);
	return false;
}

/* Write the statements, node by node, in an order the graph allows. */
static bool
order_and_emit(DiffCtx *ctx, DiffGraph *g)
{
	int		   *heap = palloc(sizeof(int) * (g->nnodes + 1));
	int			nheap = 0;
	int			done = 0;
	int			k;

	for (k = 0; k < g->nnodes; k++)
		if (g->nodes[k].nin == 0)
			heap_push(ctx, g, heap, &nheap, k);
	while (nheap > 0)
	{
		int			v = heap_pop(ctx, g, heap, &nheap);
		DiffNode   *node = &g->nodes[v];

		diff_emit(ctx, &ctx->items[node->item], node->phase);
		done++;
		for (k = node->first; k < node->first + node->nout; k++)
			if (--g->nodes[g->succ[k]].nin == 0)
				heap_push(ctx, g, heap, &nheap, g->succ[k]);
	}
	pfree(heap);
	if (done < g->nnodes)
		return cycle_error(ctx, g);
	return true;
}

/* Online steps (outside a transaction) go last, in their order. */
static void
online_last(DiffCtx *ctx)
{
	PgmigStep  *v = palloc(sizeof(PgmigStep) * (ctx->nsteps + 1));
	int			n = 0,
				k,
				pass;

	for (pass = 0; pass < 2; pass++)
		for (k = 0; k < ctx->nsteps; k++)
			if (ctx->steps[k].online == (pass == 1))
				v[n++] = ctx->steps[k];
	memcpy(ctx->steps, v, sizeof(PgmigStep) * n);
	pfree(v);
}

/* Free the graph. */
static void
free_graph(DiffGraph *g)
{
	if (g->nodes)
		pfree(g->nodes);
	if (g->from)
		pfree(g->from);
	if (g->to)
		pfree(g->to);
	if (g->succ)
		pfree(g->succ);
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
		build_index(&ctx);
		ok = classify(&ctx) && propagate(&ctx);
	}
	if (ok)
	{
		fold_new_tables(&ctx);
		make_nodes(&ctx, &g);
		make_edges(&ctx, &g);
		ok = order_and_emit(&ctx, &g);
	}
	if (ok)
	{
		if (options->concurrently)
			online_last(&ctx);
		diff_offer_renames(&ctx);
	}
	diff->nsteps = ctx.nsteps;
	diff->steps = ctx.steps;
	diff->nrenames = ctx.nrenames;
	diff->renames = ctx.renames;
	if (!ok)
		pgmig_diff_free(diff);
	free_graph(&g);
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
