/*-------------------------------------------------------------------------
 *
 * pgmig_diff_table.c
 *	  Autogenerate's differ: the statements of tables and columns.
 *
 * Tables and columns are composed from their attributes (the other kinds
 * come with their statements from pgmig.describe()): CREATE TABLE with
 * its columns and simple constraints, ADD COLUMN, and the changes made in
 * place: a column's type, NOT NULL, default and identity; a table's
 * partition, persistence, access method, row level security, options and
 * parents.  With --concurrently, a new index on a table that stays is
 * built CONCURRENTLY, and a new foreign key or check on it is added NOT
 * VALID and validated afterwards.
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

/*
 * " GENERATED ... AS IDENTITY (SEQUENCE NAME s START WITH ...)": the
 * sequence named, since a renamed table keeps its sequence's old name.
 */
static void
append_identity(StringInfo buf, const PgmigObject *col)
{
	const char *kind = pgmig_object_attr(col, "identity");
	const char *seq = pgmig_object_attr(col, "identity_sequence");
	const char *opts = pgmig_object_attr(col, "identity_options");

	appendStringInfo(buf, " GENERATED %s AS IDENTITY",
					 kind[0] == 'a' ? "ALWAYS" : "BY DEFAULT");
	if (seq || opts)
		appendStringInfo(buf, " (%s%s%s%s)", seq ? "SEQUENCE NAME " : "",
						 seq ? seq : "", seq && opts ? " " : "", opts ? opts : "");
}

/* Where the last name of a qualified name starts (after its last dot). */
static const char *
last_name(const char *qname)
{
	const char *last = qname;
	bool		quoted = false;
	const char *p;

	for (p = qname; *p; p++)
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '.' && !quoted)
			last = p + 1;
	return last;
}

/* An identity column's sequence renamed (or moved) from "was" to "now". */
static void
emit_sequence_rename(DiffCtx *ctx, const char *was, const char *now)
{
	const char *was_name = last_name(was);
	const char *now_name = last_name(now);
	int			was_schema = (int) (was_name - was);
	int			now_schema = (int) (now_name - now);

	if (was_schema != now_schema || strncmp(was, now, was_schema) != 0)
		diff_add_stepf(ctx, NULL, "ALTER SEQUENCE %s SET SCHEMA %.*s", was,
					   now_schema - 1, now);
	if (strcmp(was_name, now_name) != 0)
		diff_add_stepf(ctx, NULL, "ALTER SEQUENCE %.*s%s RENAME TO %s",
					   now_schema, now, was_name, now_name);
}

/* A column as CREATE TABLE and ADD COLUMN write it. */
void
diff_append_column(StringInfo buf, const PgmigObject *col)
{
	const char *v;

	appendStringInfo(buf, "%s %s", col->name, pgmig_object_attr(col, "type"));
	if ((v = pgmig_object_attr(col, "collation")) != NULL)
		appendStringInfo(buf, " COLLATE %s", v);
	if ((v = pgmig_object_attr(col, "generated")) != NULL)
		appendStringInfo(buf, " GENERATED ALWAYS AS (%s) STORED", v);
	if (pgmig_object_attr(col, "identity") != NULL)
		append_identity(buf, col);
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

/* Append " WITH (a=1, b=2)" for reloptions ("a=1, b=2"). */
static void
append_options(StringInfo buf, const char *options)
{
	appendStringInfo(buf, " WITH (%s)", options);
}

/* Split reloptions ("a=1, b=2") into their items ("a=1", "b=2"). */
static int
split_options(const char *options, char ***out)
{
	char	  **v = palloc(sizeof(char *) * (strlen(options) + 1));
	int			n = 0;
	const char *p = options;

	while (*p)
	{
		size_t		len = strcspn(p, ",");

		while (*p == ' ')
			p++, len--;
		v[n++] = pnstrdup(p, len);
		p += len;
		if (*p == ',')
			p++;
	}
	*out = v;
	return n;
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
						 diff_qname_of(ctx, v));
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
void
diff_emit_create_table(DiffCtx *ctx, int table, char **summary)
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
		appendStringInfo(&buf, " PARTITION OF %s", diff_qname_of(ctx, parent));
	if (!parent || ncons > 0)
		appendStringInfoString(&buf, " (");
	for (k = 0; k < ncols + ncons; k++)
	{
		appendStringInfo(&buf, "%s\n    ", k ? "," : "");
		if (k < ncols)
			diff_append_column(&buf, cols[k]);
		else
			appendStringInfo(&buf, "CONSTRAINT %s %s", cons[k - ncols]->name,
							 pgmig_object_attr(cons[k - ncols], "def"));
	}
	if (!parent || ncons > 0)
		appendStringInfoString(&buf, k ? "\n)" : ")");
	append_table_tail(ctx, &buf, t);
	diff_add_step(ctx, buf.data, *summary, false);
	*summary = NULL;
	if (diff_attr_is(t, "rls", "t"))
		diff_add_stepf(ctx, NULL, "ALTER TABLE %s ENABLE ROW LEVEL SECURITY", t->qname);
	if (diff_attr_is(t, "rls_forced", "t"))
		diff_add_stepf(ctx, NULL, "ALTER TABLE %s FORCE ROW LEVEL SECURITY", t->qname);
	diff_emit_extras(ctx, t);
	for (k = 0; k < ncols; k++)
		diff_emit_extras(ctx, cols[k]);
	for (k = 0; k < ncons; k++)
		diff_emit_extras(ctx, cons[k]);
	if (cols)
		pfree(cols);
	if (cons)
		pfree(cons);
}

