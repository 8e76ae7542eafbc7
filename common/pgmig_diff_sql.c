/*-------------------------------------------------------------------------
 *
 * pgmig_diff_sql.c
 *	  Autogenerate's differ: what the writers of statements share.
 *
 * Literals and identifiers quoted, the names of objects as statements
 * write them, a statement added to the result, and what follows an object
 * created or changed: COMMENT ON, and (when the descriptions have them)
 * its owner and grants, ALTER ... OWNER TO, REVOKE and GRANT.
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

/* Is the object of this kind? */
bool
diff_is_kind(const PgmigObject *obj, const char *kind)
{
	return obj != NULL && strcmp(obj->kind, kind) == 0;
}

/* The qualified name of an object's parent (a column's table). */
const char *
diff_parent_qname(const DiffCtx *ctx, const PgmigObject *obj)
{
	int			p = diff_find(ctx, obj->parent);

	if (p < 0)
		return obj->parent ? obj->parent : "";
	return diff_obj(&ctx->items[p])->qname;
}

/* The qualified name of the object with this id ("table public.t"). */
const char *
diff_qname_of(const DiffCtx *ctx, const char *id)
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
void
diff_append_literal(StringInfo buf, const char *s)
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
char *
diff_unquote(const char *name)
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
void
diff_append_ident(StringInfo buf, const char *name)
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
void
diff_add_step(DiffCtx *ctx, char *sql, char *summary, bool destructive)
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
void
diff_add_stepf(DiffCtx *ctx, char **summary, const char *fmt,...)
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
	diff_add_step(ctx, buf.data, summary ? *summary : NULL, false);
	if (summary)
		*summary = NULL;		/* the first statement carries it */
}

/* COMMENT ON, when the comment of "b" differs from that of "a". */
void
diff_emit_comment(DiffCtx *ctx, const PgmigObject *a, const PgmigObject *b,
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
		diff_append_literal(&buf, now);
	else
		appendStringInfoString(&buf, "NULL");
	diff_add_step(ctx, buf.data, summary ? *summary : NULL, false);
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
void
diff_free_array(char **v, int n)
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
			diff_add_stepf(ctx, NULL, "GRANT %s ON %s TO %s%s", buf.data, target,
						   grantee, pass == 1 ? " WITH GRANT OPTION" : "");
		pfree(buf.data);
	}
	pfree(grantee);
}

/* Owner and grants, when they differ (only described with privileges). */
void
diff_emit_privileges(DiffCtx *ctx, const PgmigObject *a, const PgmigObject *b)
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
		diff_add_stepf(ctx, NULL, "ALTER %s OWNER TO %s",
					   pgmig_object_attr(b, "alter_target"), owner);
	if ((acl_a == NULL && acl_b == NULL) ||
		(acl_a && acl_b && strcmp(acl_a, acl_b) == 0))
		return;
	if (diff_is_kind(b, PGMIG_KIND_COLUMN))
	{
		column = b->name;
		target = psprintf("TABLE %s", diff_parent_qname(ctx, b));
	}
	if (target == NULL)
		return;
	if (a && acl_a)
	{
		diff_add_stepf(ctx, NULL, "REVOKE ALL%s%s%s ON %s FROM PUBLIC",
					   column ? " (" : "", column ? column : "", column ? ")" : "",
					   target);
		n = split_array(acl_a, &items);
		for (k = 0; k < n; k++)
		{
			const char *rest;
			char	   *grantee = acl_grantee(items[k], &rest);

			if (strcmp(grantee, "PUBLIC") != 0)
				diff_add_stepf(ctx, NULL, "REVOKE ALL%s%s%s ON %s FROM %s",
							   column ? " (" : "", column ? column : "",
							   column ? ")" : "", target, grantee);
			pfree(grantee);
		}
		diff_free_array(items, n);
	}
	if (acl_b)
	{
		n = split_array(acl_b, &items);
		for (k = 0; k < n; k++)
			emit_grant(ctx, items[k], target, column);
		diff_free_array(items, n);
	}
	if (column)
		pfree((char *) target);
}

/* Comment and privileges of an object just created. */
void
diff_emit_extras(DiffCtx *ctx, const PgmigObject *b)
{
	diff_emit_comment(ctx, NULL, b, NULL);
	if (ctx->options->privileges)
		diff_emit_privileges(ctx, NULL, b);
}
