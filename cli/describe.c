/*-------------------------------------------------------------------------
 *
 * describe.c
 *	  Reading a database's description, the rows of pgmig.describe(), into
 *	  the structs the differ compares (common/pgmig_diff.h).
 *
 * The deps and attrs columns are text[], read in PostgreSQL's text output
 * of an array and taken apart by parse_text_array, which keeps a NULL
 * element apart from the string "NULL" (fe_utils' parsePGArray does not).
 * The text form is read rather than unnest()ed rows or a joined string
 * because it is unambiguous for any element (quotes, commas, backslashes,
 * braces, NULL) and keeps the description at one row per object, one
 * query per database.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* Columns of pgmig.describe(). */
enum
{
	COL_KIND,
	COL_ID,
	COL_PARENT,
	COL_NAME,
	COL_QNAME,
	COL_DEPS,
	COL_ATTRS,
	COL_CREATE,
	COL_DROP
};

/* Free n items of an array (NULL items included) and the array. */
static void
free_items(char **items, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		pg_free(items[i]);
	pg_free(items);
}

/*
 * One element of an array's text output at *p, stored in *item (NULL for
 * an unquoted NULL); *p is left after it.  False if malformed.
 */
static bool
parse_element(const char **p, char **item)
{
	const char *s = *p;
	PQExpBufferData buf;

	initPQExpBuffer(&buf);
	if (*s == '"')
	{
		for (s++; *s != '"'; s++)
		{
			if (*s == '\\')
				s++;
			if (*s == '\0')
			{
				termPQExpBuffer(&buf);
				return false;
			}
			appendPQExpBufferChar(&buf, *s);
		}
		s++;
		*item = buf.data;
	}
	else
	{
		/* unquoted: no quote, backslash, brace, delimiter or blank in it */
		while (*s != '\0' && *s != ',' && *s != '}')
		{
			if (*s == '"' || *s == '\\' || *s == '{' || isspace((unsigned char) *s))
			{
				termPQExpBuffer(&buf);
				return false;
			}
			appendPQExpBufferChar(&buf, *s++);
		}
		if (buf.len == 0)
		{
			termPQExpBuffer(&buf);
			return false;
		}
		if (pg_strcasecmp(buf.data, "NULL") == 0)
		{
			termPQExpBuffer(&buf);
			*item = NULL;
		}
		else
			*item = buf.data;
	}
	*p = s;
	return true;
}

/*
 * Take apart the text output of a one-dimensional text[] ("{a,\"b c\",NULL}",
 * with "[2:3]=" before it if its lower bound is not 1) into *items
 * (pg_malloc'd strings, NULL for a NULL element).  False if malformed.
 */
bool
parse_text_array(const char *text, int *n, char ***items)
{
	const char *p = text;
	int			cap = 8;

	*n = 0;
	*items = pg_malloc(cap * sizeof(char *));
	if (*p == '[')
	{
		p = strstr(p, "]={");
		if (p == NULL)
			return false;
		p += 2;
	}
	if (*p++ != '{')
		return false;
	if (*p == '}')
		return p[1] == '\0';
	for (;;)
	{
		char	   *item;

		if (!parse_element(&p, &item))
			return false;
		if (*n == cap)
		{
			cap *= 2;
			*items = pg_realloc(*items, cap * sizeof(char *));
		}
		(*items)[(*n)++] = item;
		if (*p == '}')
			return p[1] == '\0';
		if (*p++ != ',')
			return false;
	}
}

/* A copy of a field, NULL for SQL NULL. */
static char *
field_copy(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : pg_strdup(PQgetvalue(res, row, col));
}

/*
 * The deps of row "row": NULL elements are left out.  False (reported) if
 * the array is malformed.
 */
static bool
read_deps(const PGresult *res, int row, PgmigObject *obj)
{
	char	  **items;
	int			n,
				i;

	obj->ndeps = 0;
	obj->deps = NULL;
	if (PQgetisnull(res, row, COL_DEPS))
		return true;
	if (!parse_text_array(PQgetvalue(res, row, COL_DEPS), &n, &items))
	{
		free_items(items, n);
		pg_log_error("could not read the dependencies of %s: malformed array", obj->id);
		return false;
	}
	obj->deps = pg_malloc(Max(n, 1) * sizeof(char *));
	for (i = 0; i < n; i++)
		if (items[i] != NULL)
			obj->deps[obj->ndeps++] = items[i];
	pg_free(items);
	return true;
}

