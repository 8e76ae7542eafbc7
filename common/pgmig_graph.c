/*-------------------------------------------------------------------------
 *
 * pgmig_graph.c
 *	  The revision graph: building it, finding revisions and heads,
 *	  planning an upgrade or a downgrade to a target, and what is current
 *	  or out of order.
 *
 * Compiled into the server module and, with -DFRONTEND, into the client,
 * where palloc is plain malloc and no memory context cleans up: every
 * function frees its scratch memory, on error paths too, and what it
 * returns belongs to the caller.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include <ctype.h>
#include <limits.h>

#include "lib/stringinfo.h"

#include "pgmig_graph.h"
#include "pgmig_heap.h"
#include "pgmig_version.h"

/* qsort comparator: nodes in version order. */
static int
node_cmp(const void *a, const void *b)
{
	const PgmigNode *na = (const PgmigNode *) a;
	const PgmigNode *nb = (const PgmigNode *) b;

	return pgmig_sortkey_cmp(na->sortkey, nb->sortkey);
}

/* The revision whose id is "id" exactly, or -1. */
int
pgmig_graph_find_id(const PgmigGraph *g, const char *id)
{
	int			i;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->nodes[i].id, id) == 0)
			return i;
	return -1;
}

/* Exact lookup by id or by the version's digits (binary search on digits). */
static int
find_exact(const PgmigGraph *g, const char *name)
{
	char	   *key = pgmig_sortkey(name);
	int			lo = 0,
				hi = g->n - 1;
	int			found = -1;

	/* an id that is no version: Sqitch's changes, found by a scan */
	if (key == NULL)
		return pgmig_graph_find_id(g, name);
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = pgmig_sortkey_cmp(g->nodes[mid].sortkey, key);

		if (c == 0)
		{
			found = mid;
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	pfree(key);
	return found;
}

/* The heap's order: lowest node index (so lowest version) first. */
static bool
index_before(int a, int b, void *arg)
{
	return a < b;
}

/* Free what pgmig_graph_build allocated, after one of its errors. */
static void
graph_unbuild(PgmigGraph *g)
{
	int			i;

	for (i = 0; i < g->n; i++)
	{
		PgmigNode  *node = &g->nodes[i];

		if (node->parents != NULL)
			pfree(node->parents);
		if (node->children != NULL)
			pfree(node->children);
		node->parents = NULL;
		node->children = NULL;
		node->nchildren = 0;
	}
	if (g->order != NULL)
		pfree(g->order);
	g->order = NULL;
}

/* Sort the nodes by version; two with the same version are an error. */
static bool
sort_by_version(PgmigNode *nodes, int n, PgmigError *err)
{
	int			i;

	if (n > 1)
		qsort(nodes, n, sizeof(PgmigNode), node_cmp);
	for (i = 1; i < n; i++)
		if (pgmig_sortkey_cmp(nodes[i - 1].sortkey, nodes[i].sortkey) == 0)
		{
			char	   *detail = psprintf("Revisions \"%s\" and \"%s\" have the same version.",
										  nodes[i - 1].id, nodes[i].id);

			pgmig_set_error(err, PGMIG_ERR_DUPLICATE, detail,
							"Give one of them a new version number.",
							"duplicate revision %s", nodes[i].id);
			pfree(detail);
			return false;
		}
	return true;
}

/*
 * The nodes in the order of their ids, when some ids are no versions
 * (Sqitch's changes): their parents are found by a binary search, not a
 * scan each.
 */
typedef struct IdEntry
{
	const char *id;
	int			node;
} IdEntry;

/* Order IdEntries by id. */
static int
id_cmp(const void *a, const void *b)
{
	return strcmp(((const IdEntry *) a)->id, ((const IdEntry *) b)->id);
}

/* The nodes by id (palloc'd) if some id is no version, else NULL. */
static IdEntry *
index_ids(const PgmigGraph *g)
{
	IdEntry    *by_id;
	int			i;

	for (i = 0; i < g->n; i++)
		if (!isdigit((unsigned char) g->nodes[i].id[0]))
			break;
	if (i == g->n)
		return NULL;
	by_id = palloc(g->n * sizeof(IdEntry));
	for (i = 0; i < g->n; i++)
	{
		by_id[i].id = g->nodes[i].id;
		by_id[i].node = i;
	}
	qsort(by_id, g->n, sizeof(IdEntry), id_cmp);
	return by_id;
}

/* The node whose id is "id", found in "by_id", or -1. */
static int
find_indexed(const PgmigGraph *g, const IdEntry *by_id, const char *id)
{
	IdEntry		key;
	IdEntry    *hit;

	key.id = id;
	key.node = -1;
	hit = bsearch(&key, by_id, g->n, sizeof(IdEntry), id_cmp);
	return hit ? hit->node : -1;
}

/*
 * Resolve the parents of node "i" to indexes: the ones it declares, or
 * the previous revision in version order.  "by_id" (or NULL) finds those
 * that are no versions.
 */
static bool
resolve_parents(PgmigGraph *g, int i, const IdEntry *by_id, PgmigError *err)
{
	PgmigNode  *node = &g->nodes[i];
	int			j;

	if (!node->parents_explicit)
	{
		node->nparents = i > 0 ? 1 : 0;
		node->parents = palloc(sizeof(int));
		if (i > 0)
			node->parents[0] = i - 1;
		return true;
	}
	node->parents = palloc((node->nparents > 0 ? node->nparents : 1) * sizeof(int));
	for (j = 0; j < node->nparents; j++)
	{
		const char *id = node->parent_ids[j];
		int			p;

		if (by_id != NULL && !isdigit((unsigned char) id[0]))
			p = find_indexed(g, by_id, id);
		else
			p = find_exact(g, id);

		if (p < 0)
		{
			char	   *detail = psprintf("Revision %s revises %s, which does not exist.",
										  node->id, node->parent_ids[j]);

			pgmig_set_error(err, PGMIG_ERR_UNDEFINED, detail, NULL,
							"unknown parent revision %s",
							node->parent_ids[j]);
			pfree(detail);
			return false;
		}
		if (p == i)
			return pgmig_set_error(err, PGMIG_ERR_CYCLE, NULL, NULL,
								   "revision %s revises itself", node->id);
		node->parents[j] = p;
	}
	return true;
}

/* Fill in the children of every node from the parents. */
static void
link_children(PgmigGraph *g)
{
	PgmigNode  *nodes = g->nodes;
	int			n = g->n;
	int		   *childpos;
	int			i,
				j;

	for (i = 0; i < n; i++)
		for (j = 0; j < nodes[i].nparents; j++)
			nodes[nodes[i].parents[j]].nchildren++;
	childpos = palloc0((n > 0 ? n : 1) * sizeof(int));
	for (i = 0; i < n; i++)
		nodes[i].children = palloc((nodes[i].nchildren > 0 ? nodes[i].nchildren : 1) * sizeof(int));
	for (i = 0; i < n; i++)
		for (j = 0; j < nodes[i].nparents; j++)
		{
			int			p = nodes[i].parents[j];

			nodes[p].children[childpos[p]++] = i;
		}
	pfree(childpos);
}

/* Report the revisions a cycle left with parents not yet ordered. */
static bool
report_cycle(const PgmigGraph *g, const int *indeg, PgmigError *err)
{
	int			i,
				k = 0;
	int		   *cyc = palloc(g->n * sizeof(int));
	char	   *list;
	char	   *detail;

	for (i = 0; i < g->n; i++)
		if (indeg[i] > 0)
			cyc[k++] = i;
	list = pgmig_graph_id_list(g, cyc, k, 10);
	detail = psprintf("Revisions %s revise each other.", list);
	pgmig_set_error(err, PGMIG_ERR_CYCLE, detail,
					"Fix the revises lines of these files.",
					"revision graph has a cycle");
	pfree(detail);
	pfree(list);
	pfree(cyc);
	return false;
}

/*
 * Order the nodes parents first (Kahn's algorithm, lowest version first
 * among the ready ones) into g->order and each node's topo; a cycle is an
 * error.
 */
static bool
order_topologically(PgmigGraph *g, PgmigError *err)
{
	PgmigNode  *nodes = g->nodes;
	int			n = g->n;
	int		   *indeg = palloc0((n > 0 ? n : 1) * sizeof(int));
	PgmigHeap	heap;
	int			done = 0;
	int			i,
				j;

	g->order = palloc((n > 0 ? n : 1) * sizeof(int));
	pgmig_heap_init(&heap, n, index_before, NULL);
	for (i = 0; i < n; i++)
	{
		indeg[i] = nodes[i].nparents;
		if (indeg[i] == 0)
			pgmig_heap_push(&heap, i);
	}
	while (heap.n > 0)
	{
		int			x = pgmig_heap_pop(&heap);

		nodes[x].topo = done;
		g->order[done++] = x;
		for (j = 0; j < nodes[x].nchildren; j++)
			if (--indeg[nodes[x].children[j]] == 0)
				pgmig_heap_push(&heap, nodes[x].children[j]);
	}
	pgmig_heap_free(&heap);
	if (done < n)
		report_cycle(g, indeg, err);
	pfree(indeg);
	return done == n;
}

/*
 * Build the graph (see header).  On an error nothing it allocated is left
 * but *err: the order, parents and children are NULL.
 */
bool
pgmig_graph_build(PgmigGraph *g, PgmigNode *nodes, int n, PgmigError *err)
{
	IdEntry    *by_id;
	int			i;

	g->n = n;
	g->nodes = nodes;
	g->order = NULL;
	for (i = 0; i < n; i++)
	{
		nodes[i].parents = NULL;
		nodes[i].nchildren = 0;
		nodes[i].children = NULL;
	}
	if (!sort_by_version(nodes, n, err))
		return false;
	by_id = index_ids(g);
	for (i = 0; i < n; i++)
		if (!resolve_parents(g, i, by_id, err))
		{
			if (by_id)
				pfree(by_id);
			graph_unbuild(g);
			return false;
		}
	if (by_id)
		pfree(by_id);
	link_children(g);
	if (!order_topologically(g, err))
	{
		graph_unbuild(g);
		return false;
	}
	return true;
}

/* Comma-separated ids of the given nodes, for messages. */
char *
pgmig_graph_id_list(const PgmigGraph *g, const int *idx, int n, int max)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < n && i < max; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", g->nodes[idx[i]].id);
	if (n > max)
		appendStringInfo(&buf, " and %d more", n - max);
	return buf.data;
}

