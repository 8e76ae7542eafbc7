/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  What the database knows, and bringing it in step with the files.
 *
 * The client reads the catalog once (registered and applied revisions, in
 * one query), compares it with the files by checksum, and sends only the
 * new and changed files in one mig_register() call; registered revisions
 * whose file is gone and that are not applied are forgotten with one
 * mig_unregister() call.  A run over thousands of unchanged files costs one
 * query.
 *
 * The "view" merges files and catalog into one revision graph, built with
 * the shared core: every file, plus the applied revisions whose file is
 * gone.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <math.h>
#include <time.h>

#include "fe_utils/string_utils.h"
#include "pgmig_sqitch.h"
#include "pgmig_version.h"

/* Order catalog rows by id. */
static int
dbrev_cmp(const void *a, const void *b)
{
	return strcmp(((const DbRev *) a)->id, ((const DbRev *) b)->id);
}

/* A copy of a result field, NULL for SQL NULL. */
static char *
field(PGresult *res, int row, int col)
{
	if (PQgetisnull(res, row, col))
		return NULL;
	return pg_strdup(PQgetvalue(res, row, col));
}

/*
 * A time sent as seconds since the epoch, as ISO 8601 in UTC with
 * microseconds (what ISO_TIME() gives), NULL for SQL NULL.  Formatting it
 * here rather than with to_char() halves the cost of the catalog query.
 */
static char *
epoch_iso_time(PGresult *res, int row, int col)
{
	double		epoch;
	time_t		secs;
	long		usecs;
	struct tm	tm;
	char		buf[64];

	if (PQgetisnull(res, row, col))
		return NULL;
	epoch = strtod(PQgetvalue(res, row, col), NULL);
	secs = (time_t) floor(epoch);
	usecs = lround((epoch - (double) secs) * 1000000.0);
	if (usecs >= 1000000)
	{
		secs++;
		usecs -= 1000000;
	}
	if (gmtime_r(&secs, &tm) == NULL)
		return pg_strdup(PQgetvalue(res, row, col));
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec, usecs);
	return pg_strdup(buf);
}

/* Parse a text[] field into a malloc'd array (free with free()). */
static bool
array_field(PGresult *res, int row, int col, char ***items, int *n)
{
	*items = NULL;
	*n = 0;
	if (PQgetisnull(res, row, col))
		return true;
	if (!parsePGArray(PQgetvalue(res, row, col), items, n))
	{
		pg_log_error("could not parse array \"%s\" from the catalog",
					 PQgetvalue(res, row, col));
		return false;
	}
	return true;
}

/*
 * Read the catalog: every registered or applied revision, in one query.
 * Marks the rows that have a local file.  False (reported) on error.
 */
