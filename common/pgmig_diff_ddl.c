/*-------------------------------------------------------------------------
 *
 * pgmig_diff_ddl.c
 *	  Autogenerate's differ: what each kind of object allows, and the
 *	  statements that drop, create and alter it.
 *
 * A change is made in place where PostgreSQL has an ALTER for it that
 * keeps the data (a column's type, default or NOT NULL, an enum's new
 * values, a view that only gains columns, a function whose result type
 * stays); otherwise the object is dropped and created again, and so are
 * its dependents (pgmig_diff.c).  Tables and columns are composed here
 * from their attributes; the other kinds come with their statements from
 * pgmig.describe().
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include <ctype.h>

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

/* Is the object of this kind? */
static bool
is_kind(const PgmigObject *obj, const char *kind)
{
	return obj != NULL && strcmp(obj->kind, kind) == 0;
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
	if (is_kind(obj, PGMIG_KIND_MATVIEW))
		return "materialized view";
	if (is_kind(obj, PGMIG_KIND_FUNCTION) && diff_attr_is(obj, "kind", "p"))
		return "procedure";
	if (is_kind(obj, PGMIG_KIND_ENUM) || is_kind(obj, PGMIG_KIND_COMPOSITE) ||
		is_kind(obj, PGMIG_KIND_RANGE))
		return "type";
	return obj->kind;
}

/* The qualified name of an object's parent (a column's table). */
static const char *
parent_qname(const DiffCtx *ctx, const PgmigObject *obj)
{
	int			p = diff_find(ctx, obj->parent);

	if (p < 0)
		return obj->parent ? obj->parent : "";
	return diff_obj(&ctx->items[p])->qname;
}

/* The qualified name of the object with this id ("table public.t"). */
static const char *
qname_of(const DiffCtx *ctx, const char *id)
{
	int			i = diff_find(ctx, id);

	if (i < 0)
	{
		const char *space = id ? strchr(id, ' ') : NULL;

		return space ? space + 1 : (id ? id : "");
	}
	return diff_obj(&ctx->items[i])->qname;
}

/* Append a string literal, as quote_literal() writes it. */
static void
append_literal(StringInfo buf, const char *s)
{
	const char *p;

	if (strchr(s, '\\'))
		appendStringInfoChar(buf, 'E');
	appendStringInfoChar(buf, '\'');
	for (p = s; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(buf, *p);
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '\'');
}

