/*-------------------------------------------------------------------------
 *
 * commands.c
 *	  The commands that change something: init, new, merge, up, down, redo
 *	  and stamp.
 *
 * Every command reads and checks all migration files before it connects,
 * so a malformed file is reported (with its name and line) before anything
 * touches the database.  Commands that change the database take the
 * session advisory lock first, then register the files and run.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <sys/stat.h>

/* Find the project and read its files; exits on any error. */
static void
prepare(const Options *opts, Project *project)
{
	bool		ok;

	if (!find_project(opts, true, project))
		exit(EXIT_ERROR);
	ok = load_files(project);
	/* duplicates among the files that did parse are worth reporting too */
	ok = check_duplicates(project) && ok;
	if (!ok)
		exit(EXIT_ERROR);
}

/* Connect and check the extension; exits on any error. */
static void
open_db(const Options *opts, Conn *c)
{
	connect_db(opts, c);
	if (!handshake(c, false) || !set_session_options(c))
	{
		disconnect_db(c);
		exit(EXIT_ERROR);
	}
}

/* pgmig init: create the migrations folder and the extension. */
int
cmd_init(const Options *opts)
{
	Project		project;
	Conn		c;
	struct stat st;

	if (!find_project(opts, false, &project))
		return EXIT_ERROR;
	if (stat(project.dir, &st) == 0)
	{
		if (!S_ISDIR(st.st_mode))
		{
			pg_log_error("\"%s\" exists but is not a folder",
						 display_path(project.dir));
			return EXIT_ERROR;
		}
		info(opts, "migrations folder %s exists", display_path(project.dir));
	}
	else
	{
		if (pg_mkdir_p(project.dir, 0755) != 0)
		{
			pg_log_error("could not create folder \"%s\": %m",
						 display_path(project.dir));
			return EXIT_ERROR;
		}
		info(opts, "created migrations folder %s", display_path(project.dir));
	}

	connect_db(opts, &c);
	if (!handshake(&c, true))
	{
		disconnect_db(&c);
		return EXIT_ERROR;
	}
	info(opts, "database \"%s\" has extension pgmig %s", PQdb(c.conn),
		 PGMIG_VERSION);
	disconnect_db(&c);
	return EXIT_OK;
}

/* pgmig new -m MSG: a new file whose parents are the current heads. */
int
cmd_new(const Options *opts)
{
	Project		project;
	View		view;
	int		   *heads;
	int			nheads;
	const char **parents;
	char	   *version;
	char	   *slug;
	int			i;
	bool		ok;

	prepare(opts, &project);
	if (!build_view(&project, NULL, &view))
		return EXIT_ERROR;
	nheads = pgmig_graph_heads(&view.graph, &heads);
	parents = pg_malloc((nheads > 0 ? nheads : 1) * sizeof(char *));
	for (i = 0; i < nheads; i++)
		parents[i] = view.graph.nodes[heads[i]].id;
	version = new_version(&project);
	slug = make_slug(opts->message);
	ok = write_migration(&project, version, slug, nheads, parents, NULL,
						 opts->quiet);
	if (ok && nheads > 1)
		pg_log_warning("the new revision joins %d heads: %s", nheads,
					   pgmig_graph_id_list(&view.graph, heads, nheads, 10));
	pg_free(parents);
	pg_free(version);
	pg_free(slug);
	return ok ? EXIT_OK : EXIT_ERROR;
}

