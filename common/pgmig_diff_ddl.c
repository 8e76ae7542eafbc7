/*-------------------------------------------------------------------------
 *
 * pgmig_diff_ddl.c
 *	  Autogenerate's differ: what each kind of object allows, and the
 *	  statements of each phase of an item.
 *
 * A change is made in place where PostgreSQL has an ALTER for it that
 * keeps the data (a column's type, default or NOT NULL, an enum's new
 * values, a view that only gains columns, a function whose result type
 * stays); otherwise the object is dropped and created again, and so are
 * its dependents (pgmig_diff_propagate.c).  Here are that choice, the
 * order of the kinds, the one-line summaries, and the statements of each
 * phase: tables and columns are composed in pgmig_diff_table.c, enums,
 * domains and composite types changed in pgmig_diff_type.c; the other
 * kinds come with their statements from pgmig.describe().
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

/* Attributes that say nothing about the object's definition. */
static const char *const meta_keys[] = {
	"comment", "comment_on", "owner", "acl", "alter_target", "grant_target",
	NULL
};

/* The kinds, in the order they are created (and dropped, backwards). */
static const char *const kind_order[] = {
	PGMIG_KIND_SCHEMA, PGMIG_KIND_EXTENSION, PGMIG_KIND_ENUM,
	PGMIG_KIND_DOMAIN, PGMIG_KIND_COMPOSITE, PGMIG_KIND_RANGE,
	PGMIG_KIND_SEQUENCE, PGMIG_KIND_TABLE, PGMIG_KIND_COLUMN,
	PGMIG_KIND_CONSTRAINT, PGMIG_KIND_INDEX, PGMIG_KIND_VIEW,
	PGMIG_KIND_MATVIEW, PGMIG_KIND_FUNCTION, PGMIG_KIND_TRIGGER,
	PGMIG_KIND_POLICY, NULL
};

/* The rank of a kind in kind_order. */
int
diff_kind_rank(const char *kind)
{
	int			i;

	for (i = 0; kind_order[i]; i++)
		if (strcmp(kind, kind_order[i]) == 0)
			return i;
	return i;
}

/* How a message names an object: its id without the kind. */
static const char *
shown_name(const PgmigObject *obj)
{
	const char *space = strchr(obj->id, ' ');

	return space ? space + 1 : obj->id;
}

/* How a message names a kind. */
static const char *
shown_kind(const PgmigObject *obj)
{
	if (diff_is_kind(obj, PGMIG_KIND_MATVIEW))
		return "materialized view";
	if (diff_is_kind(obj, PGMIG_KIND_FUNCTION) && diff_attr_is(obj, "kind", "p"))
		return "procedure";
	if (diff_is_kind(obj, PGMIG_KIND_ENUM) || diff_is_kind(obj, PGMIG_KIND_COMPOSITE) ||
		diff_is_kind(obj, PGMIG_KIND_RANGE))
		return "type";
	return obj->kind;
}

/* The statement that creates an object, and what follows it. */
static void
emit_create(DiffCtx *ctx, DiffItem *item, char *summary)
{
	const PgmigObject *b = item->b;
	int			self = (int) (item - ctx->items);

	if (diff_is_kind(b, PGMIG_KIND_TABLE))
		diff_emit_create_table(ctx, self, &summary);
	else if (diff_is_kind(b, PGMIG_KIND_COLUMN))
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfo(&buf, "ALTER TABLE %s ADD COLUMN ", diff_parent_qname(ctx, b));
		diff_append_column(&buf, b);
		diff_add_step(ctx, buf.data, summary, false);
		diff_emit_extras(ctx, b);
	}
	else if (diff_is_kind(b, PGMIG_KIND_CONSTRAINT))
	{
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s ADD CONSTRAINT %s %s%s",
					   diff_parent_qname(ctx, b), b->name, pgmig_object_attr(b, "def"),
					   diff_validates_later(ctx, item) ? " NOT VALID" : "");
		diff_emit_extras(ctx, b);
	}
	else if (diff_index_online(ctx, item))
		diff_emit_online_index(ctx, b, summary);
	else if (b->create_sql)
	{
		diff_add_step(ctx, pstrdup(b->create_sql), summary, false);
		diff_emit_extras(ctx, b);
	}
	else if (summary)
		pfree(summary);
}

