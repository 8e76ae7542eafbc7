/*-------------------------------------------------------------------------
 *
 * pgmig_diff_type.c
 *	  Autogenerate's differ: the types changed in place.
 *
 * An enum that only gains values gets ALTER TYPE ... ADD VALUE; one whose
 * values are removed or reordered is rebuilt under its name, the old type
 * renamed aside until its columns have moved.  A domain changes its
 * default, NOT NULL and checks.  A composite type that something uses
 * gains and loses attributes with ALTER TYPE, but PostgreSQL cannot change
 * the type of one of them (an error that says so).
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

/* The labels of an enum, in order. */
static int
enum_labels(const PgmigObject *e, const char ***out)
{
	const char **v = palloc(sizeof(char *) * (e->nattrs + 1));
	int			n = 0;

	for (;;)
	{
		char		key[32];
		const char *label;

		snprintf(key, sizeof(key), "label.%d", n + 1);
		if ((label = pgmig_object_attr(e, key)) == NULL)
			break;
		v[n++] = label;
	}
	*out = v;
	return n;
}

/* Index of "s" in v[0..n), or -1. */
static int
find_str(const char **v, int n, const char *s)
{
	int			k;

	for (k = 0; k < n; k++)
		if (strcmp(v[k], s) == 0)
			return k;
	return -1;
}

/* Are the old labels, in their order, among the new ones? */
bool
diff_labels_only_added(const PgmigObject *a, const PgmigObject *b)
{
	const char **la;
	const char **lb;
	int			na = enum_labels(a, &la);
	int			nb = enum_labels(b, &lb);
	int			i,
				j = 0;
	bool		ok = true;

	for (i = 0; i < na && ok; i++)
	{
		while (j < nb && strcmp(la[i], lb[j]) != 0)
			j++;
		ok = j < nb;
		j++;
	}
	pfree(la);
	pfree(lb);
	return ok;
}

/* ALTER TYPE ... ADD VALUE, placed BEFORE or AFTER another value or not. */
static void
emit_add_value(DiffCtx *ctx, const char *type, const char *label,
			   const char *where, const char *other, char **summary)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "ALTER TYPE %s ADD VALUE ", type);
	diff_append_literal(&buf, label);
	if (other)
	{
		appendStringInfo(&buf, " %s ", where);
		diff_append_literal(&buf, other);
	}
	diff_add_step(ctx, buf.data, *summary, false);
	*summary = NULL;
}

/*
 * The values added to an enum: those before its first old value each
 * BEFORE the next one (last first), the others AFTER the one before.
 */
void
diff_emit_enum_added(DiffCtx *ctx, const DiffItem *item, char **summary)
{
	const char **la;
	const char **lb;
	int			na = enum_labels(item->a, &la);
	int			nb = enum_labels(item->b, &lb);
	int			first = 0,
				k;

	while (first < nb && find_str(la, na, lb[first]) < 0)
		first++;
	for (k = first - 1; k >= 0; k--)
		emit_add_value(ctx, item->b->qname, lb[k], "BEFORE",
					   k + 1 < nb ? lb[k + 1] : NULL, summary);
	for (k = first + 1; k < nb; k++)
		if (find_str(la, na, lb[k]) < 0)
			emit_add_value(ctx, item->b->qname, lb[k], "AFTER", lb[k - 1], summary);
	pfree(la);
	pfree(lb);
}

/* The old name of a rebuilt enum, qualified, while its columns move. */
char *
diff_enum_old_qname(const PgmigObject *e, bool qualified)
{
	char	   *bare = diff_unquote(e->name);
	char	   *old = psprintf("%s__pgmig_old", bare);
	StringInfoData buf;
	size_t		qlen = strlen(e->qname),
				nlen = strlen(e->name);

	initStringInfo(&buf);
	if (qualified && qlen > nlen)
		appendBinaryStringInfo(&buf, e->qname, (int) (qlen - nlen));
	diff_append_ident(&buf, old);
	pfree(bare);
	pfree(old);
	return buf.data;
}

/* An enum whose values are removed or reordered: rebuilt under its name. */
void
diff_emit_enum_rebuild(DiffCtx *ctx, const DiffItem *item, char **summary)
{
	const char **la;
	const char **lb;
	int			na = enum_labels(item->a, &la);
	int			nb = enum_labels(item->b, &lb);
	bool		lost = false;
	char	   *old = diff_enum_old_qname(item->a, false);
	int			k;

	for (k = 0; k < na; k++)
		lost |= find_str(lb, nb, la[k]) < 0;
	if (lost && *summary)
	{
		char	   *s = psprintf("%s: values are dropped, and rows that hold them make the change fail",
								 *summary);

		pfree(*summary);
		*summary = s;
	}
	diff_add_step(ctx, psprintf("ALTER TYPE %s RENAME TO %s", item->a->qname, old),
				  *summary, lost);
	*summary = NULL;
	diff_add_step(ctx, pstrdup(item->b->create_sql), NULL, false);
	pfree(old);
	pfree(la);
	pfree(lb);
}