/* A name as written in a statement, unquoted ("Order" for "Order"). */
static char *
unquote(const char *name)
{
	StringInfoData buf;
	const char *p;

	if (name[0] != '"')
		return pstrdup(name);
	initStringInfo(&buf);
	for (p = name + 1; *p; p++)
	{
		if (*p == '"')
		{
			if (p[1] != '"')
				break;
			p++;
		}
		appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

/* Append an identifier, quoted unless it is a plain lower-case name. */
static void
append_ident(StringInfo buf, const char *name)
{
	const char *p;
	bool		plain = (name[0] >= 'a' && name[0] <= 'z') || name[0] == '_';

	for (p = name; *p && plain; p++)
		plain = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			*p == '_';
	if (plain)
	{
		appendStringInfoString(buf, name);
		return;
	}
	appendStringInfoChar(buf, '"');
	for (p = name; *p; p++)
	{
		if (*p == '"')
			appendStringInfoChar(buf, '"');
		appendStringInfoChar(buf, *p);
	}
	appendStringInfoChar(buf, '"');
}

/* Add a statement to the result. */
static void
add_step(DiffCtx *ctx, char *sql, char *summary, bool destructive)
{
	PgmigStep  *step;

	if (ctx->nsteps == ctx->capsteps)
	{
		ctx->capsteps = ctx->capsteps ? ctx->capsteps * 2 : 64;
		ctx->steps = ctx->steps ?
			repalloc(ctx->steps, sizeof(PgmigStep) * ctx->capsteps) :
			palloc(sizeof(PgmigStep) * ctx->capsteps);
	}
	step = &ctx->steps[ctx->nsteps++];
	memset(step, 0, sizeof(PgmigStep));
	step->sql = sql;
	step->summary = summary;
	step->destructive = destructive;
}

/* Add a statement given as a format. */
static void
add_stepf(DiffCtx *ctx, char **summary, const char *fmt,...)
pg_attribute_printf(3, 4);

static void
add_stepf(DiffCtx *ctx, char **summary, const char *fmt,...)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	add_step(ctx, buf.data, summary ? *summary : NULL, false);
	if (summary)
		*summary = NULL;		/* the first statement carries it */
}

/* COMMENT ON, when the comment of "b" differs from that of "a". */
static void
emit_comment(DiffCtx *ctx, const PgmigObject *a, const PgmigObject *b,
			 char **summary)
{
	const char *was = pgmig_object_attr(a, "comment");
	const char *now = pgmig_object_attr(b, "comment");
	const char *on = pgmig_object_attr(b, "comment_on");
	StringInfoData buf;

	if (on == NULL || (was == NULL && now == NULL) ||
		(was && now && strcmp(was, now) == 0))
		return;
	initStringInfo(&buf);
	appendStringInfo(&buf, "COMMENT ON %s IS ", on);
	if (now)
		append_literal(&buf, now);
	else
		appendStringInfoString(&buf, "NULL");
	add_step(ctx, buf.data, summary ? *summary : NULL, false);
	if (summary)
		*summary = NULL;
}

/* The letters of an aclitem and the privileges they stand for. */
static const struct
{
	char		letter;
	const char *name;
}			acl_letters[] = {
	{'r', "SELECT"}, {'a', "INSERT"}, {'w', "UPDATE"}, {'d', "DELETE"},
	{'D', "TRUNCATE"}, {'x', "REFERENCES"}, {'t', "TRIGGER"},
	{'X', "EXECUTE"}, {'U', "USAGE"}, {'C', "CREATE"}, {'c', "CONNECT"},
	{'T', "TEMPORARY"}, {'m', "MAINTAIN"}, {'s', "SET"}, {'A', "ALTER SYSTEM"},
	{0, NULL}
};

/* Split an array's text form ("{a,"b c"}") into its elements. */
static int
split_array(const char *text, char ***out)
{
	char	  **v = palloc(sizeof(char *) * (strlen(text) + 1));
	int			n = 0;
	const char *p = text;

	if (*p == '{')
		p++;
	while (*p && *p != '}')
	{
		StringInfoData buf;

		initStringInfo(&buf);
		if (*p == '"')
		{
			for (p++; *p && *p != '"'; p++)
			{
				if (*p == '\\' && p[1])
					p++;
				appendStringInfoChar(&buf, *p);
			}
			if (*p)
				p++;
		}
		else
			for (; *p && *p != ',' && *p != '}'; p++)
				appendStringInfoChar(&buf, *p);
		v[n++] = buf.data;
		if (*p == ',')
			p++;
	}
	*out = v;
	return n;
}

/* Free what split_array returned. */
static void
free_array(char **v, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		pfree(v[i]);
	pfree(v);
}

/* The grantee of an aclitem ("alice=r/bob"), "PUBLIC" when empty. */
static char *
acl_grantee(const char *item, const char **rest)
{
	StringInfoData buf;
	const char *p = item;

	initStringInfo(&buf);
	if (*p == '"')
	{
		appendStringInfoChar(&buf, '"');
		for (p++; *p; p++)
		{
			if (*p == '"' && p[1] == '"')
			{
				appendStringInfoString(&buf, "\"\"");
				p++;
				continue;
			}
			if (*p == '"')
			{
				p++;
				break;
			}
			appendStringInfoChar(&buf, *p);
		}
		appendStringInfoChar(&buf, '"');
	}
	else
		for (; *p && *p != '='; p++)
			appendStringInfoChar(&buf, *p);
	if (*p == '=')
		p++;
	*rest = p;
	if (buf.len == 0)
		appendStringInfoString(&buf, "PUBLIC");
	return buf.data;
}

/* GRANT for one aclitem (alice=rw* by bob): plain, then WITH GRANT OPTION. */
static void
emit_grant(DiffCtx *ctx, const char *item, const char *target,
		   const char *column)
{
	const char *privs;
	char	   *grantee = acl_grantee(item, &privs);
	int			pass;

	for (pass = 0; pass < 2; pass++)
	{
		StringInfoData buf;
		const char *p;

		initStringInfo(&buf);
		for (p = privs; *p && *p != '/'; p++)
		{
			bool		option = p[1] == '*';
			int			k;

			for (k = 0; acl_letters[k].name; k++)
				if (acl_letters[k].letter == *p && option == (pass == 1))
					appendStringInfo(&buf, "%s%s%s%s%s", buf.len ? ", " : "",
									 acl_letters[k].name, column ? " (" : "",
									 column ? column : "", column ? ")" : "");
			if (option)
				p++;
		}
		if (buf.len > 0)
			add_stepf(ctx, NULL, "GRANT %s ON %s TO %s%s", buf.data, target,
					  grantee, pass == 1 ? " WITH GRANT OPTION" : "");
		pfree(buf.data);
	}
	pfree(grantee);
}

/* Owner and grants, when they differ (only described with privileges). */
static void
emit_privileges(DiffCtx *ctx, const PgmigObject *a, const PgmigObject *b)
{
	const char *owner = pgmig_object_attr(b, "owner");
	const char *acl_a = pgmig_object_attr(a, "acl");
	const char *acl_b = pgmig_object_attr(b, "acl");
	const char *target = pgmig_object_attr(b, "grant_target");
	const char *column = NULL;
	char	  **items;
	int			n,
				k;

	if (owner && pgmig_object_attr(b, "alter_target") &&
		(a == NULL || !diff_attr_is(a, "owner", owner)))
		add_stepf(ctx, NULL, "ALTER %s OWNER TO %s",
				  pgmig_object_attr(b, "alter_target"), owner);
	if ((acl_a == NULL && acl_b == NULL) ||
		(acl_a && acl_b && strcmp(acl_a, acl_b) == 0))
		return;
	if (is_kind(b, PGMIG_KIND_COLUMN))
	{
		column = b->name;
		target = psprintf("TABLE %s", parent_qname(ctx, b));
	}
	if (target == NULL)
		return;
	if (a && acl_a)
	{
		add_stepf(ctx, NULL, "REVOKE ALL%s%s%s ON %s FROM PUBLIC",
				  column ? " (" : "", column ? column : "", column ? ")" : "",
				  target);
		n = split_array(acl_a, &items);
		for (k = 0; k < n; k++)
		{
			const char *rest;
			char	   *grantee = acl_grantee(items[k], &rest);

			if (strcmp(grantee, "PUBLIC") != 0)
				add_stepf(ctx, NULL, "REVOKE ALL%s%s%s ON %s FROM %s",
						  column ? " (" : "", column ? column : "",
						  column ? ")" : "", target, grantee);
			pfree(grantee);
		}
		free_array(items, n);
	}
	if (acl_b)
	{
		n = split_array(acl_b, &items);
		for (k = 0; k < n; k++)
			emit_grant(ctx, items[k], target, column);
		free_array(items, n);
	}
	if (column)
		pfree((char *) target);
}

/* Comment and privileges of an object just created. */
static void
emit_extras(DiffCtx *ctx, const PgmigObject *b)
{
	emit_comment(ctx, NULL, b, NULL);
	if (ctx->options->privileges)
		emit_privileges(ctx, NULL, b);
}

/* A column as CREATE TABLE and ADD COLUMN write it. */
static void
append_column(StringInfo buf, const PgmigObject *col)
{
	const char *v;

	appendStringInfo(buf, "%s %s", col->name, pgmig_object_attr(col, "type"));
	if ((v = pgmig_object_attr(col, "collation")) != NULL)
		appendStringInfo(buf, " COLLATE %s", v);
	if ((v = pgmig_object_attr(col, "generated")) != NULL)
		appendStringInfo(buf, " GENERATED ALWAYS AS (%s) STORED", v);
	if ((v = pgmig_object_attr(col, "identity")) != NULL)
	{
		const char *opts = pgmig_object_attr(col, "identity_options");

		appendStringInfo(buf, " GENERATED %s AS IDENTITY",
						 v[0] == 'a' ? "ALWAYS" : "BY DEFAULT");
		if (opts)
			appendStringInfo(buf, " (%s)", opts);
	}
	if ((v = pgmig_object_attr(col, "default")) != NULL)
		appendStringInfo(buf, " DEFAULT %s", v);
	if (diff_attr_is(col, "not_null", "t"))
		appendStringInfoString(buf, " NOT NULL");
}

/* qsort comparator: columns by position. */
static int
column_position_cmp(const void *a, const void *b)
{
	const PgmigObject *x = *(const PgmigObject *const *) a;
	const PgmigObject *y = *(const PgmigObject *const *) b;
	const char *px = pgmig_object_attr(x, "position");
	const char *py = pgmig_object_attr(y, "position");
	int			ix = px ? atoi(px) : 0;
	int			iy = py ? atoi(py) : 0;

	if (ix != iy)
		return ix < iy ? -1 : 1;
	return strcmp(x->id, y->id);
}

/*
 * The items folded into a new table's statement, of one kind: its columns
 * or its constraints ("kind"), found by their ids' common prefix.
 */
static int
folded_items(const DiffCtx *ctx, int table, const char *kind,
			 const PgmigObject ***out)
{
	const DiffItem *t = &ctx->items[table];
	char	   *prefix = psprintf("%s %s.", kind, t->b->qname);
	size_t		len = strlen(prefix);
	const PgmigObject **v = NULL;
	int			n = 0,
				cap = 0,
				lo = 0,
				hi = ctx->nitems;

	while (lo < hi)				/* the first id >= prefix */
	{
		int			mid = lo + (hi - lo) / 2;

		if (strcmp(ctx->items[mid].id, prefix) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < ctx->nitems && strncmp(ctx->items[lo].id, prefix, len) == 0; lo++)
	{
		if (ctx->items[lo].fold_into != table)
			continue;
		if (n == cap)
		{
			cap = cap ? cap * 2 : 16;
			v = v ? repalloc(v, sizeof(PgmigObject *) * cap) :
				palloc(sizeof(PgmigObject *) * cap);
		}
		v[n++] = ctx->items[lo].b;
	}
	pfree(prefix);
	if (n > 1 && strcmp(kind, PGMIG_KIND_COLUMN) == 0)
		qsort(v, n, sizeof(PgmigObject *), column_position_cmp);
	*out = v;
	return n;
}

/* Append "WITH (a=1, b=2)" for reloptions given as an array's text. */
static void
append_options(StringInfo buf, const char *options)
{
	char	  **v;
	int			n = split_array(options, &v),
				k;

	appendStringInfoString(buf, " WITH (");
	for (k = 0; k < n; k++)
		appendStringInfo(buf, "%s%s", k ? ", " : "", v[k]);
	appendStringInfoChar(buf, ')');
	free_array(v, n);
}

/* The part of CREATE TABLE after the column list. */
static void
append_table_tail(const DiffCtx *ctx, StringInfo buf, const PgmigObject *t)
{
	const char *v;
	int			k;

	for (k = 1;; k++)
	{
		char		key[32];

		snprintf(key, sizeof(key), "inherits.%d", k);
		if ((v = pgmig_object_attr(t, key)) == NULL)
			break;
		appendStringInfo(buf, "%s%s", k == 1 ? " INHERITS (" : ", ",
						 qname_of(ctx, v));
	}
	if (k > 1)
		appendStringInfoChar(buf, ')');
	if ((v = pgmig_object_attr(t, "partition_bound")) != NULL)
		appendStringInfo(buf, " %s", v);
	if ((v = pgmig_object_attr(t, "partition_by")) != NULL)
		appendStringInfo(buf, " PARTITION BY %s", v);
	if ((v = pgmig_object_attr(t, "access_method")) != NULL)
		appendStringInfo(buf, " USING %s", v);
	if ((v = pgmig_object_attr(t, "options")) != NULL)
		append_options(buf, v);
}

/* CREATE TABLE, with its columns and simple constraints. */
static void
emit_create_table(DiffCtx *ctx, int table, char **summary)
{
	const PgmigObject *t = ctx->items[table].b;
	const PgmigObject **cols;
	const PgmigObject **cons;
	int			ncols = folded_items(ctx, table, PGMIG_KIND_COLUMN, &cols);
	int			ncons = folded_items(ctx, table, PGMIG_KIND_CONSTRAINT, &cons);
	const char *parent = pgmig_object_attr(t, "partition_of");
	StringInfoData buf;
	int			k;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE %sTABLE %s",
					 diff_attr_is(t, "persistence", "u") ? "UNLOGGED " : "",
					 t->qname);
	if (parent)
		appendStringInfo(&buf, " PARTITION OF %s", qname_of(ctx, parent));
	if (!parent || ncons > 0)
		appendStringInfoString(&buf, " (");
	for (k = 0; k < ncols + ncons; k++)
	{
		appendStringInfo(&buf, "%s\n    ", k ? "," : "");
		if (k < ncols)
			append_column(&buf, cols[k]);
		else
			appendStringInfo(&buf, "CONSTRAINT %s %s", cons[k - ncols]->name,
							 pgmig_object_attr(cons[k - ncols], "def"));
	}
	if (!parent || ncons > 0)
		appendStringInfoString(&buf, k ? "\n)" : ")");
	append_table_tail(ctx, &buf, t);
	add_step(ctx, buf.data, *summary, false);
	*summary = NULL;
	if (diff_attr_is(t, "rls", "t"))
		add_stepf(ctx, NULL, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY", t->qname);
	if (diff_attr_is(t, "rls_forced", "t"))
		add_stepf(ctx, NULL, "ALTER TABLE %s FORCE ROW LEVEL SECURITY", t->qname);
	emit_extras(ctx, t);
	for (k = 0; k < ncols; k++)
		emit_extras(ctx, cols[k]);
	for (k = 0; k < ncons; k++)
		emit_extras(ctx, cons[k]);
	if (cols)
		pfree(cols);
	if (cons)
		pfree(cons);
}

/* Is this table, in "from", kept (not new, not re-created)? */
static bool
table_kept(const DiffCtx *ctx, const char *id)
{
	int			i = diff_find(ctx, id);

	return i >= 0 && ctx->items[i].a != NULL &&
		(ctx->items[i].state == DIFF_SAME || ctx->items[i].state == DIFF_ALTERED);
}

/*
 * With --concurrently: is this new foreign key or check, on a table that
 * already has rows, added NOT VALID and validated afterwards?
 */
bool
diff_validates_later(const DiffCtx *ctx, const DiffItem *item)
{
	const PgmigObject *b = item->b;
	const char *type = pgmig_object_attr(b, "type");
	const char *def = pgmig_object_attr(b, "def");

	return ctx->options->concurrently && is_kind(b, PGMIG_KIND_CONSTRAINT) &&
		(item->state == DIFF_ADDED || item->state == DIFF_REPLACED) &&
		type && (type[0] == 'f' || type[0] == 'c') && def &&
		strstr(def, "NOT VALID") == NULL && table_kept(ctx, b->parent);
}

/* With --concurrently: is this new index built CONCURRENTLY? */
static bool
index_online(const DiffCtx *ctx, const DiffItem *item)
{
	const PgmigObject *b = item->b;
	const char *def = b->create_sql;

	if (!ctx->options->concurrently || !is_kind(b, PGMIG_KIND_INDEX) ||
		def == NULL || !table_kept(ctx, b->parent))
		return false;
	/* something created in the transaction may need it */
	{
		int			i;

		for (i = 0; i < ctx->nitems; i++)
		{
			const DiffItem *o = &ctx->items[i];
			int			d;

			if (o->b == NULL || o->state == DIFF_SAME)
				continue;
			for (d = 0; d < o->b->ndeps; d++)
				if (strcmp(o->b->deps[d], item->id) == 0)
					return false;
		}
	}
	return strncmp(def, "CREATE INDEX ", 13) == 0 ||
		strncmp(def, "CREATE UNIQUE INDEX ", 20) == 0;
}

/* CREATE INDEX CONCURRENTLY, to run outside a transaction block. */
static void
emit_online_index(DiffCtx *ctx, const PgmigObject *b, char *summary)
{
	const char *def = b->create_sql;
	size_t		head = strncmp(def, "CREATE INDEX ", 13) == 0 ? 12 : 19;
	PgmigStep  *step;

	add_step(ctx, psprintf("%.*s CONCURRENTLY%s", (int) head, def, def + head),
			 summary, false);
	step = &ctx->steps[ctx->nsteps - 1];
	step->online = true;
	step->revert_sql = psprintf("DROP INDEX CONCURRENTLY %s", b->qname);
	if (pgmig_object_attr(b, "comment"))
	{
		emit_comment(ctx, NULL, b, NULL);
		ctx->steps[ctx->nsteps - 1].online = true;
	}
}

/* The statement that creates an object, and what follows it. */
static void
emit_create(DiffCtx *ctx, DiffItem *item, char *summary)
{
	const PgmigObject *b = item->b;
	int			self = (int) (item - ctx->items);

	if (is_kind(b, PGMIG_KIND_TABLE))
		emit_create_table(ctx, self, &summary);
	else if (is_kind(b, PGMIG_KIND_COLUMN))
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfo(&buf, "ALTER TABLE %s ADD COLUMN ", parent_qname(ctx, b));
		append_column(&buf, b);
		add_step(ctx, buf.data, summary, false);
		emit_extras(ctx, b);
	}
	else if (is_kind(b, PGMIG_KIND_CONSTRAINT))
	{
		add_stepf(ctx, &summary, "ALTER TABLE %s ADD CONSTRAINT %s %s%s",
				  parent_qname(ctx, b), b->name, pgmig_object_attr(b, "def"),
				  diff_validates_later(ctx, item) ? " NOT VALID" : "");
		emit_extras(ctx, b);
	}
	else if (index_online(ctx, item))
		emit_online_index(ctx, b, summary);
	else if (b->create_sql)
	{
		add_step(ctx, pstrdup(b->create_sql), summary, false);
		emit_extras(ctx, b);
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
	if (is_kind(a, PGMIG_KIND_COLUMN))
		return psprintf("ALTER TABLE %s DROP COLUMN %s", parent_qname(ctx, a),
						a->name);
	if (is_kind(a, PGMIG_KIND_CONSTRAINT))
		return psprintf("ALTER TABLE %s DROP CONSTRAINT %s",
						parent_qname(ctx, a), a->name);
	if (is_kind(a, PGMIG_KIND_TABLE))
		return psprintf("DROP TABLE %s", a->qname);
	return psprintf("DROP %s %s", shown_kind(a), a->qname);
}

/* Can a change from one column type to another lose data? */
static bool
type_narrows(const char *from, const char *to)
{
	static const char *const ints[] = {"smallint", "integer", "bigint", "numeric", NULL};
	int			fi = -1,
				ti = -1,
				k;
	int			n1,
				n2,
				s1,
				s2;

	if (strcmp(from, to) == 0 || strcmp(to, "text") == 0)
		return false;
	for (k = 0; ints[k]; k++)
	{
		if (strcmp(from, ints[k]) == 0)
			fi = k;
		if (strcmp(to, ints[k]) == 0)
			ti = k;
	}
	if (fi >= 0 && ti >= 0)
		return ti < fi;
	if (strcmp(from, "real") == 0 && strcmp(to, "double precision") == 0)
		return false;
	if (strcmp(from, "timestamp without time zone") == 0 &&
		strcmp(to, "timestamp with time zone") == 0)
		return false;
	if (strncmp(from, "character varying", 17) == 0 &&
		strcmp(to, "character varying") == 0)
		return false;
	if (sscanf(from, "character varying(%d)", &n1) == 1 &&
		sscanf(to, "character varying(%d)", &n2) == 1)
		return n2 < n1;
	if (strncmp(from, "numeric(", 8) == 0 && strcmp(to, "numeric") == 0)
		return false;
	if (sscanf(from, "numeric(%d,%d)", &n1, &s1) == 2 &&
		sscanf(to, "numeric(%d,%d)", &n2, &s2) == 2)
		return s2 < s1 || n2 - s2 < n1 - s1;
	return true;
}

/* The ALTER TABLE ... ALTER COLUMN ... TYPE of a column. */
static void
emit_column_type(DiffCtx *ctx, const DiffItem *item, const char *table,
				 char **summary)
{
	const PgmigObject *b = item->b;
	const char *type = pgmig_object_attr(b, "type");
	const char *coll = pgmig_object_attr(b, "collation");
	const char *was = pgmig_object_attr(item->a, "type");
	bool		array = strlen(type) > 2 && strcmp(type + strlen(type) - 2, "[]") == 0;
	bool		narrows = !item->retype && type_narrows(was, type);
	char	   *sql;

	if (item->retype)
		sql = psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s::text%s::%s",
					   table, b->name, type, b->name, array ? "[]" : "", type);
	else
		sql = psprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s%s%s USING %s::%s",
					   table, b->name, type, coll ? " COLLATE " : "",
					   coll ? coll : "", b->name, type);
	if (narrows && *summary)
	{
		char	   *s = psprintf("%s: the type changes from %s to %s and values can be lost",
								 *summary, was, type);

		pfree(*summary);
		*summary = s;
	}
	add_step(ctx, sql, *summary, narrows);
	*summary = NULL;
}

