/*-------------------------------------------------------------------------
 *
 * commands.c
 *	  The commands that change something: init, new, merge, up, down, redo
 *	  and stamp; and verify, which runs scripts but changes nothing.
 *
 * Every command reads and checks all migration files before it connects,
 * so a malformed file is reported (with its name and line) before anything
 * touches the database.  Commands that change the database take the
 * session advisory lock first, then register the files and run.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <dirent.h>

#include <sys/stat.h>

/*
 * What a command works on.  File-scope, so that what they point to stays
 * reachable when an error exits the program from deep inside a call.
 */
static Project project;
static View view;
static Catalog cat;
static Conn conn;

static void fail(Conn *c) pg_attribute_noreturn();

/* Find the project and read its files; exits on any error. */
static void
prepare(const Options *opts, Project *project)
{
	bool		ok;

	if (!find_project(opts, true, project))
		exit(error_exit_status);
	ok = load_files(project);
	/* duplicates among the files that did parse are worth reporting too */
	ok = check_duplicates(project) && ok;
	if (!ok)
		exit(error_exit_status);
}

/*
 * Connect, check the extension and that the server session is this run's
 * alone (no transaction pooling); exits on any error.
 */
static void
open_db(const Options *opts, Conn *c)
{
	connect_db(opts, c);
	if (!handshake(c, false) || !require_session(c) ||
		!set_session_options(c))
		fail(c);
}

/* Disconnect (if connected) and exit with status 1 (2 for diff). */
static void
fail(Conn *c)
{
	if (c && c->conn)
		disconnect_db(c);
	exit(error_exit_status);
}