/* A domain changed in place: default, NOT NULL, checks. */
void
diff_emit_alter_domain(DiffCtx *ctx, const DiffItem *item, char **summary)
{
	const PgmigObject *sides[2] = {item->a, item->b};
	const char *q = item->b->qname;
	int			s,
				k;

	if (diff_attr_changed(item, "default"))
	{
		const char *d = pgmig_object_attr(item->b, "default");

		diff_add_stepf(ctx, summary, "ALTER DOMAIN %s %s%s", q,
					   d ? "SET DEFAULT " : "DROP DEFAULT", d ? d : "");
	}
	if (diff_attr_changed(item, "not_null"))
		diff_add_stepf(ctx, summary, "ALTER DOMAIN %s %s NOT NULL", q,
					   pgmig_object_attr(item->b, "not_null") ? "SET" : "DROP");
	/* checks: dropped (or changed) first, then added (or changed) */
	for (s = 0; s < 2; s++)
		for (k = 0; k < sides[s]->nattrs; k++)
		{
			const char *key = sides[s]->attr_keys[k];

			if (strncmp(key, "check.", 6) != 0 || !diff_attr_changed(item, key))
				continue;
			if (s == 0)
				diff_add_stepf(ctx, summary, "ALTER DOMAIN %s DROP CONSTRAINT %s", q, key + 6);
			else
				diff_add_stepf(ctx, summary, "ALTER DOMAIN %s ADD CONSTRAINT %s %s", q,
							   key + 6, sides[s]->attr_values[k]);
		}
}

/* The name of a composite type's attribute ("a integer" -> "a"). */
static int
attr_name_len(const char *def)
{
	const char *p = def;

	if (*p == '"')
	{
		for (p++; *p; p++)
			if (*p == '"' && p[1] != '"')
				return (int) (p - def) + 1;
			else if (*p == '"')
				p++;
		return (int) strlen(def);
	}
	return (int) strcspn(def, " ");
}

/* The attribute of a composite type named like "def", or NULL. */
static const char *
composite_attr(const PgmigObject *t, const char *def)
{
	int			len = attr_name_len(def);
	int			k;

	for (k = 0; k < t->nattrs; k++)
		if (strncmp(t->attr_keys[k], "attr.", 5) == 0 &&
			attr_name_len(t->attr_values[k]) == len &&
			strncmp(t->attr_values[k], def, len) == 0)
			return t->attr_values[k];
	return NULL;
}

/*
 * Does anything that stores or shows values of this composite type use
 * it (a column, a view, another type)?  Functions do not count: their
 * arguments and results hold no values.
 */
static bool
composite_stored(const DiffCtx *ctx, const DiffItem *item)
{
	int			i = (int) (item - ctx->items);
	int			k;

	for (k = ctx->dep_start[i]; k < ctx->dep_start[i + 1]; k++)
	{
		const DiffItem *d = &ctx->items[ctx->dep_list[k]];

		if (!diff_item_is_kind(d, PGMIG_KIND_FUNCTION) &&
			!diff_item_is_kind(d, PGMIG_KIND_TRIGGER) &&
			!diff_item_is_kind(d, PGMIG_KIND_POLICY))
			return true;
	}
	return false;
}

/*
 * A composite type that something uses can gain and lose attributes, but
 * PostgreSQL cannot change the type of one while a column uses it.
 */
bool
diff_composite_attrs_keep_types(DiffCtx *ctx, const DiffItem *item)
{
	int			k;

	if (!composite_stored(ctx, item))
		return true;

	for (k = 0; k < item->a->nattrs; k++)
	{
		const char *def = item->a->attr_values[k];
		const char *now;
		char	   *detail;

		if (strncmp(item->a->attr_keys[k], "attr.", 5) != 0 ||
			(now = composite_attr(item->b, def)) == NULL || strcmp(now, def) == 0)
			continue;
		detail = psprintf("Attribute %.*s changes from \"%s\" to \"%s\", and PostgreSQL cannot change the type of an attribute while a column or another type uses the type.",
						  attr_name_len(def), def, def + attr_name_len(def) + 1,
						  now + attr_name_len(now) + 1);
		pgmig_set_error(ctx->err, PGMIG_ERR_DIFF, detail,
						"Add an attribute of the new type and drop the old one, or write this change by hand.",
						"cannot change type %s in place", item->b->qname);
		pfree(detail);
		return false;
	}
	return true;
}

/* A composite type that columns use, changed with ALTER TYPE. */
void
diff_emit_alter_composite(DiffCtx *ctx, const DiffItem *item, char **summary)
{
	const char *q = item->b->qname;
	int			k;

	for (k = 0; k < item->a->nattrs; k++)
	{
		const char *def = item->a->attr_values[k];
		const char *now;

		if (strncmp(item->a->attr_keys[k], "attr.", 5) != 0)
			continue;
		now = composite_attr(item->b, def);
		if (now == NULL)
			diff_add_stepf(ctx, summary, "ALTER TYPE %s DROP ATTRIBUTE %.*s", q,
						   attr_name_len(def), def);
		else if (strcmp(now, def) != 0)
			diff_add_stepf(ctx, summary, "ALTER TYPE %s ALTER ATTRIBUTE %.*s TYPE%s", q,
						   attr_name_len(now), now, now + attr_name_len(now));
	}
	for (k = 0; k < item->b->nattrs; k++)
	{
		const char *def = item->b->attr_values[k];

		if (strncmp(item->b->attr_keys[k], "attr.", 5) == 0 &&
			composite_attr(item->a, def) == NULL)
			diff_add_stepf(ctx, summary, "ALTER TYPE %s ADD ATTRIBUTE %s", q, def);
	}
}