/*
 * Sequence options as ALTER COLUMN ... SET writes them: "START WITH 1
 * INCREMENT BY 1 NO CYCLE" -> " SET START WITH 1 SET INCREMENT BY 1 SET NO
 * CYCLE".
 */
static void
append_set_options(StringInfo buf, const char *opts)
{
	static const struct
	{
		const char *head;
		int			words;
	}			options[] = {
		{"START WITH ", 3}, {"INCREMENT BY ", 3}, {"NO MINVALUE", 2},
		{"NO MAXVALUE", 2}, {"NO CYCLE", 2}, {"MINVALUE ", 2},
		{"MAXVALUE ", 2}, {"CACHE ", 2}, {"CYCLE", 1}, {NULL, 0}
	};
	const char *p = opts;

	while (*p)
	{
		int			words = 1,
					k;
		const char *end = p;

		for (k = 0; options[k].head; k++)
			if (strncmp(p, options[k].head, strlen(options[k].head)) == 0)
			{
				words = options[k].words;
				break;
			}
		while (words-- > 0)
		{
			end += strcspn(end, " ");
			if (words > 0 && *end == ' ')
				end++;
		}
		appendStringInfo(buf, " SET %.*s", (int) (end - p), p);
		p = *end == ' ' ? end + 1 : end;
	}
}