/* The number of names ending in ".sql" in folder "dir" (hidden ones aside). */
static int
count_migration_files(const char *dir)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	int			n = 0;

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		if (de->d_name[0] != '.' && len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* pgmig init: create the migrations folder and the extension. */
int
cmd_init(const Options *opts)
{
	struct stat st;
	int			nfiles;

	if (!find_project(opts, false, &project))
		fail(NULL);
	if (stat(project.dir, &st) == 0)
	{
		if (!S_ISDIR(st.st_mode))
		{
			pg_log_error("\"%s\" exists but is not a folder",
						 display_path(project.dir));
			fail(NULL);
		}
		nfiles = count_migration_files(project.dir);
		if (is_sqitch_project(project.dir))
			info(opts, "migrations folder %s is a Sqitch project: its plan and scripts are read as they are",
				 display_path(project.dir));
		else if (nfiles > 0)
			info(opts, "migrations folder %s exists: %d migration file%s",
				 display_path(project.dir), nfiles, nfiles == 1 ? "" : "s");
		else
			info(opts, "migrations folder %s exists", display_path(project.dir));
	}
	else
	{
		if (pg_mkdir_p(project.dir, 0755) != 0)
		{
			pg_log_error("could not create folder \"%s\": %m",
						 display_path(project.dir));
			fail(NULL);
		}
		info(opts, "created migrations folder %s", display_path(project.dir));
	}

	connect_db(opts, &conn);
	if (!handshake(&conn, true))
		fail(&conn);
	info(opts, "database \"%s\" has extension pgmig %s", PQdb(conn.conn),
		 PGMIG_VERSION);
	disconnect_db(&conn);
	free_project(&project);
	return EXIT_OK;
}

/* Write a new file with the given parents; exits on error. */
static void
write_new(const Options *opts, Project *project, View *view,
		  const int *parent_nodes, int nparents, const char *comment)
{
	const char **parents = pg_malloc(nparents * sizeof(char *));
	char	   *version = new_version(project);
	char	   *slug = make_slug(opts->message);
	int			i;

	for (i = 0; i < nparents; i++)
		parents[i] = view->graph.nodes[parent_nodes[i]].id;
	if (!write_migration(project, version, slug, nparents, parents, comment,
						 opts->quiet))
		fail(NULL);
	pg_free(parents);
	pg_free(version);
	pg_free(slug);
}

/* pgmig new -m MSG: a new file whose parents are the current heads. */
int
cmd_new(const Options *opts)
{
	int		   *heads;
	int			nheads;

	if (opts->autogenerate)
		return cmd_new_autogenerate(opts);
	prepare(opts, &project);
	if (!build_view(&project, NULL, &view))
		fail(NULL);
	nheads = pgmig_graph_heads(&view.graph, &heads);
	write_new(opts, &project, &view, heads, nheads, NULL);
	if (nheads > 1)
	{
		char	   *list = pgmig_graph_id_list(&view.graph, heads, nheads, 10);

		pg_log_warning("the new revision joins %d heads: %s", nheads, list);
		pg_free(list);
	}
	pg_free(heads);
	free_view(&view);
	free_project(&project);
	return EXIT_OK;
}

/* The nodes named by -r, checked to be on different branches; exits on error. */
static int
merge_revisions(const Options *opts, View *view, int **join)
{
	int			njoin = 0;
	int			i,
				j;

	*join = pg_malloc(opts->nrevisions * sizeof(int));
	for (i = 0; i < opts->nrevisions; i++)
	{
		PgmigError	err;
		int			x;

		memset(&err, 0, sizeof(err));
		x = pgmig_graph_find(&view->graph, opts->revisions[i], &err);
		if (x < 0)
		{
			report_pgmig_error(&err);
			fail(NULL);
		}
		for (j = 0; j < njoin; j++)
			if ((*join)[j] == x)
				break;
		if (j == njoin)
			(*join)[njoin++] = x;
	}
	/* a revision that is an ancestor of another one is already joined */
	for (i = 0; i < njoin; i++)
		for (j = 0; j < njoin; j++)
			if (i != j && pgmig_graph_is_ancestor(&view->graph, (*join)[i], (*join)[j]))
			{
				pg_log_error("revision %s is an ancestor of revision %s",
							 view->graph.nodes[(*join)[i]].id,
							 view->graph.nodes[(*join)[j]].id);
				pg_log_error_hint("Merge revisions of different branches.");
				fail(NULL);
			}
	return njoin;
}

/* pgmig merge -m MSG [-r REV]...: a revision joining several heads. */
int
cmd_merge(const Options *opts)
{
	int		   *join;
	int			njoin;
	char	   *list;
	char	   *comment;

	prepare(opts, &project);
	if (!build_view(&project, NULL, &view))
		fail(NULL);
	if (opts->nrevisions == 0)
		njoin = pgmig_graph_heads(&view.graph, &join);
	else
		njoin = merge_revisions(opts, &view, &join);
	if (njoin < 2)
	{
		if (opts->nrevisions == 0)
			pg_log_error("nothing to merge: there %s %d head%s",
						 njoin == 1 ? "is" : "are", njoin, njoin == 1 ? "" : "s");
		else
			pg_log_error("a merge needs at least two revisions");
		pg_log_error_hint("A merge joins branches: revisions with the same parent, made on different branches.");
		fail(NULL);
	}
	list = pgmig_graph_id_list(&view.graph, join, njoin, njoin);
	comment = psprintf("Merges %s.", list);
	write_new(opts, &project, &view, join, njoin, comment);
	pg_free(list);
	pg_free(comment);
	pg_free(join);
	free_view(&view);
	free_project(&project);
	return EXIT_OK;
}

/* Shared by up and down: --sql, or connect, lock and run. */
static int
up_or_down(const Options *opts, const char *target, bool revert)
{
	int			status;

	prepare(opts, &project);
	if (opts->sql)
		status = print_sql_script(opts, &project, target, revert);
	else
	{
		open_db(opts, &conn);
		take_lock(&conn);
		if (opts->json)
			json_run_begin(&conn);
		status = run_plan(&conn, &project, target, revert);
		/* the standbys have the new schema before the deploy goes on */
		if (status == EXIT_OK && opts->replicas && !opts->dry_run &&
			!wait_for_replicas(&conn, opts->replicas))
			status = error_exit_status;
		if (status == EXIT_OK && opts->json)
			print_run_json(&conn, target);
		disconnect_db(&conn);
	}
	free_project(&project);
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

/* Shared by redo and verify: connect, lock and run "fn" for target. */
static int
run_locked(const Options *opts, const char *target,
		   int (*fn) (Conn *c, Project *project, const char *target))
{
	int			status;

	prepare(opts, &project);
	open_db(opts, &conn);
	take_lock(&conn);
	if (opts->json && fn == run_redo)
		json_run_begin(&conn);
	status = fn(&conn, &project, target);
	if (status == EXIT_OK && opts->json && fn == run_redo)
		print_run_json(&conn, target);
	disconnect_db(&conn);
	free_project(&project);
	return status;
}

/* pgmig redo [TARGET] */
int
cmd_redo(const Options *opts)
{
	return run_locked(opts, opts->nargs > 0 ? opts->args[0] : "-1", run_redo);
}

/* pgmig verify [TARGET]: check the round trip of pending revisions. */
int
cmd_verify(const Options *opts)
{
	return run_locked(opts, opts->nargs > 0 ? opts->args[0] : "heads", run_verify);
}

/*
 * Register the files and record the database as being at target without
 * running scripts, in one transaction; the caller holds the migration
 * lock.  False (reported) on error.
 */
bool
stamp_revision(Conn *c, Project *project, const char *target)
{
	PGresult   *res = NULL;
	char	   *sql;
	const char *values[1] = {target};
	bool		ok;
	int			i;

	memset(&cat, 0, sizeof(cat));
	memset(&view, 0, sizeof(view));
	ok = begin_tx(c) &&
		read_catalog(c, project, &cat) &&
		build_view(project, &cat, &view) &&
		sync_catalog(c, project, &cat);
	if (ok)
	{
		sql = psprintf("SELECT revision, action FROM %s.mig_stamp($1)", c->extschema);
		res = query(c, sql, 1, values);
		pfree(sql);
		ok = res != NULL && command(c, "COMMIT");
	}
	if (ok)
	{
		for (i = 0; i < PQntuples(res); i++)
			info(c->opts, "%s %s", PQgetvalue(res, i, 1), PQgetvalue(res, i, 0));
		if (PQntuples(res) == 0)
			info(c->opts, "nothing to stamp");
		if (c->opts->json)
			print_stamp_json(c, target, res);
	}
	else if (PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		PQclear(PQexec(c->conn, "ROLLBACK"));
	if (res)
		PQclear(res);
	free_view(&view);
	free_catalog(&cat);
	return ok;
}

/* pgmig import: take over the history another migration tool recorded. */
int
cmd_import(const Options *opts)
{
	prepare(opts, &project);
	open_db(opts, &conn);
	take_lock(&conn);
	if (!import_history(&conn, &project))
		fail(&conn);
	disconnect_db(&conn);
	free_project(&project);
	return EXIT_OK;
}

/* pgmig stamp REV: register the files, then mark the database as at REV. */
int
cmd_stamp(const Options *opts)
{
	prepare(opts, &project);
	open_db(opts, &conn);
	take_lock(&conn);
	if (opts->json)
		json_run_begin(&conn);
	if (!stamp_revision(&conn, &project, opts->args[0]))
		fail(&conn);
	disconnect_db(&conn);
	free_project(&project);
	return EXIT_OK;
}