/* Is this table, in "from", kept (not new, not re-created)? */
bool
diff_table_kept(const DiffCtx *ctx, const char *id)
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

	return ctx->options->concurrently && diff_is_kind(b, PGMIG_KIND_CONSTRAINT) &&
		(item->state == DIFF_ADDED || item->state == DIFF_REPLACED) &&
		type && (type[0] == 'f' || type[0] == 'c') && def &&
		strstr(def, "NOT VALID") == NULL && diff_table_kept(ctx, b->parent);
}

/* With --concurrently: is this new index built CONCURRENTLY? */
bool
diff_index_online(const DiffCtx *ctx, const DiffItem *item)
{
	const PgmigObject *b = item->b;
	const char *def = b->create_sql;

	if (!ctx->options->concurrently || !diff_is_kind(b, PGMIG_KIND_INDEX) ||
		def == NULL || !diff_table_kept(ctx, b->parent))
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
void
diff_emit_online_index(DiffCtx *ctx, const PgmigObject *b, char *summary)
{
	const char *def = b->create_sql;
	size_t		head = strncmp(def, "CREATE INDEX ", 13) == 0 ? 12 : 19;
	PgmigStep  *step;

	diff_add_step(ctx, psprintf("%.*s CONCURRENTLY%s", (int) head, def, def + head),
				  summary, false);
	step = &ctx->steps[ctx->nsteps - 1];
	step->online = true;
	step->revert_sql = psprintf("DROP INDEX CONCURRENTLY %s", b->qname);
	if (pgmig_object_attr(b, "comment"))
	{
		diff_emit_comment(ctx, NULL, b, NULL);
		ctx->steps[ctx->nsteps - 1].online = true;
	}
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
	diff_add_step(ctx, sql, *summary, narrows);
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
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfo(&buf, "ALTER TABLE %s ALTER COLUMN %s ADD", table, b->name);
		append_identity(&buf, b);
		diff_add_step(ctx, buf.data, NULL, false);
		return;
	}
	if (diff_attr_changed(item, "identity_sequence") &&
		pgmig_object_attr(item->a, "identity_sequence") &&
		pgmig_object_attr(b, "identity_sequence"))
		emit_sequence_rename(ctx, pgmig_object_attr(item->a, "identity_sequence"),
							 pgmig_object_attr(b, "identity_sequence"));
	if (strcmp(was, now) != 0)
		diff_add_stepf(ctx, NULL, "ALTER TABLE %s ALTER COLUMN %s SET GENERATED %s",
					   table, b->name, now[0] == 'a' ? "ALWAYS" : "BY DEFAULT");
	if (opts && diff_attr_changed(item, "identity_options"))
	{
		StringInfoData buf;

		initStringInfo(&buf);
		appendStringInfo(&buf, "ALTER TABLE %s ALTER COLUMN %s", table, b->name);
		append_set_options(&buf, opts);
		diff_add_step(ctx, buf.data, NULL, false);
	}
}

/* The DROP DEFAULT that runs before what the default uses changes. */
void
diff_emit_column_pre(DiffCtx *ctx, const DiffItem *item)
{
	diff_add_stepf(ctx, NULL, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT",
				   diff_parent_qname(ctx, item->a), item->a->name);
}