/* The identity of a column, changed in place. */
static void
emit_column_identity(DiffCtx *ctx, const DiffItem *item, const char *table)
{
	const PgmigObject *b = item->b;
	const char *was = pgmig_object_attr(item->a, "identity");
	const char *now = pgmig_object_attr(b, "identity");
	const char *opts = pgmig_object_attr(b, "identity_options");

	if (now == NULL || (was == NULL && now == NULL))
		return;
	if (was == NULL)
	{
		add_stepf(ctx, NULL, "ALTER TABLE %s ALTER COLUMN %s ADD GENERATED %s AS IDENTITY%s%s%s",
				  table, b->name, now[0] == 'a' ? "ALWAYS" : "BY DEFAULT",
				  opts ? " (" : "", opts ? opts : "", opts ? ")" : "");
		return;
	}
	if (strcmp(was, now) != 0)
		add_stepf(ctx, NULL, "ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s",
				  table, b->name, now[0] == 'a' ? "ALWAYS" : "BY DEFAULT");
	if (opts && diff_attr_changed(item, "identity_options"))
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfo(&buf, "ALTER TABLE %s ALTER COLUMN %s", table, b->name);
		append_set_options(&buf, opts);
		add_step(ctx, buf.data, NULL, false);
	}
}

/* The DROP DEFAULT that runs before what the default uses changes. */
static void
emit_column_pre(DiffCtx *ctx, const DiffItem *item)
{
	add_stepf(ctx, NULL, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT",
			  parent_qname(ctx, item->a), item->a->name);
}