/* Find a revision by id, version digits or unique prefix; -1 if none. */
int
pgmig_graph_find(const PgmigGraph *g, const char *name, PgmigError *err)
{
	int			found;
	int			i,
				nmatch = 0;
	int		   *matches;
	size_t		len = strlen(name);
	char	   *digits;

	found = pgmig_graph_find_id(g, name);
	if (found >= 0)
		return found;
	found = find_exact(g, name);
	if (found >= 0)
		return found;

	/* a prefix of the id as written, or of its digits */
	found = -1;
	digits = pgmig_sortkey(name);
	matches = palloc((g->n > 0 ? g->n : 1) * sizeof(int));
	for (i = 0; i < g->n && len > 0; i++)
		if (strncmp(g->nodes[i].id, name, len) == 0 ||
			(digits && strncmp(g->nodes[i].sortkey, digits, strlen(digits)) == 0))
			matches[nmatch++] = i;
	if (nmatch == 1)
		found = matches[0];
	else if (nmatch == 0)
		pgmig_set_error(err, PGMIG_ERR_UNDEFINED, NULL,
						"Run \"pgmig status\" or \"SELECT * FROM mig_revisions()\" to list the revisions.",
						"revision \"%s\" does not exist", name);
	else
	{
		char	   *list = pgmig_graph_id_list(g, matches, nmatch, 5);
		char	   *detail = psprintf("It matches %s.", list);

		pgmig_set_error(err, PGMIG_ERR_AMBIGUOUS, detail,
						"Give more digits of the version.",
						"revision prefix \"%s\" is ambiguous", name);
		pfree(detail);
		pfree(list);
	}
	if (digits != NULL)
		pfree(digits);
	pfree(matches);
	return found;
}