/* The statement that drops an object. */
static char *
drop_sql(const DiffCtx *ctx, const PgmigObject *a)
{
	if (a->drop_sql)
		return pstrdup(a->drop_sql);
	if (diff_is_kind(a, PGMIG_KIND_COLUMN))
		return psprintf("ALTER TABLE %s DROP COLUMN %s", diff_parent_qname(ctx, a),
						a->name);
	if (diff_is_kind(a, PGMIG_KIND_CONSTRAINT))
		return psprintf("ALTER TABLE %s DROP CONSTRAINT %s",
						diff_parent_qname(ctx, a), a->name);
	if (diff_is_kind(a, PGMIG_KIND_TABLE))
		return psprintf("DROP TABLE %s", a->qname);
	return psprintf("DROP %s %s", shown_kind(a), a->qname);
}

/* A sequence changed in place. */
static void
emit_alter_sequence(DiffCtx *ctx, const DiffItem *item, char **summary)
{
	static const char *const keys[] = {"owned_by", NULL};
	const PgmigObject *b = item->b;
	const char *createp = b->create_sql ? strstr(b->create_sql, b->qname) : NULL;

	if (!diff_changed_except(item, keys) || createp == NULL)
		return;
	/* CREATE SEQUENCE q AS ... -> ALTER SEQUENCE q AS ... */
	if (diff_attr_changed(item, "type") || diff_attr_changed(item, "start") ||
		diff_attr_changed(item, "increment") || diff_attr_changed(item, "minvalue") ||
		diff_attr_changed(item, "maxvalue") || diff_attr_changed(item, "cache") ||
		diff_attr_changed(item, "cycle"))
		diff_add_stepf(ctx, summary, "ALTER SEQUENCE %s", createp);
}

/* A view or function replaced in place: CREATE OR REPLACE. */
static void
emit_or_replace(DiffCtx *ctx, const DiffItem *item, char **summary)
{
	const char *sql = item->b->create_sql;

	if (sql == NULL)
		return;
	if (strncmp(sql, "CREATE VIEW ", 12) == 0)
		diff_add_stepf(ctx, summary, "CREATE OR REPLACE VIEW %s", sql + 12);
	else
	{
		diff_add_step(ctx, pstrdup(sql), *summary, false);
		*summary = NULL;
	}
}

/* Did only the comment, owner or grants of an item change? */
static bool
only_meta_changed(const DiffItem *item)
{
	return !diff_changed_except(item, meta_keys) &&
		((item->a->create_sql == NULL && item->b->create_sql == NULL) ||
		 (item->a->create_sql && item->b->create_sql &&
		  strcmp(item->a->create_sql, item->b->create_sql) == 0));
}

/* An object changed in place, of any kind. */
static void
emit_alter(DiffCtx *ctx, DiffItem *item, char *summary)
{
	const PgmigObject *b = item->b;

	if (diff_is_kind(b, PGMIG_KIND_COLUMN))
	{
		diff_emit_alter_column(ctx, item, summary);
		return;
	}
	if (diff_is_kind(b, PGMIG_KIND_TABLE))
	{
		diff_emit_alter_table(ctx, item, summary);
		return;
	}
	if (!only_meta_changed(item))
	{
		if (diff_is_kind(b, PGMIG_KIND_ENUM) && item->rebuild)
			diff_emit_enum_rebuild(ctx, item, &summary);
		else if (diff_is_kind(b, PGMIG_KIND_ENUM))
			diff_emit_enum_added(ctx, item, &summary);
		else if (diff_is_kind(b, PGMIG_KIND_DOMAIN))
			diff_emit_alter_domain(ctx, item, &summary);
		else if (diff_is_kind(b, PGMIG_KIND_COMPOSITE))
			diff_emit_alter_composite(ctx, item, &summary);
		else if (diff_is_kind(b, PGMIG_KIND_SEQUENCE))
			emit_alter_sequence(ctx, item, &summary);
		else if (diff_is_kind(b, PGMIG_KIND_CONSTRAINT))
			diff_add_stepf(ctx, &summary, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
						   diff_parent_qname(ctx, b), b->name);
		else if (diff_is_kind(b, PGMIG_KIND_EXTENSION))
		{
			if (diff_attr_changed(item, "version"))
				diff_add_stepf(ctx, &summary, "ALTER EXTENSION %s UPDATE TO '%s'",
							   b->name, pgmig_object_attr(b, "version"));
			if (diff_attr_changed(item, "schema"))
				diff_add_stepf(ctx, &summary, "ALTER EXTENSION %s SET SCHEMA %s",
							   b->name, pgmig_object_attr(b, "schema"));
		}
		else
			emit_or_replace(ctx, item, &summary);
	}
	diff_emit_comment(ctx, item->a, b, &summary);
	if (ctx->options->privileges)
		diff_emit_privileges(ctx, item->a, b);
	if (summary)
		pfree(summary);
}

