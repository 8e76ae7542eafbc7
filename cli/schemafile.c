/*-------------------------------------------------------------------------
 *
 * schemafile.c
 *	  The schema file of autogenerate: the schema the user wants, read
 *	  from disk and loaded into a shadow database.
 *
 * It is --schema PATH, else "schema = PATH" in pgmig.conf, else schema.sql
 * at the project root.  A folder stands for every *.sql file in it
 * (hidden ones aside), read in name order.  Each file is read whole and
 * checked (a text file, UTF-8) before anything connects, then handed to
 * pgmig.load_schema(), which runs its statements with the server's
 * splitter; its errors name the file, relative to the project root, and
 * the line.  What pg_dump --schema-only writes is a valid schema file.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <dirent.h>
#include <sys/stat.h>

#include "mb/pg_wchar.h"
#include "pgmig_checksum.h"

/* The context of an error at a line of a schema file, as the server puts it. */
#define SCHEMA_CONTEXT "schema file \"%s\" line %d"

/*
 * The name of "path" relative to the project root when it lies under it
 * (what the server's errors and the generated file call it), else the path
 * as given.  Symbolic links are not followed: the name is the one written.
 */
static char *
name_in_project(const Project *project, const char *path)
{
	char	   *abs = make_absolute_path(path);
	char	   *root = make_absolute_path(project->root);
	size_t		len = root ? strlen(root) : 0;
	char	   *name;

	if (abs && root && strcmp(root, "/") == 0 && abs[0] == '/')
		name = pg_strdup(abs + 1);
	else if (abs && root && strncmp(abs, root, len) == 0 && abs[len] == '/')
		name = pg_strdup(abs + len + 1);
	else
		name = pg_strdup(display_path(path));
	free(abs);
	free(root);
	return name;
}

/*
 * Check a schema file's text: no NUL byte, valid UTF-8 (with the line of
 * the first invalid byte).  False (reported) if not.
 */
static bool
check_text(const char *name, const char *content, size_t len)
{
	const char *line = content;
	int			lineno = 1;

	if (strlen(content) != len)
	{
		pg_log_error("schema file \"%s\" is not a text file", shown(name));
		pg_log_error_detail("It contains a NUL byte; schema files are UTF-8 text.");
		return false;
	}
	while (*line != '\0')
	{
		const char *eol = strchr(line, '\n');
		int			linelen = eol ? eol - line : (int) strlen(line);

		if (pg_encoding_verifymbstr(PG_UTF8, line, linelen) != linelen)
		{
			char	   *context = psprintf(SCHEMA_CONTEXT, shown(name), lineno);

			report_statement_error("invalid UTF-8", "Schema files must be encoded in UTF-8.",
								   NULL, context);
			pfree(context);
			return false;
		}
		lineno++;
		line = eol ? eol + 1 : line + linelen;
	}
	return true;
}

/* Read one schema file into the next slot of src; false (reported) on error. */
static bool
read_one(const Project *project, const char *path, SchemaSource *src)
{
	SchemaFile *f = &src->files[src->nfiles];
	size_t		len;

	f->name = name_in_project(project, path);
	f->content = read_whole_file(path, shown(f->name), &len);
	if (f->content == NULL || !check_text(f->name, f->content, len))
	{
		pg_free(f->name);
		pg_free(f->content);
		memset(f, 0, sizeof(*f));
		return false;
	}
	/* as migration files: CRLF and lone CR count as one line end */
	pgmig_normalize_newlines(f->content, len);
	src->nfiles++;
	return true;
}

/* Order names bytewise. */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * The names ending in ".sql" in folder "dir" (hidden ones aside), sorted;
 * -1 (reported) if it cannot be read.
 */
