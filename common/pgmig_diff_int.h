/*-------------------------------------------------------------------------
 *
 * pgmig_diff_int.h
 *	  The differ's inside, shared by its files: pgmig_diff.c (the entry
 *	  points, the items, what happens to each object), pgmig_diff_propagate.c
 *	  (what a change drags along), pgmig_diff_order.c (the graph of nodes
 *	  and its order), pgmig_diff_ddl.c (what each kind allows, the
 *	  statements of each phase), pgmig_diff_sql.c (what the writers of
 *	  statements share), pgmig_diff_table.c (tables and columns),
 *	  pgmig_diff_type.c (enums, domains, composite types) and
 *	  pgmig_diff_rename.c (the renames offered).
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

#include "lib/stringinfo.h"

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

/* The object an item stands for: as it will be, else as it was. */
static inline const PgmigObject *
diff_obj(const DiffItem *item)
{
	return item->b ? item->b : item->a;
}

/* pgmig_diff.c */

/* The item with this id, or -1. */
extern int	diff_find(const DiffCtx *ctx, const char *id);

/* Does attribute "key" of obj have the value "value"? */
extern bool diff_attr_is(const PgmigObject *obj, const char *key,
						 const char *value);

/* Does attribute "key" differ between an item's two sides? */
extern bool diff_attr_changed(const DiffItem *item, const char *key);

/* Does an attribute but "position" and "keys" differ between the sides? */
extern bool diff_changed_except(const DiffItem *item, const char *const *keys);

/* Does this kind name a type that columns can have? */
extern bool diff_is_type_kind(const char *kind);

/* Is the kind of this item "kind"? */
extern bool diff_item_is_kind(const DiffItem *item, const char *kind);

/* Does the item go away in "from" (dropped, or dropped to be re-created)? */
extern bool diff_goes(const DiffItem *item);

/* pgmig_diff_propagate.c */

/* In "from": what depends on each item, and what goes away with it. */
extern void diff_build_index(DiffCtx *ctx);

/* Everything a change drags along: re-created dependents, implicit drops. */
extern bool diff_propagate(DiffCtx *ctx);

/* pgmig_diff_order.c */

/* The columns and simple constraints of new tables go in CREATE TABLE. */
extern void diff_fold_new_tables(DiffCtx *ctx);

/* The nodes: which statements each item needs. */
extern void diff_make_nodes(DiffCtx *ctx, DiffGraph *g);

/* All the edges, then each node's successors in one array. */
extern void diff_make_edges(DiffCtx *ctx, DiffGraph *g);

/* Write the statements, node by node, in an order the graph allows. */
extern bool diff_order_and_emit(DiffCtx *ctx, DiffGraph *g);

/* Online steps (outside a transaction) go last, in their order. */
extern void diff_online_last(DiffCtx *ctx);

/* Free the graph. */
extern void diff_free_graph(DiffGraph *g);

/* pgmig_diff_ddl.c */

/* The rank of a kind in the order the kinds are created. */
extern int	diff_kind_rank(const char *kind);

/* How a changed object changes: in place, or dropped and created again. */
extern bool diff_strategy(DiffCtx *ctx, DiffItem *item);

/* Write the statements of an item's phase. */
extern void diff_emit(DiffCtx *ctx, DiffItem *item, DiffPhase phase);

/* pgmig_diff_sql.c */

/* Is the object of this kind? */
extern bool diff_is_kind(const PgmigObject *obj, const char *kind);

/* The qualified name of an object's parent (a column's table). */
extern const char *diff_parent_qname(const DiffCtx *ctx,
									 const PgmigObject *obj);

/* The qualified name of the object with this id ("table public.t"). */
extern const char *diff_qname_of(const DiffCtx *ctx, const char *id);

/* Append a string literal, as quote_literal() writes it. */
extern void diff_append_literal(StringInfo buf, const char *s);

