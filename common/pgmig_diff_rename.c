/*-------------------------------------------------------------------------
 *
 * pgmig_diff_rename.c
 *	  Autogenerate's differ: the renames it offers.
 *
 * Renames are not inferred: a drop and an add are written.  Where a
 * dropped column looks like an added one of the same table (the same
 * type, collation, NOT NULL, default, identity and generation), or a
 * dropped table like an added one in the same schema (the same columns),
 * the ALTER TABLE ... RENAME is offered beside them.
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

/* The columns of a table in "from" or "to", as one comparable string. */
static char *
table_signature(const DiffCtx *ctx, const PgmigObject *t, bool to)
{
	char	   *prefix = psprintf("column %s.", t->qname);
	size_t		len = strlen(prefix);
	StringInfoData buf;
	int			i = 0;
	int			lo = 0,
				hi = ctx->nitems;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (strcmp(ctx->items[mid].id, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	initStringInfo(&buf);
	for (i = lo; i < ctx->nitems && strncmp(ctx->items[i].id, prefix, len) == 0; i++)
	{
		const PgmigObject *c = to ? ctx->items[i].b : ctx->items[i].a;

		if (c && c->parent && strcmp(c->parent, t->id) == 0)
			appendStringInfo(&buf, "%s %s %s;", c->name,
							 pgmig_object_attr(c, "type"),
							 pgmig_object_attr(c, "not_null") ? "nn" : "");
	}
	pfree(prefix);
	return buf.data;
}

/* Add a rename to offer. */
static void
add_rename(DiffCtx *ctx, char *sql)
{
	if (ctx->nrenames == ctx->caprenames)
	{
		ctx->caprenames = ctx->caprenames ? ctx->caprenames * 2 : 8;
		ctx->renames = ctx->renames ?
			repalloc(ctx->renames, sizeof(char *) * ctx->caprenames) :
			palloc(sizeof(char *) * ctx->caprenames);
	}
	ctx->renames[ctx->nrenames++] = sql;
}

/* Are two columns alike but for their names? */
static bool
columns_alike(const PgmigObject *x, const PgmigObject *y)
{
	static const char *const keys[] = {
		"type", "collation", "not_null", "default", "identity", "generated", NULL
	};
	int			k;

	if (x->parent == NULL || y->parent == NULL || strcmp(x->parent, y->parent) != 0)
		return false;
	for (k = 0; keys[k]; k++)
	{
		const char *vx = pgmig_object_attr(x, keys[k]);
		const char *vy = pgmig_object_attr(y, keys[k]);

		if ((vx == NULL) != (vy == NULL) || (vx && strcmp(vx, vy) != 0))
			return false;
	}
	return true;
}

/* Where a dropped table or column looks like an added one: offer a RENAME. */
void
diff_offer_renames(DiffCtx *ctx)
{
	int			i,
				j;

	for (i = 0; i < ctx->nitems; i++)
	{
		const DiffItem *gone = &ctx->items[i];
		char	   *sig = NULL;

		if (gone->state != DIFF_DROPPED || gone->drop_via >= 0)
			continue;
		for (j = 0; j < ctx->nitems; j++)
		{
			const DiffItem *new = &ctx->items[j];

			if (new->state != DIFF_ADDED || strcmp(new->b->kind, gone->a->kind) != 0)
				continue;
			if (diff_is_kind(new->b, PGMIG_KIND_COLUMN) && columns_alike(gone->a, new->b) &&
				diff_table_kept(ctx, new->b->parent))
				add_rename(ctx, psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s",
										 diff_parent_qname(ctx, new->b), gone->a->name,
										 new->b->name));
			else if (diff_is_kind(new->b, PGMIG_KIND_TABLE))
			{
				char	   *other = table_signature(ctx, new->b, true);

				if (sig == NULL)
					sig = table_signature(ctx, gone->a, false);
				if (sig[0] && strcmp(sig, other) == 0 &&
					strlen(gone->a->qname) - strlen(gone->a->name) ==
					strlen(new->b->qname) - strlen(new->b->name) &&
					strncmp(gone->a->qname, new->b->qname,
							strlen(gone->a->qname) - strlen(gone->a->name)) == 0)
					add_rename(ctx, psprintf("ALTER TABLE %s RENAME TO %s",
											 gone->a->qname, new->b->name));
				pfree(other);
			}
		}
		if (sig)
			pfree(sig);
	}
}