static int
list_folder(const char *dir, char ***names)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	int			n = 0,
				cap = 16;

	if (d == NULL)
	{
		pg_log_error("could not open schema folder \"%s\": %m", display_path(dir));
		return -1;
	}
	*names = pg_malloc(cap * sizeof(char *));
	while (errno = 0, (de = readdir(d)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		if (de->d_name[0] == '.' || len < 4 || strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		if (n == cap)
			*names = pg_realloc(*names, (cap *= 2) * sizeof(char *));
		(*names)[n++] = pg_strdup(de->d_name);
	}
	if (errno != 0)
		pg_log_error("could not read schema folder \"%s\": %m", display_path(dir));
	closedir(d);
	if (n > 1)
		qsort(*names, n, sizeof(char *), name_cmp);
	return n;
}

/* Read every *.sql file of folder "dir"; false (reported) on error. */
static bool
read_folder(const Project *project, const char *dir, SchemaSource *src)
{
	char	  **names;
	int			n = list_folder(dir, &names);
	bool		ok = true;
	int			i;

	if (n < 0)
		return false;
	if (n == 0)
	{
		pg_log_error("schema folder \"%s\" has no .sql files", display_path(dir));
		pg_log_error_hint("A schema folder holds the schema as .sql files, read in name order.");
		ok = false;
	}
	src->files = pg_malloc0(Max(n, 1) * sizeof(SchemaFile));
	for (i = 0; i < n; i++)
	{
		char	   *path = join_path(dir, names[i]);
		struct stat st;
		bool		found = stat(path, &st) == 0;

		if (!found || !S_ISREG(st.st_mode))
		{
			char	   *name = name_in_project(project, path);

			if (!found)
				pg_log_error("could not read schema file \"%s\": %m", shown(name));
			else
				pg_log_error("schema file \"%s\" is not a regular file", shown(name));
			pg_log_error_hint("Every name ending in \".sql\" in the schema folder is a schema file: fix or remove it.");
			pfree(name);
			ok = false;
		}
		else if (!read_one(project, path, src))
			ok = false;
		pfree(path);
		pg_free(names[i]);
		if (!ok)
			break;
	}
	for (i++; i < n; i++)
		pg_free(names[i]);
	pg_free(names);
	return ok;
}

/*
 * Read the schema the user wants: --schema, "schema =" in pgmig.conf, or
 * schema.sql at the project root; a file or a folder of them.  False
 * (reported, src freed) on error.
 */
bool
read_schema(const Options *opts, const Project *project, SchemaSource *src)
{
	char	   *path;
	struct stat st;
	bool		ok;

	memset(src, 0, sizeof(*src));
	if (opts->schema)
		path = pg_strdup(opts->schema);
	else if (project->schema)
		path = pg_strdup(project->schema);
	else
		path = join_path(project->root, "schema.sql");
	if (stat(path, &st) != 0)
	{
		pg_log_error("could not read schema file \"%s\": %m", display_path(path));
		if (errno == ENOENT && opts->schema == NULL && project->schema == NULL)
			pg_log_error_hint("Write the schema you want in schema.sql at the project root, or name the file or folder with --schema or \"schema =\" in pgmig.conf.");
		pg_free(path);
		return false;
	}
	src->label = name_in_project(project, path);
	if (S_ISDIR(st.st_mode))
	{
		char	   *label = psprintf("%s/", src->label);

		pg_free(src->label);
		src->label = label;
		ok = read_folder(project, path, src);
	}
	else
	{
		src->files = pg_malloc0(sizeof(SchemaFile));
		ok = read_one(project, path, src);
	}
	pg_free(path);
	if (!ok)
		free_schema_source(src);
	return ok;
}

/*
 * Start loading the schema files into the database of "c" (a shadow),
 * without waiting, so that the server loads them while the caller builds
 * the other state: CALL pgmig.load_schema_each(), which commits after each
 * statement (a few locks at a time, whatever the schema's size) and
 * resets the settings after each file.  The shadow is thrown away, so its
 * commits need not wait for the disk.  load_schema_wait() collects the
 * outcome.  False (reported) if the call could not be sent.
 */
bool
load_schema_send(Conn *c, const SchemaSource *src, bool privileges)
{
	const char **values = pg_malloc((2 * src->nfiles + 1) * sizeof(char *));
	PQExpBufferData sql;
	bool		ok;
	int			i;

	if (!command(c, "SET synchronous_commit = off"))
	{
		pg_free(values);
		return false;
	}
	initPQExpBuffer(&sql);
	appendPQExpBufferStr(&sql, "CALL pgmig.load_schema_each(ARRAY[");
	for (i = 0; i < src->nfiles; i++)
	{
		appendPQExpBuffer(&sql, "%s$%d", i > 0 ? ", " : "", i + 1);
		values[i] = src->files[i].name;
	}
	appendPQExpBufferStr(&sql, "]::pg_catalog.text[], ARRAY[");
	for (i = 0; i < src->nfiles; i++)
	{
		appendPQExpBuffer(&sql, "%s$%d", i > 0 ? ", " : "", src->nfiles + i + 1);
		values[src->nfiles + i] = src->files[i].content;
	}
	appendPQExpBuffer(&sql, "]::pg_catalog.text[], $%d::pg_catalog.bool)", 2 * src->nfiles + 1);
	values[2 * src->nfiles] = privileges ? "t" : "f";
	ok = PQsendQueryParams(c->conn, sql.data, 2 * src->nfiles + 1, NULL, values,
						   NULL, NULL, 0);
	if (!ok)
		pg_log_error("could not send the schema file to the shadow database: %s",
					 PQerrorMessage(c->conn));
	termPQExpBuffer(&sql);
	pg_free(values);
	return ok;
}

/* Wait until load_schema_send()'s files are loaded; false (reported) on error. */
bool
load_schema_wait(Conn *c)
{
	PGresult   *res;
	bool		ok = true;

	while ((res = PQgetResult(c->conn)) != NULL)
	{
		if (ok && PQresultStatus(res) != PGRES_TUPLES_OK &&
			PQresultStatus(res) != PGRES_COMMAND_OK)
		{
			report_error(res, c->conn, NULL);
			ok = false;
		}
		PQclear(res);
	}
	return ok;
}

/* Free what read_schema read. */
void
free_schema_source(SchemaSource *src)
{
	int			i;

	for (i = 0; i < src->nfiles; i++)
	{
		pg_free(src->files[i].name);
		pg_free(src->files[i].content);
	}
	pg_free(src->files);
	pg_free(src->label);
	memset(src, 0, sizeof(*src));
}