/* A column changed in place. */
static void
emit_alter_column(DiffCtx *ctx, DiffItem *item, char *summary)
{
	const PgmigObject *b = item->b;
	const char *table = parent_qname(ctx, b);
	const char *dflt = pgmig_object_attr(b, "default");

	if (pgmig_object_attr(item->a, "generated") && !pgmig_object_attr(b, "generated"))
		add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s DROP EXPRESSION",
				  table, b->name);
	if (pgmig_object_attr(item->a, "identity") && !pgmig_object_attr(b, "identity"))
		add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY",
				  table, b->name);
	if (item->retype || diff_attr_changed(item, "type") ||
		diff_attr_changed(item, "collation"))
		emit_column_type(ctx, item, table, &summary);
	if (diff_attr_changed(item, "not_null"))
		add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s %s NOT NULL",
				  table, b->name, pgmig_object_attr(b, "not_null") ? "SET" : "DROP");
	if (dflt && (item->node[PHASE_PRE] >= 0 || diff_attr_changed(item, "default")))
		add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s",
				  table, b->name, dflt);
	else if (!dflt && item->node[PHASE_PRE] < 0 && diff_attr_changed(item, "default"))
		add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT",
				  table, b->name);
	emit_column_identity(ctx, item, table);
	emit_comment(ctx, item->a, b, &summary);
	if (ctx->options->privileges)
		emit_privileges(ctx, item->a, b);
	if (summary)
		pfree(summary);
}

