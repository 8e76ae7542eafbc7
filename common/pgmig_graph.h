/*-------------------------------------------------------------------------
 *
 * pgmig_graph.h
 *	  The revision graph: building it, finding revisions and heads,
 *	  planning an upgrade or a downgrade to a target, and what is current
 *	  or out of order.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_GRAPH_H
#define PGMIG_GRAPH_H

#include "pgmig_message.h"

/*
 * The revision graph.  Callers fill in an array of PgmigNode (id, sortkey,
 * parents as declared, labels, applied) and build the graph; building sorts
 * the nodes by version, resolves parent ids to indexes (an implicit parent
 * is the previous revision in version order), and checks for duplicates,
 * unknown parents and cycles.
 */
typedef struct PgmigNode
{
	/* filled in by the caller */
	char	   *id;
	char	   *sortkey;
	bool		parents_explicit;
	int			nparents;
	char	  **parent_ids;
	int			nlabels;
	char	  **labels;
	bool		applied;
	bool		partial;		/* stopped halfway going up: not applied for
								 * an upgrade, applied for a downgrade */
	bool		hidden_child;	/* has an applied child that was not loaded:
								 * neither a head nor current */
	void	   *data;			/* caller's payload, carried along */

	/* filled in by pgmig_graph_build */
	int		   *parents;
	int			nchildren;
	int		   *children;
	int			topo;			/* position in topological order */
} PgmigNode;

typedef struct PgmigGraph
{
	int			n;
	PgmigNode  *nodes;			/* sorted by version */
	int		   *order;			/* node indexes, parents before children */
} PgmigGraph;

/* A plan: node indexes in the order they run. */
typedef struct PgmigPlan
{
	bool		revert;
	int			nsteps;
	int		   *steps;
} PgmigPlan;

extern bool pgmig_graph_build(PgmigGraph *g, PgmigNode *nodes, int n,
							  PgmigError *err);

/* Find a revision by id, version digits or unique prefix; -1 if none. */
extern int	pgmig_graph_resolve(const PgmigGraph *g, const char *target,
								PgmigError *err);
extern int	pgmig_graph_find(const PgmigGraph *g, const char *name,
							 PgmigError *err);

/* The revision whose id is "id" exactly (no prefix, no digits); -1 if none. */
extern int	pgmig_graph_find_id(const PgmigGraph *g, const char *id);

/* Number of heads, and their indexes into "heads" (palloc'd) if not NULL. */
extern int	pgmig_graph_heads(const PgmigGraph *g, int **heads);

/* Is "a" an ancestor of (or equal to) "b"? */
extern bool pgmig_graph_is_ancestor(const PgmigGraph *g, int a, int b);

/*
 * Plan an upgrade (revert = false) or a downgrade to "target":
 * head, heads, base, an id or unique prefix, +N, -N, label@head.  A
 * downgrade reverts partial revisions too (children first, so never a
 * parent under a half-applied child); an upgrade resumes them.
 */
extern bool pgmig_graph_plan(const PgmigGraph *g, const char *target,
							 bool revert, PgmigPlan *plan, PgmigError *err);

/* The applied revisions without an applied child; count, and indexes. */
extern int	pgmig_graph_current(const PgmigGraph *g, int **nodes);

/* Unapplied revisions older than some applied one; count, and indexes. */
extern int	pgmig_graph_out_of_order(const PgmigGraph *g, int **nodes);

/* Comma-separated ids of the given nodes, for messages. */
extern char *pgmig_graph_id_list(const PgmigGraph *g, const int *idx, int n,
								 int max);

#endif							/* PGMIG_GRAPH_H */