/* Number of heads, and their indexes into "heads" (palloc'd) if not NULL. */
int
pgmig_graph_heads(const PgmigGraph *g, int **heads)
{
	int			i,
				k = 0;
	int		   *h = palloc((g->n > 0 ? g->n : 1) * sizeof(int));

	for (i = 0; i < g->n; i++)
		if (g->nodes[i].nchildren == 0 && !g->nodes[i].hidden_child)
			h[k++] = i;
	if (heads)
		*heads = h;
	else
		pfree(h);
	return k;
}

/* Mark "x" and all its ancestors in "mark". */
static void
mark_ancestors(const PgmigGraph *g, int x, bool *mark)
{
	int		   *stack;
	int			sp = 0;

	if (mark[x])
		return;
	stack = palloc(g->n * sizeof(int));
	mark[x] = true;
	stack[sp++] = x;
	while (sp > 0)
	{
		int			y = stack[--sp];
		int			j;

		for (j = 0; j < g->nodes[y].nparents; j++)
		{
			int			p = g->nodes[y].parents[j];

			if (!mark[p])
			{
				mark[p] = true;
				stack[sp++] = p;
			}
		}
	}
	pfree(stack);
}

/* Is "a" an ancestor of (or equal to) "b"? */
bool
pgmig_graph_is_ancestor(const PgmigGraph *g, int a, int b)
{
	bool	   *mark = palloc0(g->n * sizeof(bool));
	bool		result;

	mark_ancestors(g, b, mark);
	result = mark[a];
	pfree(mark);
	return result;
}