/* A name as written in a statement, unquoted ("Order" for "Order"). */
extern char *diff_unquote(const char *name);

/* Append an identifier, quoted unless it is a plain lower-case name. */
extern void diff_append_ident(StringInfo buf, const char *name);

/* Add a statement to the result. */
extern void diff_add_step(DiffCtx *ctx, char *sql, char *summary,
						  bool destructive);

/* Add a statement given as a format. */
extern void diff_add_stepf(DiffCtx *ctx, char **summary,
						   const char *fmt,...) pg_attribute_printf(3, 4);

/* COMMENT ON, when the comment of "b" differs from that of "a". */
extern void diff_emit_comment(DiffCtx *ctx, const PgmigObject *a,
							  const PgmigObject *b, char **summary);

/* Free an array of n palloc'd strings. */
extern void diff_free_array(char **v, int n);

/* Owner and grants, when they differ (only described with privileges). */
extern void diff_emit_privileges(DiffCtx *ctx, const PgmigObject *a,
								 const PgmigObject *b);

/* Comment and privileges of an object just created. */
extern void diff_emit_extras(DiffCtx *ctx, const PgmigObject *b);

/* pgmig_diff_table.c */

/* A column as CREATE TABLE and ADD COLUMN write it. */
extern void diff_append_column(StringInfo buf, const PgmigObject *col);

/* CREATE TABLE, with its columns and simple constraints. */
extern void diff_emit_create_table(DiffCtx *ctx, int table, char **summary);

/* Is this table, in "from", kept (not new, not re-created)? */
extern bool diff_table_kept(const DiffCtx *ctx, const char *id);

/* With --concurrently: is this new foreign key or check validated later? */
extern bool diff_validates_later(const DiffCtx *ctx, const DiffItem *item);

/* With --concurrently: is this new index built CONCURRENTLY? */
extern bool diff_index_online(const DiffCtx *ctx, const DiffItem *item);

/* CREATE INDEX CONCURRENTLY, to run outside a transaction block. */
extern void diff_emit_online_index(DiffCtx *ctx, const PgmigObject *b,
								   char *summary);

/* The DROP DEFAULT that runs before what the default uses changes. */
extern void diff_emit_column_pre(DiffCtx *ctx, const DiffItem *item);

/* A column changed in place. */
extern void diff_emit_alter_column(DiffCtx *ctx, DiffItem *item,
								   char *summary);

/* A table changed in place. */
extern void diff_emit_alter_table(DiffCtx *ctx, DiffItem *item, char *summary);

/* pgmig_diff_type.c */

/* Are the old labels, in their order, among the new ones? */
extern bool diff_labels_only_added(const PgmigObject *a, const PgmigObject *b);

/* The values added to an enum, each BEFORE or AFTER another. */
extern void diff_emit_enum_added(DiffCtx *ctx, const DiffItem *item,
								 char **summary);

/* The old name of a rebuilt enum, qualified, while its columns move. */
extern char *diff_enum_old_qname(const PgmigObject *e, bool qualified);

/* An enum whose values are removed or reordered: rebuilt under its name. */
extern void diff_emit_enum_rebuild(DiffCtx *ctx, const DiffItem *item,
								   char **summary);

/* A domain changed in place: default, NOT NULL, checks. */
extern void diff_emit_alter_domain(DiffCtx *ctx, const DiffItem *item,
								   char **summary);

/* Do a used composite type's attributes keep their types? (else an error) */
extern bool diff_composite_attrs_keep_types(DiffCtx *ctx,
											const DiffItem *item);

/* A composite type that columns use, changed with ALTER TYPE. */
extern void diff_emit_alter_composite(DiffCtx *ctx, const DiffItem *item,
									  char **summary);

/* pgmig_diff_rename.c */

/* Where a dropped table or column looks like an added one: offer a RENAME. */
extern void diff_offer_renames(DiffCtx *ctx);

#endif							/* PGMIG_DIFF_INT_H */
