/*-------------------------------------------------------------------------
 *
 * pgmig_diff_order.c
 *	  Autogenerate's differ: the order of the statements.
 *
 * The columns and simple constraints of new tables are folded into their
 * CREATE TABLE.  Each item gets its nodes, one per phase; the edges come
 * from the dependencies of both descriptions, and from a name that one
 * object frees and another takes.  The statements are written node by
 * node, in a topological order that prefers pre, then drop, then make,
 * then post nodes, and in each phase the order of kinds (see
 * pgmig_diff_int.h); with --concurrently, the online steps go last.
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
#include "pgmig_heap.h"

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
void
diff_fold_new_tables(DiffCtx *ctx)
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
		if (p < 0 || !diff_item_is_kind(&ctx->items[p], PGMIG_KIND_TABLE) ||
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
	if (!diff_item_is_kind(item, PGMIG_KIND_SEQUENCE) || item->b == NULL)
		return false;
	if (item->state == DIFF_ADDED || item->state == DIFF_REPLACED)
		return pgmig_object_attr(item->b, "owned_by") != NULL;
	return item->release_owner || diff_attr_changed(item, "owned_by");
}

/* Does a column drop its default before anything else happens? */
static bool
needs_default_drop(const DiffItem *item)
{
	if (!diff_item_is_kind(item, PGMIG_KIND_COLUMN) || item->state != DIFF_ALTERED ||
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
void
diff_make_nodes(DiffCtx *ctx, DiffGraph *g)
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
		if (diff_goes(item) && item->drop_via < 0)
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
	if (diff_item_is_kind(item, PGMIG_KIND_SEQUENCE))
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
		if (item->node[PHASE_DROP] >= 0 || item->drop_via >= 0)
			add_edge(g, release_of(ctx, i), r);	/* gone before what it uses */
		else
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
		diff_is_type_kind(kind);
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
void
diff_make_edges(DiffCtx *ctx, DiffGraph *g)
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

/*
 * Two nodes that make columns (each kind has a rank of its own, so nodes
 * of one rank that make columns are all columns): by table, then by the
 * place each is wanted at, since ADD COLUMN appends.  -1, 1, or 0 if
 * neither says (not columns, or the same place).
 */
static int
column_cmp(const DiffCtx *ctx, const DiffNode *x, const DiffNode *y)
{
	const PgmigObject *a = ctx->items[x->item].b;
	const PgmigObject *b = ctx->items[y->item].b;
	const char *pa;
	const char *pb;
	int			c;

	if (x->phase != PHASE_MAKE || a == NULL || b == NULL ||
		!diff_is_kind(a, PGMIG_KIND_COLUMN) || !diff_is_kind(b, PGMIG_KIND_COLUMN) ||
		a->parent == NULL || b->parent == NULL)
		return 0;
	if ((c = strcmp(a->parent, b->parent)) != 0)
		return c < 0 ? -1 : 1;
	pa = pgmig_object_attr(a, "position");
	pb = pgmig_object_attr(b, "position");
	if (pa == NULL || pb == NULL || atoi(pa) == atoi(pb))
		return 0;
	return atoi(pa) < atoi(pb) ? -1 : 1;
}

/* What the order of the ready nodes looks at. */
typedef struct ReadyOrder
{
	const DiffCtx *ctx;
	const DiffGraph *g;
} ReadyOrder;

/*
 * The heap's order of two ready nodes: phase, then kind, then the columns
 * added to a table in their place, then id.
 */
static bool
node_before(int a, int b, void *arg)
{
	const ReadyOrder *o = (const ReadyOrder *) arg;
	const DiffCtx *ctx = o->ctx;
	const DiffNode *x = &o->g->nodes[a];
	const DiffNode *y = &o->g->nodes[b];
	int			c;

	if (x->phase != y->phase)
		return x->phase < y->phase;
	if (x->rank != y->rank)
		return x->rank < y->rank;
	if ((c = column_cmp(ctx, x, y)) != 0)
		return c < 0;
	return x->item < y->item;
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
bool
diff_order_and_emit(DiffCtx *ctx, DiffGraph *g)
{
	ReadyOrder	order = {ctx, g};
	PgmigHeap	heap;
	int			done = 0;
	int			k;

	pgmig_heap_init(&heap, g->nnodes, node_before, &order);
	for (k = 0; k < g->nnodes; k++)
		if (g->nodes[k].nin == 0)
			pgmig_heap_push(&heap, k);
	while (heap.n > 0)
	{
		int			v = pgmig_heap_pop(&heap);
		DiffNode   *node = &g->nodes[v];

		diff_emit(ctx, &ctx->items[node->item], node->phase);
		done++;
		for (k = node->first; k < node->first + node->nout; k++)
			if (--g->nodes[g->succ[k]].nin == 0)
				pgmig_heap_push(&heap, g->succ[k]);
	}
	pgmig_heap_free(&heap);
	if (done < g->nnodes)
		return cycle_error(ctx, g);
	return true;
}

/* Online steps (outside a transaction) go last, in their order. */
void
diff_online_last(DiffCtx *ctx)
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
void
diff_free_graph(DiffGraph *g)
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