bool
read_catalog(Conn *c, Project *project, Catalog *cat)
{
	bool		full = project->inspecting;
	PGresult   *res;
	char	   *sql;
	int			i;

	/*
	 * What only the inspecting commands show (checksums, when and by whom,
	 * how long) is left out otherwise: a no-op "pgmig up" over thousands of
	 * revisions then reads half as much.
	 */
	sql = psprintf("SELECT COALESCE(r.id, m.id), r.id IS NOT NULL,"
				   " m.id IS NOT NULL,"
				   " COALESCE(r.description, m.description),"
				   " r.file_checksum, %s, r.source_file, r.parents,"
				   " r.labels, COALESCE(r.transactional, true),"
				   " %s, m.state, %s, %s, %s, %s, m.statements_done,"
				   " CASE WHEN r.sortkey OPERATOR(pg_catalog.=) r.id THEN NULL ELSE r.sortkey END"
				   " FROM pgmig.revisions r"
				   " FULL JOIN pgmig.schema_migrations m"
				   " ON m.id OPERATOR(pg_catalog.=) r.id",
				   full ? "r.up_checksum" : "NULL",
				   full ? "m.checksum" : "NULL",
				   full ? "pg_catalog.date_part('epoch', m.applied_at)" : "NULL",
				   full ? "m.applied_by" : "NULL",
				   full ? "m.method" : "NULL",
				   full ? MILLISECONDS("m.duration") : "NULL");
	res = query(c, sql, 0, NULL);
	pfree(sql);
	if (res == NULL)
		return false;
	cat->n = PQntuples(res);
	cat->revs = pg_malloc0(cat->n * sizeof(DbRev));
	for (i = 0; i < cat->n; i++)
	{
		DbRev	   *d = &cat->revs[i];

		d->id = field(res, i, 0);
		d->registered = PQgetvalue(res, i, 1)[0] == 't';
		d->applied = PQgetvalue(res, i, 2)[0] == 't';
		d->description = field(res, i, 3);
		d->file_checksum = field(res, i, 4);
		d->up_checksum = field(res, i, 5);
		d->source_file = field(res, i, 6);
		d->parents_explicit = d->registered && !PQgetisnull(res, i, 7);
		if (!array_field(res, i, 7, &d->parents, &d->nparents) ||
			!array_field(res, i, 8, &d->labels, &d->nlabels))
		{
			PQclear(res);
			return false;
		}
		d->transactional = PQgetvalue(res, i, 9)[0] == 't';
		d->applied_checksum = field(res, i, 10);
		d->state = field(res, i, 11);
		d->applied_at = epoch_iso_time(res, i, 12);
		d->applied_by = field(res, i, 13);
		d->method = field(res, i, 14);
		d->duration = field(res, i, 15);
		d->statements_done = PQgetisnull(res, i, 16) ? -1 :
			atoi(PQgetvalue(res, i, 16));
		d->sortkey = field(res, i, 17);
	}
	PQclear(res);
	if (cat->n > 1)
		qsort(cat->revs, cat->n, sizeof(DbRev), dbrev_cmp);

	for (i = 0; i < project->nfiles; i++)
	{
		DbRev	   *d = catalog_find(cat, project->files[i].script.id);

		if (d)
			d->has_file = true;
	}
	return true;
}

/* The catalog row of a revision, or NULL. */
DbRev *
catalog_find(const Catalog *cat, const char *id)
{
	DbRev		key;

	if (cat == NULL || cat->n == 0)
		return NULL;
	key.id = (char *) id;
	return bsearch(&key, cat->revs, cat->n, sizeof(DbRev), dbrev_cmp);
}

/* The local file of a revision, or NULL. */
MigFile *
project_file(Project *project, const char *id)
{
	int			i;

	for (i = 0; i < project->nfiles; i++)
		if (strcmp(project->files[i].script.id, id) == 0)
			return &project->files[i];
	return NULL;
}

/* Does the database need this file (new, changed, or renamed)? */
static bool
needs_register(const MigFile *f, const DbRev *d)
{
	return d == NULL || !d->registered ||
		d->file_checksum == NULL ||
		strcmp(d->file_checksum, f->script.file_checksum) != 0 ||
		d->source_file == NULL ||
		strcmp(d->source_file, f->script.file_name) != 0;
}

/* Files to send over this many bytes in all are sent with a generic plan. */
#define LARGE_REGISTRATION (1024 * 1024)

/*
 * Set plan_cache_mode for the rest of the transaction (or, with value
 * NULL, to force_generic_plan); *old gets the value it had.  A custom plan
 * of the mig_register() call would hold the files once more, as a
 * constant.  False (reported) on error.
 */
static bool
set_plan_cache_mode(Conn *c, const char *value, char **old)
{
	const char *values[1] = {value ? value : "force_generic_plan"};
	PGresult   *res = query(c, "SELECT pg_catalog.current_setting('plan_cache_mode'),"
							" pg_catalog.set_config('plan_cache_mode', $1, true)",
							1, values);

	if (res == NULL)
		return false;
	if (old)
		*old = pg_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return true;
}

/*
 * Which of Flyway's repeatable migrations the catalog lacks or holds with
 * another checksum: a malloc'd flag each in *changed.  A no-op "pgmig up"
 * then reads their checksums instead of sending every script to
 * mig_register().  False (reported) on error.
 */