/* What the summary says about an altered column: what changes. */
static char *
column_changes(const DiffItem *item)
{
	static const char *const keys[] = {
		"type", "collation", "not_null", "default", "identity",
		"identity_options", "generated", "comment", NULL
	};
	StringInfoData buf;
	int			k;

	initStringInfo(&buf);
	for (k = 0; keys[k]; k++)
		if (diff_attr_changed(item, keys[k]))
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : " (",
							 strcmp(keys[k], "not_null") == 0 ? "not null" :
							 keys[k]);
	if (buf.len == 0 && item->retype)
		appendStringInfoString(&buf, " (its type is rebuilt");
	else if (buf.len == 0 && item->reset_default)
		appendStringInfoString(&buf, " (its default is set again");
	if (buf.len)
		appendStringInfoChar(&buf, ')');
	return buf.data;
}

/* The one-line summary of what happens to an item in a phase, or NULL. */
static char *
summary_for(const DiffCtx *ctx, const DiffItem *item, DiffPhase phase)
{
	const PgmigObject *o = diff_obj(item);

	if (item->inherited)
		return NULL;
	if (phase == PHASE_DROP && item->state == DIFF_DROPPED)
		return psprintf("dropped %s %s", shown_kind(o), shown_name(o));
	if (phase == PHASE_DROP && (diff_is_kind(o, PGMIG_KIND_TABLE) ||
								(diff_is_kind(o, PGMIG_KIND_COLUMN) &&
								 !pgmig_object_attr(item->a, "generated"))))
		return psprintf("dropped %s %s to create it again: its data is lost",
						shown_kind(o), shown_name(o));
	if (phase != PHASE_MAKE)
		return NULL;
	if (item->state == DIFF_ADDED)
		return psprintf("added %s %s", shown_kind(o), shown_name(o));
	if (item->state == DIFF_REPLACED && item->why >= 0)
		return psprintf("re-created %s %s (%s %s changes)", shown_kind(o),
						shown_name(o), shown_kind(diff_obj(&ctx->items[item->why])),
						shown_name(diff_obj(&ctx->items[item->why])));
	if (item->state == DIFF_REPLACED)
		return psprintf("re-created %s %s", shown_kind(o), shown_name(o));
	if (diff_is_kind(o, PGMIG_KIND_COLUMN))
	{
		char	   *what = column_changes(item);
		char	   *s = psprintf("changed column %s%s", shown_name(o), what);

		pfree(what);
		return s;
	}
	return psprintf("changed %s %s", shown_kind(o), shown_name(o));
}

/* Is a drop of this item one that loses data? */
static bool
drop_destroys(const DiffItem *item)
{
	const PgmigObject *a = item->a;

	if (diff_is_kind(a, PGMIG_KIND_TABLE))
		return true;
	return diff_is_kind(a, PGMIG_KIND_COLUMN) && item->drop_via < 0 &&
		pgmig_object_attr(a, "generated") == NULL;
}

/* Write the statements of an item's phase. */
void
diff_emit(DiffCtx *ctx, DiffItem *item, DiffPhase phase)
{
	char	   *summary = summary_for(ctx, item, phase);

	switch (phase)
	{
		case PHASE_PRE:
			if (diff_is_kind(item->a, PGMIG_KIND_COLUMN))
				diff_emit_column_pre(ctx, item);
			else
				diff_add_stepf(ctx, NULL, "ALTER SEQUENCE %s OWNED BY NONE", item->a->qname);
			break;
		case PHASE_DROP:
			diff_add_step(ctx, drop_sql(ctx, item->a), summary, drop_destroys(item));
			summary = NULL;
			break;
		case PHASE_MAKE:
			if (item->state == DIFF_ALTERED)
				emit_alter(ctx, item, summary);
			else
				emit_create(ctx, item, summary);
			summary = NULL;
			break;
		case PHASE_POST:
			if (item->rebuild)
			{
				char	   *old = diff_enum_old_qname(item->a, true);

				diff_add_stepf(ctx, NULL, "DROP TYPE %s", old);
				pfree(old);
			}
			else if (diff_is_kind(item->b, PGMIG_KIND_SEQUENCE))
			{
				const char *owner = pgmig_object_attr(item->b, "owned_by");
				int			c = diff_find(ctx, owner);

				if (c >= 0)
					diff_add_stepf(ctx, NULL, "ALTER SEQUENCE %s OWNED BY %s.%s", item->b->qname,
								   diff_parent_qname(ctx, diff_obj(&ctx->items[c])),
								   diff_obj(&ctx->items[c])->name);
				else if (item->state == DIFF_ALTERED)
					diff_add_stepf(ctx, NULL, "ALTER SEQUENCE %s OWNED BY NONE", item->b->qname);
			}
			else
				diff_add_stepf(ctx, NULL, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
							   diff_parent_qname(ctx, item->b), item->b->name);
			break;
		case PHASE_COUNT:
			break;
	}
	if (summary)
		pfree(summary);
}