/* Do the reloptions of a table differ? SET and RESET them. */
static void
emit_table_options(DiffCtx *ctx, const DiffItem *item)
{
	const char *was = pgmig_object_attr(item->a, "options");
	const char *now = pgmig_object_attr(item->b, "options");
	char	  **va = NULL,
			  **vb = NULL;
	int			na = was ? split_array(was, &va) : 0;
	int			nb = now ? split_array(now, &vb) : 0;
	StringInfoData reset;
	int			i,
				j;

	if (!diff_attr_changed(item, "options"))
		return;
	initStringInfo(&reset);
	for (i = 0; i < na; i++)
	{
		size_t		klen = strcspn(va[i], "=");
		bool		kept = false;

		for (j = 0; j < nb; j++)
			kept |= strncmp(va[i], vb[j], klen + 1) == 0;
		if (!kept)
			appendStringInfo(&reset, "%s%.*s", reset.len ? ", " : "", (int) klen, va[i]);
	}
	if (reset.len)
		add_stepf(ctx, NULL, "ALTER TABLE %s RESET (%s)", item->b->qname, reset.data);
	if (nb > 0)
	{
		StringInfoData set;

		initStringInfo(&set);
		append_options(&set, now);
		/* " WITH (a=1)" -> "SET (a=1)" */
		add_stepf(ctx, NULL, "ALTER TABLE %s SET %s", item->b->qname, set.data + 6);
		pfree(set.data);
	}
	pfree(reset.data);
	if (va)
		free_array(va, na);
	if (vb)
		free_array(vb, nb);
}

/* The parents a table inherits from, as a NULL-terminated list of ids. */
static bool
inherits_from(const PgmigObject *t, const char *id)
{
	int			k;

	for (k = 1;; k++)
	{
		char		key[32];
		const char *v;

		snprintf(key, sizeof(key), "inherits.%d", k);
		if ((v = pgmig_object_attr(t, key)) == NULL)
			return false;
		if (strcmp(v, id) == 0)
			return true;
	}
}

/* INHERIT and NO INHERIT for the parents that change. */
static void
emit_table_inherits(DiffCtx *ctx, const DiffItem *item)
{
	const PgmigObject *sides[2] = {item->a, item->b};
	int			s,
				k;

	for (s = 0; s < 2; s++)
		for (k = 1;; k++)
		{
			char		key[32];
			const char *v;

			snprintf(key, sizeof(key), "inherits.%d", k);
			if ((v = pgmig_object_attr(sides[s], key)) == NULL)
				break;
			if (!inherits_from(sides[1 - s], v))
				add_stepf(ctx, NULL, "ALTER TABLE %s %sINHERIT %s", item->b->qname,
						  s == 0 ? "NO " : "", qname_of(ctx, v));
		}
}

/* A table changed in place. */
static void
emit_alter_table(DiffCtx *ctx, DiffItem *item, char *summary)
{
	const PgmigObject *a = item->a;
	const PgmigObject *b = item->b;
	const char *q = b->qname;

	if (diff_attr_changed(item, "partition_of") ||
		diff_attr_changed(item, "partition_bound"))
	{
		if (pgmig_object_attr(a, "partition_of"))
			add_stepf(ctx, &summary, "ALTER TABLE %s DETACH PARTITION %s",
					  qname_of(ctx, pgmig_object_attr(a, "partition_of")), q);
		if (pgmig_object_attr(b, "partition_of"))
			add_stepf(ctx, &summary, "ALTER TABLE %s ATTACH PARTITION %s %s",
					  qname_of(ctx, pgmig_object_attr(b, "partition_of")), q,
					  pgmig_object_attr(b, "partition_bound"));
	}
	if (diff_attr_changed(item, "persistence"))
		add_stepf(ctx, &summary, "ALTER TABLE %s SET %s", q,
				  diff_attr_is(b, "persistence", "u") ? "UNLOGGED" : "LOGGED");
	if (diff_attr_changed(item, "access_method"))
		add_stepf(ctx, &summary, "ALTER TABLE %s SET ACCESS METHOD %s", q,
				  pgmig_object_attr(b, "access_method") ?
				  pgmig_object_attr(b, "access_method") : "heap");
	if (diff_attr_changed(item, "rls"))
		add_stepf(ctx, &summary, "ALTER TABLE %s %s ROW LEVEL SECURITY", q,
				  diff_attr_is(b, "rls", "t") ? "ENABLE" : "DISABLE");
	if (diff_attr_changed(item, "rls_forced"))
		add_stepf(ctx, &summary, "ALTER TABLE %s %sFORCE ROW LEVEL SECURITY", q,
				  diff_attr_is(b, "rls_forced", "t") ? "" : "NO ");
	emit_table_options(ctx, item);
	emit_table_inherits(ctx, item);
	emit_comment(ctx, a, b, &summary);
	if (ctx->options->privileges)
		emit_privileges(ctx, a, b);
	if (summary)
		pfree(summary);
}

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
static bool
labels_only_added(const PgmigObject *a, const PgmigObject *b)
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
	append_literal(&buf, label);
	if (other)
	{
		appendStringInfo(&buf, " %s ", where);
		append_literal(&buf, other);
	}
	add_step(ctx, buf.data, *summary, false);
	*summary = NULL;
}