/*
 * The attrs of row "row", key, value, ...: a pair whose value is NULL is
 * left out (an absent key means the fact does not apply).  False
 * (reported) if the array is malformed or odd.
 */
static bool
read_attrs(const PGresult *res, int row, PgmigObject *obj)
{
	char	  **items;
	int			n,
				i;

	obj->nattrs = 0;
	obj->attr_keys = obj->attr_values = NULL;
	if (PQgetisnull(res, row, COL_ATTRS))
		return true;
	if (!parse_text_array(PQgetvalue(res, row, COL_ATTRS), &n, &items) ||
		n % 2 != 0)
	{
		free_items(items, n);
		pg_log_error("could not read the attributes of %s: malformed array", obj->id);
		return false;
	}
	obj->attr_keys = pg_malloc(Max(n / 2, 1) * sizeof(char *));
	obj->attr_values = pg_malloc(Max(n / 2, 1) * sizeof(char *));
	for (i = 0; i < n; i += 2)
	{
		if (items[i] == NULL || items[i + 1] == NULL)
		{
			pg_free(items[i]);
			pg_free(items[i + 1]);
			continue;
		}
		obj->attr_keys[obj->nattrs] = items[i];
		obj->attr_values[obj->nattrs++] = items[i + 1];
	}
	pg_free(items);
	return true;
}

/* Free what one object holds. */
static void
free_object(PgmigObject *obj)
{
	int			i;

	pg_free(obj->kind);
	pg_free(obj->id);
	pg_free(obj->parent);
	pg_free(obj->name);
	pg_free(obj->qname);
	free_items(obj->deps, obj->ndeps);
	for (i = 0; i < obj->nattrs; i++)
	{
		pg_free(obj->attr_keys[i]);
		pg_free(obj->attr_values[i]);
	}
	pg_free(obj->attr_keys);
	pg_free(obj->attr_values);
	pg_free(obj->create_sql);
	pg_free(obj->drop_sql);
}

/* Free a description. */
void
free_description(PgmigSchema *schema)
{
	int			i;

	for (i = 0; i < schema->n; i++)
		free_object(&schema->objects[i]);
	pg_free(schema->objects);
	schema->objects = NULL;
	schema->n = 0;
}

/*
 * Describe the database "c" is connected to (pgmig.describe(privileges))
 * into *schema.  False (reported) on error.
 */
bool
describe_database(Conn *c, bool privileges, PgmigSchema *schema)
{
	const char *values[1] = {privileges ? "t" : "f"};
	PGresult   *res;
	int			i;

	memset(schema, 0, sizeof(*schema));
	res = query(c, "SELECT kind, id, parent, name, qname, deps, attrs, create_sql, drop_sql"
				" FROM pgmig.describe($1::pg_catalog.bool)"
				" ORDER BY id COLLATE pg_catalog.\"C\"", 1, values);
	if (res == NULL)
		return false;
	schema->objects = pg_malloc0(Max(PQntuples(res), 1) * sizeof(PgmigObject));
	for (i = 0; i < PQntuples(res); i++)
	{
		PgmigObject *obj = &schema->objects[i];

		schema->n++;
		obj->kind = field_copy(res, i, COL_KIND);
		obj->id = field_copy(res, i, COL_ID);
		obj->parent = field_copy(res, i, COL_PARENT);
		obj->name = field_copy(res, i, COL_NAME);
		obj->qname = field_copy(res, i, COL_QNAME);
		obj->create_sql = field_copy(res, i, COL_CREATE);
		obj->drop_sql = field_copy(res, i, COL_DROP);
		if (obj->kind == NULL || obj->id == NULL ||
			!read_deps(res, i, obj) || !read_attrs(res, i, obj))
		{
			if (obj->kind == NULL || obj->id == NULL)
				pg_log_error("pgmig.describe() gave an object without a kind or id");
			PQclear(res);
			free_description(schema);
			return false;
		}
	}
	PQclear(res);
	return true;
}