/* Resolve "label@head": the one head descending from a labelled revision. */
static int
find_label_head(const PgmigGraph *g, const char *label, PgmigError *err)
{
	int			i,
				j,
				nheads,
				k = 0;
	int		   *heads;
	int		   *match;
	bool		any = false;
	int			result = -1;

	nheads = pgmig_graph_heads(g, &heads);
	match = palloc((nheads > 0 ? nheads : 1) * sizeof(int));
	for (i = 0; i < nheads; i++)
	{
		bool	   *anc = palloc0(g->n * sizeof(bool));
		bool		hit = false;

		mark_ancestors(g, heads[i], anc);
		for (j = 0; j < g->n && !hit; j++)
		{
			int			l;

			if (!anc[j])
				continue;
			for (l = 0; l < g->nodes[j].nlabels; l++)
				if (strcmp(g->nodes[j].labels[l], label) == 0)
					hit = true;
		}
		if (hit)
			match[k++] = heads[i];
		pfree(anc);
	}
	for (j = 0; j < g->n && !any; j++)
	{
		int			l;

		for (l = 0; l < g->nodes[j].nlabels; l++)
			if (strcmp(g->nodes[j].labels[l], label) == 0)
				any = true;
	}
	if (!any)
		pgmig_set_error(err, PGMIG_ERR_UNDEFINED, NULL,
						"Labels are set with a \"-- pgmig:label\" line.",
						"label \"%s\" does not exist", label);
	else if (k > 1)
	{
		char	   *list = pgmig_graph_id_list(g, match, k, 10);
		char	   *detail = psprintf("Branch \"%s\" has heads %s.", label, list);

		pgmig_set_error(err, PGMIG_ERR_HEADS, detail,
						"Name one of them, or merge them with \"pgmig merge\".",
						"label \"%s\" has %d heads", label, k);
		pfree(detail);
		pfree(list);
	}
	else
		result = match[0];
	pfree(heads);
	pfree(match);
	return result;
}

/* Parse "+N" / "-N"; returns N, or -1 when "s" is not of that form. */
static int
parse_relative(const char *s, char sign)
{
	long		v = 0;
	const char *p;

	if (s[0] != sign || s[1] == '\0')
		return -1;
	for (p = s + 1; *p; p++)
	{
		if (!isdigit((unsigned char) *p))
			return -1;
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int) v;
}

/*
 * "+N" or "-N" as one revision: the last that "up +N" would apply, or the
 * last that "down -N" would revert.  -1 (and *err) if there is none.
 */
static int
resolve_relative(const PgmigGraph *g, const char *target, PgmigError *err)
{
	bool		revert = target[0] == '-';
	PgmigPlan	plan;
	int			result = -1;

	if (!pgmig_graph_plan(g, target, revert, &plan, err))
		return -1;
	if (plan.nsteps > 0)
		result = plan.steps[plan.nsteps - 1];
	else
		pgmig_set_error(err, PGMIG_ERR_UNDEFINED, NULL, NULL,
						revert ? "no revision is applied" : "no revision is pending");
	pfree(plan.steps);
	return result;
}

/*
 * The one revision a target names, for commands that show one: an id or a
 * unique prefix, "head" or "heads" (the one head), "current" (the one
 * applied head), "+N" (the Nth pending: the last "up +N" applies), "-N"
 * (the Nth applied from the top: the last "down -N" reverts), or
 * "label@head".  -1 (and *err) if it names none, or several.
 */