/* A column changed in place. */
void
diff_emit_alter_column(DiffCtx *ctx, DiffItem *item, char *summary)
{
	const PgmigObject *b = item->b;
	const char *table = diff_parent_qname(ctx, b);
	const char *dflt = pgmig_object_attr(b, "default");

	if (pgmig_object_attr(item->a, "generated") && !pgmig_object_attr(b, "generated"))
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s DROP EXPRESSION",
					   table, b->name);
	if (pgmig_object_attr(item->a, "identity") && !pgmig_object_attr(b, "identity"))
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s DROP IDENTITY",
					   table, b->name);
	if (item->retype || diff_attr_changed(item, "type") ||
		diff_attr_changed(item, "collation"))
		emit_column_type(ctx, item, table, &summary);
	if (diff_attr_changed(item, "not_null"))
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s %s NOT NULL",
					   table, b->name, pgmig_object_attr(b, "not_null") ? "SET" : "DROP");
	if (dflt && (item->node[PHASE_PRE] >= 0 || diff_attr_changed(item, "default")))
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s",
					   table, b->name, dflt);
	else if (!dflt && item->node[PHASE_PRE] < 0 && diff_attr_changed(item, "default"))
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT",
					   table, b->name);
	emit_column_identity(ctx, item, table);
	diff_emit_comment(ctx, item->a, b, &summary);
	if (ctx->options->privileges)
		diff_emit_privileges(ctx, item->a, b);
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
	int			na = was ? split_options(was, &va) : 0;
	int			nb = now ? split_options(now, &vb) : 0;
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
		diff_add_stepf(ctx, NULL, "ALTER TABLE %s RESET (%s)", item->b->qname, reset.data);
	if (nb > 0)
		diff_add_stepf(ctx, NULL, "ALTER TABLE %s SET (%s)", item->b->qname, now);
	pfree(reset.data);
	if (va)
		diff_free_array(va, na);
	if (vb)
		diff_free_array(vb, nb);
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
				diff_add_stepf(ctx, NULL, "ALTER TABLE %s %sINHERIT %s", item->b->qname,
							   s == 0 ? "NO " : "", diff_qname_of(ctx, v));
		}
}

/* A table changed in place. */
void
diff_emit_alter_table(DiffCtx *ctx, DiffItem *item, char *summary)
{
	const PgmigObject *a = item->a;
	const PgmigObject *b = item->b;
	const char *q = b->qname;

	if (diff_attr_changed(item, "partition_of") ||
		diff_attr_changed(item, "partition_bound"))
	{
		if (pgmig_object_attr(a, "partition_of"))
			diff_add_stepf(ctx, &summary, "ALTER TABLE %s DETACH PARTITION %s",
						   diff_qname_of(ctx, pgmig_object_attr(a, "partition_of")), q);
		if (pgmig_object_attr(b, "partition_of"))
			diff_add_stepf(ctx, &summary, "ALTER TABLE %s ATTACH PARTITION %s %s",
						   diff_qname_of(ctx, pgmig_object_attr(b, "partition_of")), q,
						   pgmig_object_attr(b, "partition_bound"));
	}
	if (diff_attr_changed(item, "persistence"))
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s SET %s", q,
					   diff_attr_is(b, "persistence", "u") ? "UNLOGGED" : "LOGGED");
	if (diff_attr_changed(item, "access_method"))
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s SET ACCESS METHOD %s", q,
					   pgmig_object_attr(b, "access_method") ?
					   pgmig_object_attr(b, "access_method") : "heap");
	if (diff_attr_changed(item, "rls"))
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s %s ROW LEVEL SECURITY", q,
					   diff_attr_is(b, "rls", "t") ? "ENABLE" : "DISABLE");
	if (diff_attr_changed(item, "rls_forced"))
		diff_add_stepf(ctx, &summary, "ALTER TABLE %s %sFORCE ROW LEVEL SECURITY", q,
					   diff_attr_is(b, "rls_forced", "t") ? "" : "NO ");
	emit_table_options(ctx, item);
	emit_table_inherits(ctx, item);
	diff_emit_comment(ctx, a, b, &summary);
	if (ctx->options->privileges)
		diff_emit_privileges(ctx, a, b);
	if (summary)
		pfree(summary);
}
