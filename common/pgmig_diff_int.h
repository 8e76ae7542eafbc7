/*-------------------------------------------------------------------------
 *
 * pgmig_diff_int.h
 *	  The differ's inside, shared by its two files: pgmig_diff.c plans
 *	  (what happens to each object, and in which order), pgmig_diff_ddl.c
 *	  writes the statements and knows what each kind of object allows.
 *
 * Every object of either description is an item, found by its id.  An
 * item gets up to four nodes, one per phase: "pre" releases what it holds
 * on to before that goes away (a column's default, a sequence's owner),
 * "drop" drops it, "make" creates or alters it, "post" finishes (OWNED
 * BY, VALIDATE CONSTRAINT, the old type of a rebuilt enum).  Edges between
 * nodes come from the dependencies of both descriptions; the statements
 * are written in a topological order of the nodes that prefers pre, then
 * drop, then make, then post nodes, and in each phase the order of kinds.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_DIFF_INT_H
#define PGMIG_DIFF_INT_H

#include "pgmig_diff.h"

/* What happens to an object. */
typedef enum DiffState
{
	DIFF_SAME,					/* in both, equal */
	DIFF_ADDED,					/* only in "to" */
	DIFF_DROPPED,				/* only in "from" */
	DIFF_ALTERED,				/* in both, changed in place */
	DIFF_REPLACED				/* in both, dropped and created again */
} DiffState;

/* The phases of an item's statements, in the order they prefer to run. */
typedef enum DiffPhase
{
	PHASE_PRE,
	PHASE_DROP,
	PHASE_MAKE,
	PHASE_POST,
	PHASE_COUNT
} DiffPhase;

/* An object of either description, and what the diff does with it. */
typedef struct DiffItem
{
	const char *id;
	const PgmigObject *a;		/* in "from", or NULL */
	const PgmigObject *b;		/* in "to", or NULL */
	DiffState	state;
	int			drop_via;		/* dropped implicitly, with this item; or -1 */
	int			fold_into;		/* created by this item's statement; or -1 */
	int			why;			/* re-created because this item changes; or
								 * -1 */
	bool		inherited;		/* made and dropped by PostgreSQL along with
								 * its parent's: no statement of its own */
	bool		forces;			/* its change forces its dependents to be
								 * re-created (a column's type, an enum
								 * rebuilt) */
	bool		rebuild;		/* an enum rebuilt under a temporary name */
	bool		retype;			/* a column whose enum type is rebuilt */
	bool		reset_default;	/* a column whose default is dropped and set
								 * again around a change to what it uses */
	bool		release_owner;	/* a sequence whose owning column goes away */
	bool		queued;			/* seen by the propagation */
	int			node[PHASE_COUNT];	/* its nodes, -1 where none */
} DiffItem;

/* A diff being computed. */
typedef struct DiffCtx
{
	const PgmigDiffOptions *options;
	PgmigError *err;
	int			nitems;
	DiffItem   *items;			/* sorted by id */
	/* in "from": the items that depend on item i */
	int		   *dep_start;
	int		   *dep_list;
	/* in "from": the items that go away with item i */
	int		   *kid_start;
	int		   *kid_list;
	/* the result */
	int			nsteps;
	int			capsteps;
	PgmigStep  *steps;
	int			nrenames;
	int			caprenames;
	char	  **renames;
} DiffCtx;

/* The object an item stands for: as it will be, else as it was. */
static inline const PgmigObject *
diff_obj(const DiffItem *item)
{
	return item->b ? item->b : item->a;
}

/* pgmig_diff.c */
extern int	diff_find(const DiffCtx *ctx, const char *id);
extern bool diff_attr_is(const PgmigObject *obj, const char *key,
						 const char *value);
extern bool diff_attr_changed(const DiffItem *item, const char *key);
extern bool diff_changed_except(const DiffItem *item, const char *const *keys);

/* pgmig_diff_ddl.c */
extern bool diff_strategy(DiffCtx *ctx, DiffItem *item);
extern void diff_emit(DiffCtx *ctx, DiffItem *item, DiffPhase phase);
extern void diff_offer_renames(DiffCtx *ctx);
extern int	diff_kind_rank(const char *kind);
extern bool diff_validates_later(const DiffCtx *ctx, const DiffItem *item);

#endif							/* PGMIG_DIFF_INT_H */