int
pgmig_graph_resolve(const PgmigGraph *g, const char *target, PgmigError *err)
{
	const char *at;
	int		   *nodes;
	int			n;
	int			result = -1;
	bool		head = strcmp(target, "head") == 0;

	if (head || strcmp(target, "current") == 0)
	{
		n = head ? pgmig_graph_heads(g, &nodes) : pgmig_graph_current(g, &nodes);
		if (n == 1)
			result = nodes[0];
		else if (n == 0)
			pgmig_set_error(err, PGMIG_ERR_UNDEFINED, NULL, NULL,
							head ? "there are no revisions" : "no revision is applied");
		else
		{
			char	   *list = pgmig_graph_id_list(g, nodes, n, 10);
			char	   *detail = psprintf(head ? "The heads are %s." : "The applied heads are %s.", list);

			pgmig_set_error(err, PGMIG_ERR_HEADS, detail, "Name one of them.",
							head ? "there are %d heads" : "%d revisions are current", n);
			pfree(detail);
			pfree(list);
		}
		pfree(nodes);
		return result;
	}
	if ((at = strchr(target, '@')) != NULL && strcmp(at + 1, "head") == 0)
	{
		char	   *label = pnstrdup(target, at - target);

		result = find_label_head(g, label, err);
		pfree(label);
		return result;
	}
	if (strcmp(target, "heads") == 0)
		return pgmig_graph_resolve(g, "head", err);
	if (parse_relative(target, '+') > 0 || parse_relative(target, '-') > 0)
		return resolve_relative(g, target, err);
	if (strcmp(target, "base") == 0 ||
		parse_relative(target, '+') == 0 || parse_relative(target, '-') == 0)
	{
		pgmig_set_error(err, PGMIG_ERR_TARGET,
						"It stands for no revision: the schema before the first one, or the one there is now.",
						"Name one revision: an id, a prefix of it, head, heads, current, +N, -N or label@head.",
						"target \"%s\" does not name a revision", target);
		return -1;
	}
	return pgmig_graph_find(g, target, err);
}

/* Want "head": the one head and its ancestors (nothing if no revisions). */
static bool
want_head(const PgmigGraph *g, bool *want, PgmigError *err)
{
	int		   *heads;
	int			nheads = pgmig_graph_heads(g, &heads);
	bool		ok = true;

	if (nheads > 1)
	{
		char	   *list = pgmig_graph_id_list(g, heads, nheads, 10);
		char	   *detail = psprintf("The heads are %s.", list);

		ok = pgmig_set_error(err, PGMIG_ERR_HEADS, detail,
							 "Name one of them, use \"heads\" to include all of them, or join them with \"pgmig merge\".",
							 "there are %d heads", nheads);
		pfree(detail);
		pfree(list);
	}
	else if (nheads == 1)
		mark_ancestors(g, heads[0], want);
	pfree(heads);
	return ok;
}

/*
 * Want "+N" (upgrade: everything, at most N steps) or "-N" (downgrade:
 * nothing, at most N steps); the sign must match the direction.
 */
static bool
want_relative(const PgmigGraph *g, const char *target, int n, bool revert,
			  bool *want, int *limit, PgmigError *err)
{
	int			i;

	if ((target[0] == '+') == revert)
		return pgmig_set_error(err, PGMIG_ERR_TARGET, NULL,
							   revert ? "Downgrade with -N, upgrade with +N." :
							   "Upgrade with +N, downgrade with -N.",
							   "relative target \"%s\" goes the wrong way",
							   target);
	*limit = n;
	if (!revert)
		for (i = 0; i < g->n; i++)
			want[i] = true;
	return true;
}

/* Want "label@head" ("at" points at its "@"): that head and its ancestors. */
static bool
want_label_head(const PgmigGraph *g, const char *target, const char *at,
				bool *want, PgmigError *err)
{
	char	   *label;
	int			x;

	if (strcmp(at + 1, "head") != 0)
		return pgmig_set_error(err, PGMIG_ERR_TARGET, NULL,
							   "Branch targets are written label@head.",
							   "invalid target \"%s\"", target);
	label = pnstrdup(target, at - target);
	x = find_label_head(g, label, err);
	if (x >= 0)
		mark_ancestors(g, x, want);
	pfree(label);
	return x >= 0;
}