static bool
changed_repeatables(Conn *c, const Project *project, bool **changed)
{
	PGresult   *res;
	int			i;
	int			j;

	*changed = NULL;
	if (project->nrepeatables == 0)
		return true;
	res = query(c, "SELECT file_name, checksum FROM pgmig.repeatables", 0, NULL);
	if (res == NULL)
		return false;
	*changed = pg_malloc(project->nrepeatables * sizeof(bool));
	for (i = 0; i < project->nrepeatables; i++)
	{
		const PgmigScript *s = &project->repeatables[i].script;

		(*changed)[i] = true;
		for (j = 0; j < PQntuples(res); j++)
			if (strcmp(PQgetvalue(res, j, 0), s->file_name) == 0)
			{
				(*changed)[i] = strcmp(PQgetvalue(res, j, 1), s->up_checksum) != 0;
				break;
			}
	}
	PQclear(res);
	return true;
}

/*
 * Register the new and changed files in one mig_register() call.  False
 * (reported) on error.
 */
static bool
register_files(Conn *c, Project *project, const Catalog *cat)
{
	/*
	 * a revision of golang-migrate's, Diesel's, Flyway's or Sqitch's layout
	 * is up to three files; Flyway's repeatable migrations come too, and
	 * Sqitch's plan once
	 */
	int			max = 3 * project->nfiles + project->nrepeatables + 1;
	const char **names = pg_malloc(max * sizeof(char *));
	const char **contents = pg_malloc(max * sizeof(char *));
	char	  **down_names = pg_malloc0(2 * project->nfiles * sizeof(char *));
	size_t		bytes = 0;
	char	   *old_mode = NULL;
	bool	   *rep_changed;
	int			n = 0;
	bool		ok;
	int			i;

	for (i = 0; i < project->nfiles; i++)
	{
		MigFile    *f = &project->files[i];

		if (!needs_register(f, catalog_find(cat, f->script.id)))
			continue;
		names[n] = f->script.file_name;
		contents[n++] = f->content;
		bytes += strlen(f->content);
		if (f->down_content != NULL)
		{
			down_names[2 * i] = pgmig_split_part_name(f->script.file_name, PGMIG_PART_DOWN);
			names[n] = down_names[2 * i];
			contents[n++] = f->down_content;
			bytes += strlen(f->down_content);
		}
		if (f->meta_content != NULL)
		{
			down_names[2 * i + 1] = pgmig_split_part_name(f->script.file_name, PGMIG_PART_META);
			names[n] = down_names[2 * i + 1];
			contents[n++] = f->meta_content;
			bytes += strlen(f->meta_content);
		}
	}
	ok = changed_repeatables(c, project, &rep_changed);
	for (i = 0; ok && i < project->nrepeatables; i++)
	{
		if (!rep_changed[i])
			continue;
		names[n] = project->repeatables[i].script.file_name;
		contents[n++] = project->repeatables[i].content;
		bytes += strlen(project->repeatables[i].content);
	}
	if (n > 0 && project->sqitch_plan != NULL)
	{
		names[n] = PGMIG_SQITCH_PLAN;
		contents[n++] = project->sqitch_plan;
		bytes += strlen(project->sqitch_plan);
	}
	if (ok && bytes >= LARGE_REGISTRATION && !set_plan_cache_mode(c, NULL, &old_mode))
		ok = false;
	/* sqlx's simple files: only the setting tells them from broken dbmate files */
	if (n > 0 && ok && project->format != NULL && strcmp(project->format, "sqlx") == 0)
		ok = command(c, "SELECT pg_catalog.set_config('pgmig.format', 'sqlx', true)");
	if (n > 0 && ok)
	{
		char	   *sql = psprintf("SELECT revision, action FROM %s.mig_register($1::pg_catalog.text[], $2::pg_catalog.text[], $3::pg_catalog.bool)",
								   c->extschema);
		char	   *name_array = text_array_literal(n, names);
		int			content_len = 0;
		char	   *content_array = text_array_binary(n, contents, &content_len);
		const char *values[3] = {name_array, content_array,
		c->opts->force ? "true" : "false"};
		int			lengths[3] = {0, content_len, 0};
		int			formats[3] = {0, 1, 0};
		PGresult   *res = NULL;

		if (content_array != NULL)
		{
			res = PQexecParams(c->conn, sql, 3, NULL, values, lengths, formats, 0);
			if (PQresultStatus(res) != PGRES_TUPLES_OK)
			{
				report_error(res, c->conn, NULL);
				PQclear(res);
				res = NULL;
			}
		}
		pfree(sql);
		pg_free(name_array);
		pg_free(content_array);
		if (res == NULL)
			ok = false;
		else
		{
			for (i = 0; i < PQntuples(res); i++)
			{
				/* an override changes the history: always said */
				if (strcmp(PQgetvalue(res, i, 1), "override") == 0)
					info(c->opts, "override %s: its file changed after it was applied; the new checksum is recorded, nothing runs",
						 PQgetvalue(res, i, 0));
				else if (c->opts->verbose)
					info(c->opts, "%s %s", PQgetvalue(res, i, 1),
						 PQgetvalue(res, i, 0));
			}
			PQclear(res);
		}
	}
	if (old_mode != NULL)
	{
		ok = ok && set_plan_cache_mode(c, old_mode, NULL);
		pg_free(old_mode);
	}
	for (i = 0; i < 2 * project->nfiles; i++)
		pg_free(down_names[i]);
	pg_free(down_names);
	pg_free(rep_changed);
	pg_free(names);
	pg_free(contents);
	return ok;
}