/* pgmig merge -m MSG [-r REV]...: a revision joining several heads. */
int
cmd_merge(const Options *opts)
{
	Project		project;
	View		view;
	int		   *join;
	int			njoin = 0;
	const char **parents;
	char	   *version;
	char	   *slug;
	char	   *comment;
	int			i,
				j;
	bool		ok;

	prepare(opts, &project);
	if (!build_view(&project, NULL, &view))
		return EXIT_ERROR;
	if (opts->nrevisions == 0)
		njoin = pgmig_graph_heads(&view.graph, &join);
	else
	{
		join = pg_malloc(opts->nrevisions * sizeof(int));
		for (i = 0; i < opts->nrevisions; i++)
		{
			PgmigError	err;
			int			x;

			memset(&err, 0, sizeof(err));
			x = pgmig_graph_find(&view.graph, opts->revisions[i], &err);
			if (x < 0)
			{
				report_pgmig_error(&err);
				return EXIT_ERROR;
			}
			for (j = 0; j < njoin; j++)
				if (join[j] == x)
					break;
			if (j == njoin)
				join[njoin++] = x;
		}
		/* a revision that is an ancestor of another one is already joined */
		for (i = 0; i < njoin; i++)
			for (j = 0; j < njoin; j++)
				if (i != j && pgmig_graph_is_ancestor(&view.graph, join[i], join[j]))
				{
					pg_log_error("revision %s is an ancestor of revision %s",
								 view.graph.nodes[join[i]].id,
								 view.graph.nodes[join[j]].id);
					pg_log_error_hint("Merge revisions of different branches.");
					return EXIT_ERROR;
				}
	}
	if (njoin < 2)
	{
		if (opts->nrevisions == 0)
			pg_log_error("nothing to merge: there %s %d head%s",
						 njoin == 1 ? "is" : "are", njoin, njoin == 1 ? "" : "s");
		else
			pg_log_error("a merge needs at least two revisions");
		pg_log_error_hint("A merge joins branches: revisions with the same parent, made on different branches.");
		return EXIT_ERROR;
	}
	parents = pg_malloc(njoin * sizeof(char *));
	for (i = 0; i < njoin; i++)
		parents[i] = view.graph.nodes[join[i]].id;
	version = new_version(&project);
	slug = make_slug(opts->message);
	comment = psprintf("Merges %s.",
					   pgmig_graph_id_list(&view.graph, join, njoin, njoin));
	ok = write_migration(&project, version, slug, njoin, parents, comment,
						 opts->quiet);
	pg_free(parents);
	pg_free(version);
	pg_free(slug);
	pfree(comment);
	return ok ? EXIT_OK : EXIT_ERROR;
}

/* Shared by up and down: --sql, or connect, lock and run. */
static int
up_or_down(const Options *opts, const char *target, bool revert)
{
	Project		project;
	Conn		c;
	int			status;

	prepare(opts, &project);
	if (opts->sql)
		return print_sql_script(opts, &project, target, revert);
	open_db(opts, &c);
	take_lock(&c);
	status = run_plan(&c, &project, target, revert);
	disconnect_db(&c);
	return status;
}

/* pgmig up [TARGET] */
int
cmd_up(const Options *opts)
{
	return up_or_down(opts, opts->nargs > 0 ? opts->args[0] : "head", false);
}

/* pgmig down TARGET */
int
cmd_down(const Options *opts)
{
	return up_or_down(opts, opts->args[0], true);
}

/* pgmig redo [TARGET] */
int
cmd_redo(const Options *opts)
{
	Project		project;
	Conn		c;
	int			status;

	prepare(opts, &project);
	open_db(opts, &c);
	take_lock(&c);
	status = run_redo(&c, &project, opts->nargs > 0 ? opts->args[0] : "-1");
	disconnect_db(&c);
	return status;
}

/* pgmig stamp REV: register the files, then mark the database as at REV. */
int
cmd_stamp(const Options *opts)
{
	Project		project;
	Conn		c;
	Catalog		cat;
	View		view;
	PGresult   *res;
	char	   *sql;
	const char *values[1] = {opts->args[0]};
	int			i;

	prepare(opts, &project);
	open_db(opts, &c);
	take_lock(&c);
	if (!command(&c, "BEGIN") ||
		!read_catalog(&c, &project, &cat) ||
		!build_view(&project, &cat, &view) ||
		!sync_catalog(&c, &project, &cat))
	{
		disconnect_db(&c);
		return EXIT_ERROR;
	}
	sql = psprintf("SELECT revision, action FROM %s.mig_stamp($1)", c.extschema);
	res = query(&c, sql, 1, values);
	pfree(sql);
	if (res == NULL || !command(&c, "COMMIT"))
	{
		if (res)
			PQclear(res);
		disconnect_db(&c);
		return EXIT_ERROR;
	}
	for (i = 0; i < PQntuples(res); i++)
		info(opts, "%s %s", PQgetvalue(res, i, 1), PQgetvalue(res, i, 0));
	if (PQntuples(res) == 0)
		info(opts, "nothing to stamp");
	PQclear(res);
	disconnect_db(&c);
	return EXIT_OK;
}