/*
 * Mark in "want" (all false on entry) the revisions that should be
 * applied after a plan to "target" (upgrade: at least these; downgrade:
 * at most these), and set *limit for +N and -N.
 */
static bool
want_target(const PgmigGraph *g, const char *target, bool revert,
			bool *want, int *limit, PgmigError *err)
{
	int			i,
				rel,
				x;
	const char *at;

	if (target == NULL || strcmp(target, "head") == 0)
		return want_head(g, want, err);
	if (strcmp(target, "heads") == 0)
	{
		for (i = 0; i < g->n; i++)
			want[i] = true;
		return true;
	}
	if (strcmp(target, "base") == 0)
		return true;			/* nothing wanted */
	if (strcmp(target, "current") == 0)
	{
		int		   *current;
		int			ncurrent = pgmig_graph_current(g, &current);

		/* what is applied stays: the current revisions and their ancestors */
		for (i = 0; i < ncurrent; i++)
			mark_ancestors(g, current[i], want);
		pfree(current);
		return true;
	}
	if ((rel = parse_relative(target, '+')) >= 0 ||
		(rel = parse_relative(target, '-')) >= 0)
		return want_relative(g, target, rel, revert, want, limit, err);
	/* Sqitch's reworked changes have ids name@tag */
	if ((at = strchr(target, '@')) != NULL && pgmig_graph_find_id(g, target) < 0)
		return want_label_head(g, target, at, want, err);
	x = pgmig_graph_find(g, target, err);
	if (x < 0)
		return false;
	mark_ancestors(g, x, want);
	return true;
}

/*
 * Plan an upgrade or a downgrade to "target" (see header).  On an error
 * plan->steps is NULL and nothing else stays allocated but *err.
 */
bool
pgmig_graph_plan(const PgmigGraph *g, const char *target, bool revert,
				 PgmigPlan *plan, PgmigError *err)
{
	bool	   *want = palloc0((g->n > 0 ? g->n : 1) * sizeof(bool));
	int			limit = -1;
	int			i;

	plan->revert = revert;
	plan->nsteps = 0;
	plan->steps = NULL;
	if (!want_target(g, target, revert, want, &limit, err))
	{
		pfree(want);
		return false;
	}

	/*
	 * Upgrade: the wanted ones not applied, parents first.  Downgrade: the
	 * applied (or partial) ones not wanted, children first.
	 */
	plan->steps = palloc((g->n > 0 ? g->n : 1) * sizeof(int));
	for (i = 0; i < g->n; i++)
	{
		int			x = g->order[revert ? g->n - 1 - i : i];
		const PgmigNode *node = &g->nodes[x];

		if (revert ? !want[x] && (node->applied || node->partial) :
			want[x] && !node->applied)
			plan->steps[plan->nsteps++] = x;
	}
	if (limit >= 0 && plan->nsteps > limit)
		plan->nsteps = limit;
	pfree(want);
	return true;
}

/* The applied revisions without an applied child; count, and indexes. */
int
pgmig_graph_current(const PgmigGraph *g, int **nodes)
{
	int		   *res = palloc(g->n * sizeof(int));
	int			i,
				j,
				k = 0;

	for (i = 0; i < g->n; i++)
	{
		bool		child_applied = false;

		if (!g->nodes[i].applied || g->nodes[i].hidden_child)
			continue;
		for (j = 0; j < g->nodes[i].nchildren; j++)
			if (g->nodes[g->nodes[i].children[j]].applied)
				child_applied = true;
		if (!child_applied)
			res[k++] = i;
	}
	if (nodes)
		*nodes = res;
	else
		pfree(res);
	return k;
}

/* Unapplied revisions older than some applied one; count, and indexes. */
int
pgmig_graph_out_of_order(const PgmigGraph *g, int **nodes)
{
	int			i,
				k = 0,
				last_applied = -1;
	int		   *res = palloc((g->n > 0 ? g->n : 1) * sizeof(int));

	for (i = 0; i < g->n; i++)
		if (g->nodes[i].applied)
			last_applied = i;
	for (i = 0; i < last_applied; i++)
		if (!g->nodes[i].applied)
			res[k++] = i;
	if (nodes)
		*nodes = res;
	else
		pfree(res);
	return k;
}
