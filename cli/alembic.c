/*-------------------------------------------------------------------------
 *
 * alembic.c
 *	  "pgmig import" of a database Alembic migrated: alembic_version's
 *	  heads matched to the files converted from its revisions.
 *
 * Alembic keeps one row per head in alembic_version (version_num): that
 * revision and its ancestors are applied.  Its migrations are Python; a
 * team moving to pgmig converts each to a SQL file (from "alembic upgrade
 * --sql", say) in pgmig's layout and names the revision it came from with
 * a header line "-- pgmig:alembic <revision>".  The import records each
 * head's file and that file's ancestors in pgmig's graph as applied; an
 * ancestor that names no Alembic revision was never Alembic's to apply,
 * and is reported, as is a head without a file: nothing is imported then.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* The index of the file of revision id "id" (by version), or -1. */
static int
file_index(const Project *project, const char *id)
{
	const MigFile *f = file_of_version(project, id);

	return f ? (int) (f - project->files) : -1;
}

/* Mark file "i" and its ancestors in "mark" (files in version order). */
static void
mark_ancestors(const Project *project, int i, bool *mark)
{
	int		   *stack;
	int			depth = 0;
	int			room = 1;
	int			k;

	/* each file is pushed at most once per child, and the first once */
	for (k = 0; k < project->nfiles; k++)
		room += project->files[k].script.parents_explicit ?
			project->files[k].script.nparents : 1;
	stack = pg_malloc(room * sizeof(int));
	stack[depth++] = i;
	while (depth > 0)
	{
		int			k = stack[--depth];
		const PgmigScript *s;
		int			j;

		if (mark[k])
			continue;
		mark[k] = true;
		s = &project->files[k].script;
		if (!s->parents_explicit)
		{
			/* the previous file in version order */
			if (k > 0 && !mark[k - 1])
				stack[depth++] = k - 1;
			continue;
		}
		for (j = 0; j < s->nparents; j++)
		{
			int			p = file_index(project, s->parents[j]);

			/* an unknown parent is the graph's to report */
			if (p >= 0 && !mark[p])
				stack[depth++] = p;
		}
	}
	pg_free(stack);
}

/* The file converted from Alembic revision "rev", or -1. */
static int
alembic_file(const Project *project, const char *rev)
{
	int			i;

	for (i = 0; i < project->nfiles; i++)
		if (project->files[i].script.alembic != NULL &&
			strcmp(project->files[i].script.alembic, rev) == 0)
			return i;
	return -1;
}

/* Report two files that name the same Alembic revision; false if any. */
static bool
check_alembic_duplicates(const Project *project)
{
	bool		ok = true;
	int			i;

	for (i = 0; i < project->nfiles; i++)
	{
		const char *rev = project->files[i].script.alembic;
		int			j;

		if (rev == NULL)
			continue;
		j = alembic_file(project, rev);
		if (j != i)
		{
			pg_log_error("files \"%s\" and \"%s\" both name Alembic revision %s",
						 project->files[j].path, project->files[i].path, shown(rev));
			pg_log_error_hint("Each Alembic revision is converted to one file.");
			ok = false;
		}
	}
	return ok;
}

/*
 * The ids of the revisions Alembic applied: the files of alembic_version's
 * heads (in "table") and their ancestors, in version order; *n gets the
 * count.  NULL (reported) if a head has no file or an ancestor is no
 * Alembic revision: nothing is imported then.
 */
const char **
alembic_applied(Conn *c, Project *project, const char *table, int *n)
{
	char	   *sql = psprintf("SELECT version_num FROM %s ORDER BY 1", table);
	PGresult   *res = query(c, sql, 0, NULL);
	bool	   *mark;
	const char **ids;
	bool		ok;
	int			i;

	pfree(sql);
	*n = 0;
	if (res == NULL)
		return NULL;
	ok = check_alembic_duplicates(project);
	mark = pg_malloc0((project->nfiles + 1) * sizeof(bool));
	for (i = 0; ok && i < PQntuples(res); i++)
	{
		const char *rev = PQgetvalue(res, i, 0);
		int			f = alembic_file(project, rev);

		if (f < 0)
		{
			pg_log_error("Alembic's head %s has no file in \"%s\"",
						 shown(rev), display_path(project->dir));
			pg_log_error_detail("No file has the line \"-- pgmig:alembic %s\". Nothing was imported.",
								shown(rev));
			pg_log_error_hint("Convert the revision to a SQL file and name it with that line in the file's header.");
			ok = false;
			continue;
		}
		mark_ancestors(project, f, mark);
	}
	PQclear(res);
	ids = pg_malloc((project->nfiles + 1) * sizeof(char *));
	for (i = 0; ok && i < project->nfiles; i++)
	{
		if (!mark[i])
			continue;
		if (project->files[i].script.alembic == NULL)
		{
			pg_log_error("revision %s (file \"%s\") comes before Alembic's head, and names no Alembic revision",
						 project->files[i].script.id, project->files[i].path);
			pg_log_error_detail("Alembic applied its head and every revision before it; this file was not one of them. Nothing was imported.");
			pg_log_error_hint("Name the Alembic revision the file was converted from with \"-- pgmig:alembic REVISION\", or make it revise a later revision.");
			ok = false;
			break;
		}
		ids[(*n)++] = project->files[i].script.id;
	}
	pg_free(mark);
	if (!ok)
	{
		pg_free(ids);
		*n = 0;
		return NULL;
	}
	return ids;
}