/* Is a view's old column list ("a integer, b text") a prefix of the new? */
static bool
columns_extend(const char *was, const char *now)
{
	size_t		len;

	if (was == NULL || now == NULL)
		return was == now;
	len = strlen(was);
	return strncmp(was, now, len) == 0 && (now[len] == '\0' || now[len] == ',');
}

/* Does anything in "from" depend on this item? */
static bool
has_dependents(const DiffCtx *ctx, const DiffItem *item)
{
	int			i = (int) (item - ctx->items);

	return ctx->dep_start[i + 1] > ctx->dep_start[i];
}

/*
 * How an object that differs changes: in place (ALTERED) or dropped and
 * created again (REPLACED); sets what the change forces on dependents.
 */
bool
diff_strategy(DiffCtx *ctx, DiffItem *item)
{
	const PgmigObject *a = item->a;
	const PgmigObject *b = item->b;

	item->state = DIFF_ALTERED;
	if (strcmp(a->kind, b->kind) != 0)
		item->state = DIFF_REPLACED;
	else if (only_meta_changed(item))
		return true;
	else if (diff_is_kind(b, PGMIG_KIND_TABLE))
	{
		if (diff_attr_changed(item, "relkind") || diff_attr_changed(item, "partition_by"))
			item->state = DIFF_REPLACED;
	}
	else if (diff_is_kind(b, PGMIG_KIND_COLUMN))
	{
		if (pgmig_object_attr(b, "generated") &&
			diff_attr_changed(item, "generated"))
			item->state = DIFF_REPLACED;
		else if (diff_attr_changed(item, "type") || diff_attr_changed(item, "collation"))
			item->forces = true;
	}
	else if (diff_is_kind(b, PGMIG_KIND_ENUM))
		item->rebuild = item->forces = !diff_labels_only_added(a, b);
	else if (diff_is_kind(b, PGMIG_KIND_DOMAIN))
	{
		if (diff_attr_changed(item, "type") || diff_attr_changed(item, "collation"))
			item->state = DIFF_REPLACED;
	}
	else if (diff_is_kind(b, PGMIG_KIND_COMPOSITE))
	{
		if (!has_dependents(ctx, item))
			item->state = DIFF_REPLACED;
		else
			return diff_composite_attrs_keep_types(ctx, item);
	}
	else if (diff_is_kind(b, PGMIG_KIND_VIEW))
	{
		if (diff_attr_changed(item, "options") ||
			!columns_extend(pgmig_object_attr(a, "columns"),
							pgmig_object_attr(b, "columns")))
			item->state = DIFF_REPLACED;
	}
	else if (diff_is_kind(b, PGMIG_KIND_FUNCTION))
	{
		if (diff_attr_changed(item, "result") || diff_attr_changed(item, "kind"))
			item->state = DIFF_REPLACED;
	}
	else if (diff_is_kind(b, PGMIG_KIND_CONSTRAINT))
	{
		const char *was = pgmig_object_attr(a, "def");
		const char *now = pgmig_object_attr(b, "def");
		size_t		len = now ? strlen(now) : 0;

		/* only validated: "... NOT VALID" -> "..." */
		if (!(was && now && strncmp(was, now, len) == 0 &&
			  strcmp(was + len, " NOT VALID") == 0 &&
			  !diff_changed_except(item, (const char *const[]) {"def", NULL})))
			item->state = DIFF_REPLACED;
	}
	else if (!diff_is_kind(b, PGMIG_KIND_SEQUENCE) && !diff_is_kind(b, PGMIG_KIND_SCHEMA) &&
			 !diff_is_kind(b, PGMIG_KIND_EXTENSION))
		item->state = DIFF_REPLACED;
	return true;
}