/* Is this a registered revision to forget: not applied, its file gone? */
static bool
is_gone(const DbRev *d)
{
	return d->registered && !d->applied && !d->has_file;
}

/*
 * Forget the registered revisions whose file is gone and that are not
 * applied, in one mig_unregister() call.  False (reported) on error.
 */
static bool
forget_gone(Conn *c, Catalog *cat)
{
	const char **ids = pg_malloc(cat->n * sizeof(char *));
	int			n = 0;
	bool		ok = true;
	int			i;

	for (i = 0; i < cat->n; i++)
		if (is_gone(&cat->revs[i]))
			ids[n++] = cat->revs[i].id;
	if (n > 0)
	{
		char	   *sql = psprintf("SELECT %s.mig_unregister($1::pg_catalog.text[])",
								   c->extschema);
		char	   *id_array = text_array_literal(n, ids);
		const char *values[1] = {id_array};
		PGresult   *res = query(c, sql, 1, values);

		pfree(sql);
		pg_free(id_array);
		if (res == NULL)
			ok = false;
		else
		{
			info(c->opts, "forgot %d registered revision%s whose file is gone",
				 n, n == 1 ? "" : "s");
			PQclear(res);
			for (i = 0; i < cat->n; i++)
				if (is_gone(&cat->revs[i]))
					cat->revs[i].registered = false;
		}
	}
	pg_free(ids);
	return ok;
}

/*
 * Bring the catalog in step with the files: register new and changed
 * files in one call, forget unapplied revisions whose file is gone.  Runs
 * in the caller's transaction.  False (reported) on error.
 */
bool
sync_catalog(Conn *c, Project *project, Catalog *cat)
{
	return register_files(c, project, cat) && forget_gone(c, cat);
}

/* The state of a revision's catalog row, NULL without one. */
static const char *
row_state(const DbRev *d)
{
	if (d == NULL || !d->applied)
		return NULL;
	return d->state ? d->state : PGMIG_STATE_COMPLETE;
}

/*
 * Build the merged revision graph: every file, plus the applied revisions
 * whose file is gone (cat may be NULL: files only).  False (reported) on a
 * graph error.
 */