/*
 * The values added to an enum: those before its first old value each
 * BEFORE the next one (last first), the others AFTER the one before.
 */
static void
emit_enum_added(DiffCtx *ctx, const DiffItem *item, char **summary)
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
static char *
enum_old_qname(const PgmigObject *e, bool qualified)
{
	char	   *bare = unquote(e->name);
	char	   *old = psprintf("%s__pgmig_old", bare);
	StringInfoData buf;
	size_t		qlen = strlen(e->qname),
				nlen = strlen(e->name);

	initStringInfo(&buf);
	if (qualified && qlen > nlen)
		appendBinaryStringInfo(&buf, e->qname, (int) (qlen - nlen));
	append_ident(&buf, old);
	pfree(bare);
	pfree(old);
	return buf.data;
}

/* An enum whose values are removed or reordered: rebuilt under its name. */
static void
emit_enum_rebuild(DiffCtx *ctx, const DiffItem *item, char **summary)
{
	const char **la;
	const char **lb;
	int			na = enum_labels(item->a, &la);
	int			nb = enum_labels(item->b, &lb);
	bool		lost = false;
	char	   *old = enum_old_qname(item->a, false);
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
	add_step(ctx, psprintf("ALTER TYPE %s RENAME TO %s", item->a->qname, old),
			 *summary, lost);
	*summary = NULL;
	add_step(ctx, pstrdup(item->b->create_sql), NULL, false);
	pfree(old);
	pfree(la);
	pfree(lb);
}

/* A domain changed in place: default, NOT NULL, checks. */
static void
emit_alter_domain(DiffCtx *ctx, const DiffItem *item, char **summary)
{
	const PgmigObject *sides[2] = {item->a, item->b};
	const char *q = item->b->qname;
	int			s,
				k;

	if (diff_attr_changed(item, "default"))
	{
		const char *d = pgmig_object_attr(item->b, "default");

		add_stepf(ctx, summary, "ALTER DOMAIN %s %s%s", q,
				  d ? "SET DEFAULT " : "DROP DEFAULT", d ? d : "");
	}
	if (diff_attr_changed(item, "not_null"))
		add_stepf(ctx, summary, "ALTER DOMAIN %s %s NOT NULL", q,
				  pgmig_object_attr(item->b, "not_null") ? "SET" : "DROP");
	/* checks: dropped (or changed) first, then added (or changed) */
	for (s = 0; s < 2; s++)
		for (k = 0; k < sides[s]->nattrs; k++)
		{
			const char *key = sides[s]->attr_keys[k];

			if (strncmp(key, "check.", 6) != 0 || !diff_attr_changed(item, key))
				continue;
			if (s == 0)
				add_stepf(ctx, summary, "ALTER DOMAIN %s DROP CONSTRAINT %s", q, key + 6);
			else
				add_stepf(ctx, summary, "ALTER DOMAIN %s ADD CONSTRAINT %s %s", q,
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

/* A composite type that columns use, changed with ALTER TYPE. */
static void
emit_alter_composite(DiffCtx *ctx, const DiffItem *item, char **summary)
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
			add_stepf(ctx, summary, "ALTER TYPE %s DROP ATTRIBUTE %.*s", q,
					  attr_name_len(def), def);
		else if (strcmp(now, def) != 0)
			add_stepf(ctx, summary, "ALTER TYPE %s ALTER ATTRIBUTE %.*s TYPE%s", q,
					  attr_name_len(now), now, now + attr_name_len(now));
	}
	for (k = 0; k < item->b->nattrs; k++)
	{
		const char *def = item->b->attr_values[k];

		if (strncmp(item->b->attr_keys[k], "attr.", 5) == 0 &&
			composite_attr(item->a, def) == NULL)
			add_stepf(ctx, summary, "ALTER TYPE %s ADD ATTRIBUTE %s", q, def);
	}
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
		add_stepf(ctx, summary, "ALTER SEQUENCE %s", createp);
}

/* A view or function replaced in place: CREATE OR REPLACE. */
static void
emit_or_replace(DiffCtx *ctx, const DiffItem *item, char **summary)
{
	const char *sql = item->b->create_sql;

	if (sql == NULL)
		return;
	if (strncmp(sql, "CREATE VIEW ", 12) == 0)
		add_stepf(ctx, summary, "CREATE OR REPLACE VIEW %s", sql + 12);
	else
	{
		add_step(ctx, pstrdup(sql), *summary, false);
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

	if (is_kind(b, PGMIG_KIND_COLUMN))
	{
		emit_alter_column(ctx, item, summary);
		return;
	}
	if (is_kind(b, PGMIG_KIND_TABLE))
	{
		emit_alter_table(ctx, item, summary);
		return;
	}
	if (!only_meta_changed(item))
	{
		if (is_kind(b, PGMIG_KIND_ENUM) && item->rebuild)
			emit_enum_rebuild(ctx, item, &summary);
		else if (is_kind(b, PGMIG_KIND_ENUM))
			emit_enum_added(ctx, item, &summary);
		else if (is_kind(b, PGMIG_KIND_DOMAIN))
			emit_alter_domain(ctx, item, &summary);
		else if (is_kind(b, PGMIG_KIND_COMPOSITE))
			emit_alter_composite(ctx, item, &summary);
		else if (is_kind(b, PGMIG_KIND_SEQUENCE))
			emit_alter_sequence(ctx, item, &summary);
		else if (is_kind(b, PGMIG_KIND_CONSTRAINT))
			add_stepf(ctx, &summary, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
					  parent_qname(ctx, b), b->name);
		else if (is_kind(b, PGMIG_KIND_EXTENSION))
		{
			if (diff_attr_changed(item, "version"))
				add_stepf(ctx, &summary, "ALTER EXTENSION %s UPDATE TO '%s'",
						  b->name, pgmig_object_attr(b, "version"));
			if (diff_attr_changed(item, "schema"))
				add_stepf(ctx, &summary, "ALTER EXTENSION %s SET SCHEMA %s",
						  b->name, pgmig_object_attr(b, "schema"));
		}
		else
			emit_or_replace(ctx, item, &summary);
	}
	emit_comment(ctx, item->a, b, &summary);
	if (ctx->options->privileges)
		emit_privileges(ctx, item->a, b);
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
	if (phase == PHASE_DROP && (is_kind(o, PGMIG_KIND_TABLE) ||
								(is_kind(o, PGMIG_KIND_COLUMN) &&
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
	if (is_kind(o, PGMIG_KIND_COLUMN))
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

	if (is_kind(a, PGMIG_KIND_TABLE))
		return true;
	return is_kind(a, PGMIG_KIND_COLUMN) && item->drop_via < 0 &&
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
			if (is_kind(item->a, PGMIG_KIND_COLUMN))
				emit_column_pre(ctx, item);
			else
				add_stepf(ctx, NULL, "ALTER SEQUENCE %s OWNED BY NONE", item->a->qname);
			break;
		case PHASE_DROP:
			add_step(ctx, drop_sql(ctx, item->a), summary, drop_destroys(item));
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
				char	   *old = enum_old_qname(item->a, true);

				add_stepf(ctx, NULL, "DROP TYPE %s", old);
				pfree(old);
			}
			else if (is_kind(item->b, PGMIG_KIND_SEQUENCE))
			{
				const char *owner = pgmig_object_attr(item->b, "owned_by");
				int			c = diff_find(ctx, owner);

				if (c >= 0)
					add_stepf(ctx, NULL, "ALTER SEQUENCE %s OWNED BY %s.%s", item->b->qname,
							  parent_qname(ctx, diff_obj(&ctx->items[c])),
							  diff_obj(&ctx->items[c])->name);
				else if (item->state == DIFF_ALTERED)
					add_stepf(ctx, NULL, "ALTER SEQUENCE %s OWNED BY NONE", item->b->qname);
			}
			else
				add_stepf(ctx, NULL, "ALTER TABLE %s VALIDATE CONSTRAINT %s",
						  parent_qname(ctx, item->b), item->b->name);
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
	else if (is_kind(b, PGMIG_KIND_TABLE))
	{
		if (diff_attr_changed(item, "relkind") || diff_attr_changed(item, "partition_by"))
			item->state = DIFF_REPLACED;
	}
	else if (is_kind(b, PGMIG_KIND_COLUMN))
	{
		if (pgmig_object_attr(b, "generated") &&
			diff_attr_changed(item, "generated"))
			item->state = DIFF_REPLACED;
		else if (diff_attr_changed(item, "type") || diff_attr_changed(item, "collation"))
			item->forces = true;
	}
	else if (is_kind(b, PGMIG_KIND_ENUM))
		item->rebuild = item->forces = !labels_only_added(a, b);
	else if (is_kind(b, PGMIG_KIND_DOMAIN))
	{
		if (diff_attr_changed(item, "type") || diff_attr_changed(item, "collation"))
			item->state = DIFF_REPLACED;
	}
	else if (is_kind(b, PGMIG_KIND_COMPOSITE))
	{
		if (!has_dependents(ctx, item))
			item->state = DIFF_REPLACED;
	}
	else if (is_kind(b, PGMIG_KIND_VIEW))
	{
		if (diff_attr_changed(item, "options") ||
			!columns_extend(pgmig_object_attr(a, "columns"),
							pgmig_object_attr(b, "columns")))
			item->state = DIFF_REPLACED;
	}
	else if (is_kind(b, PGMIG_KIND_FUNCTION))
	{
		if (diff_attr_changed(item, "result") || diff_attr_changed(item, "kind"))
			item->state = DIFF_REPLACED;
	}
	else if (is_kind(b, PGMIG_KIND_CONSTRAINT))
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
	else if (!is_kind(b, PGMIG_KIND_SEQUENCE) && !is_kind(b, PGMIG_KIND_SCHEMA) &&
			 !is_kind(b, PGMIG_KIND_EXTENSION))
		item->state = DIFF_REPLACED;
	return true;
}

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
			if (is_kind(new->b, PGMIG_KIND_COLUMN) && columns_alike(gone->a, new->b) &&
				table_kept(ctx, new->b->parent))
				add_rename(ctx, psprintf("ALTER TABLE %s RENAME COLUMN %s TO %s",
										 parent_qname(ctx, new->b), gone->a->name,
										 new->b->name));
			else if (is_kind(new->b, PGMIG_KIND_TABLE))
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