bool
build_view(Project *project, Catalog *cat, View *view)
{
	int			max = project->nfiles + (cat ? cat->n : 0);
	PgmigNode  *nodes = pg_malloc0(max * sizeof(PgmigNode));
	int			n = 0;
	int			i;
	PgmigError	err;

	memset(view, 0, sizeof(*view));
	view->graph.nodes = nodes;
	view->revs = pg_malloc0(max * sizeof(Rev));
	for (i = 0; i < project->nfiles; i++)
	{
		MigFile    *f = &project->files[i];
		PgmigNode  *node = &nodes[n];
		Rev		   *rev = &view->revs[n];

		rev->id = f->script.id;
		rev->description = f->script.description;
		rev->file = f;
		rev->db = catalog_find(cat, f->script.id);
		node->id = f->script.id;
		node->sortkey = f->script.sortkey;
		node->parents_explicit = f->script.parents_explicit;
		node->nparents = f->script.nparents;
		node->parent_ids = f->script.parents;
		node->nlabels = f->script.nlabels;
		node->labels = f->script.labels;
		node->applied = pgmig_state_applied(row_state(rev->db));
		node->partial = pgmig_state_partial(row_state(rev->db));
		node->data = rev;
		n++;
	}
	for (i = 0; cat && i < cat->n; i++)
	{
		DbRev	   *d = &cat->revs[i];
		PgmigNode  *node = &nodes[n];
		Rev		   *rev = &view->revs[n];

		if (d->has_file || !d->applied)
			continue;
		/* the key registered (Flyway's, Sqitch's), or the id's digits */
		node->sortkey = d->sortkey ? pg_strdup(d->sortkey) : pgmig_sortkey(d->id);
		if (node->sortkey == NULL)
		{
			pg_log_warning("ignoring applied revision \"%s\": it is not a version",
						   shown(d->id));
			continue;
		}
		rev->id = d->id;
		rev->description = d->description ? d->description : "";
		rev->db = d;
		node->id = d->id;
		node->parents_explicit = d->parents_explicit;
		node->nparents = d->nparents;
		node->parent_ids = d->parents;
		node->nlabels = d->nlabels;
		node->labels = d->labels;
		node->applied = pgmig_state_applied(row_state(d));
		node->partial = pgmig_state_partial(row_state(d));
		node->data = rev;
		n++;
	}

	memset(&err, 0, sizeof(err));
	if (!pgmig_graph_build(&view->graph, nodes, n, &err))
	{
		report_pgmig_error(&err);
		return false;
	}
	return true;
}

/* The revision of a graph node. */
Rev *
view_rev(const View *view, int node)
{
	return (Rev *) view->graph.nodes[node].data;
}

/* Free what read_catalog read. */
void
free_catalog(Catalog *cat)
{
	int			i;

	for (i = 0; i < cat->n; i++)
	{
		DbRev	   *d = &cat->revs[i];

		pg_free(d->id);
		pg_free(d->description);
		pg_free(d->file_checksum);
		pg_free(d->up_checksum);
		pg_free(d->source_file);
		/* parsePGArray makes one block per array */
		free(d->parents);
		free(d->labels);
		pg_free(d->applied_checksum);
		pg_free(d->state);
		pg_free(d->applied_at);
		pg_free(d->applied_by);
		pg_free(d->method);
		pg_free(d->duration);
		pg_free(d->sortkey);
	}
	pg_free(cat->revs);
	memset(cat, 0, sizeof(*cat));
}

/* Free the graph of a view (the files and catalog rows stay). */
void
free_view(View *view)
{
	int			i;

	for (i = 0; i < view->graph.n; i++)
	{
		PgmigNode  *node = &view->graph.nodes[i];

		pg_free(node->parents);
		pg_free(node->children);
		/* the sort key of a revision without a file is ours */
		if (node->data && ((Rev *) node->data)->file == NULL)
			pg_free(node->sortkey);
	}
	pg_free(view->graph.nodes);
	pg_free(view->graph.order);
	pg_free(view->revs);
	memset(view, 0, sizeof(*view));
}
