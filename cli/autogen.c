/*-------------------------------------------------------------------------
 *
 * autogen.c
 *	  Autogenerate: "pgmig diff" and "pgmig new --autogenerate".
 *
 * Two states of a schema are built and described by the extension
 * (pgmig.describe(), read in describe.c): the migrations' head, applied in
 * a shadow database as "pgmig up" applies them, and the state wanted: the
 * schema file loaded into a second shadow, or with --from-database the
 * connected database itself.  The shared differ (common/pgmig_diff.c)
 * turns the two descriptions into the statements of the up script (head
 * to wanted) and of the down script (wanted to head).
 *
 * diff prints a script and exits as diff(1) does: 0 no difference, 1
 * differences, 2 trouble.  new writes the revision(s) after proving them
 * (newrev.c).  Nothing is written and nothing changes in the user's
 * database unless the command gets that far; shadows are always dropped
 * (shadow.c).
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "fe_utils/cancel.h"

/*
 * What autogenerate works on.  File-scope, so that what it points to stays
 * reachable when an error exits the program, and so that the shadows'
 * connections outlive every call (shadow.c closes them).
 */
static Autogen ag;

/* Exit on an error: the atexit handler of shadow.c drops the shadows. */
void
autogen_fail(void)
{
	if (ag.user.conn)
		disconnect_db(&ag.user);
	exit(error_exit_status);
}

/* Exit if Ctrl-C or SIGTERM came while no statement was running. */
void
autogen_check_canceled(void)
{
	if (CancelRequested)
	{
		pg_log_error("canceled");
		autogen_fail();
	}
}

/* Find the project, read its files and the heads of their graph; exits on error. */
static void
read_project(const Options *opts)
{
	View		view;
	int		   *heads;
	int			i;
	bool		ok;

	if (!find_project(opts, true, &ag.project))
		autogen_fail();
	/* --from-database compares the applied scripts with the files */
	ag.project.inspecting = opts->from_database;
	ok = load_files(&ag.project);
	ok = check_duplicates(&ag.project) && ok;
	if (!ok || !build_view(&ag.project, NULL, &view))
		autogen_fail();
	ag.nheads = pgmig_graph_heads(&view.graph, &heads);
	ag.heads = pg_malloc0(Max(ag.nheads, 1) * sizeof(char *));
	for (i = 0; i < ag.nheads; i++)
		ag.heads[i] = pg_strdup(view.graph.nodes[heads[i]].id);
	pg_free(heads);
	free_view(&view);
}

/* Report the first revision that keeps the database from being at head. */
static bool
report_not_at_head(const char *what, const char *id, int n)
{
	const char *db = PQdb(ag.user.conn);

	if (strcmp(what, "pending") == 0)
	{
		pg_log_error("database \"%s\" is not at the head of the migrations: %d revision%s pending, from %s",
					 db, n, n == 1 ? " is" : "s are", id);
		pg_log_error_hint("Apply them first with \"%s up\": --from-database writes what the database has beyond the migrations' head.",
						  progname);
	}
	else if (strcmp(what, "changed") == 0)
	{
		pg_log_error("the file of revision %s was changed after it was applied to database \"%s\"",
					 id, db);
		pg_log_error_hint("Restore the file as it was applied: the head of the migrations must be what the database was built from.");
	}
	else if (strcmp(what, "half-done") == 0)
	{
		pg_log_error("revision %s is half-done in database \"%s\"", id, db);
		pg_log_error_hint("Finish it with \"%s up\" first.", progname);
	}
	else
	{
		pg_log_error("revision %s is applied to database \"%s\" but has no file", id, db);
		pg_log_error_hint("Restore its file: the head of the migrations must be what the database was built from.");
	}
	return false;
}

/*
 * --from-database: is the connected database at the head of the
 * migrations, every revision applied as its file says and none half-done?
 * False (reported) if not.
 */
static bool
check_at_head(void)
{
	static const char *const problems[] = {"pending", "changed", "half-done", "missing"};
	const char *first[4] = {NULL, NULL, NULL, NULL};
	int			count[4] = {0, 0, 0, 0};
	int			i;

	if (!read_catalog(&ag.user, &ag.project, &ag.cat) ||
		!build_view(&ag.project, &ag.cat, &ag.dbview))
		return false;
	for (i = 0; i < ag.dbview.graph.n; i++)
	{
		const PgmigNode *node = &ag.dbview.graph.nodes[ag.dbview.graph.order ?
															ag.dbview.graph.order[i] : i];
		Rev		   *rev = (Rev *) node->data;
		DbRev	   *d = rev->db;
		const char *state = d && d->state ? d->state : PGMIG_STATE_COMPLETE;
		int			k = -1;

		if (d == NULL || !d->applied)
			k = 0;
		else if (rev->file == NULL)
			k = 3;
		else if (strcmp(state, PGMIG_STATE_COMPLETE) != 0)
			k = 2;
		else if (pgmig_changed_since_applied(state, d->applied_checksum,
											 rev->file->script.up_checksum))
			k = 1;
		if (k >= 0 && count[k]++ == 0)
			first[k] = rev->id;
	}
	for (i = 0; i < 4; i++)
		if (count[i] > 0)
			return report_not_at_head(problems[i], first[i], count[i]);
	return true;
}

/*
 * --from-database: connect to the user's database, which the description
 * is read from (and "new" stamps); new holds the migration lock from here
 * to the end, so that no run changes it meanwhile.  Exits on error.
 */
static void
open_user_database(const Options *opts)
{
	connect_db(opts, &ag.user);
	if (!handshake(&ag.user, false) ||
		(opts->command->cmd == CMD_NEW && !require_session(&ag.user)) ||
		!set_session_options(&ag.user))
		autogen_fail();
	if (opts->command->cmd == CMD_NEW)
		take_lock(&ag.user);
	if (!check_at_head())
		autogen_fail();
	free_view(&ag.dbview);
	free_catalog(&ag.cat);
}

/*
 * With -v, say how long a step took (on stderr: diff's stdout is its
 * script) and start timing the next one.
 */
void
autogen_timing(instr_time *start, const char *fmt,...)
{
	va_list		ap;
	char		what[256];

	if (ag.opts->verbose && !ag.opts->quiet)
	{
		va_start(ap, fmt);
		vsnprintf(what, sizeof(what), fmt, ap);
		va_end(ap);
		pg_log_info("%s in %.3f s", what, elapsed_ms(*start) / 1000.0);
	}
	INSTR_TIME_SET_CURRENT(*start);
}

/* Describe a database into *desc; exits on error. */
static void
describe_state(Conn *c, PgmigSchema *desc, const char *what)
{
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	if (!describe_database(c, ag.opts->privileges, desc))
		autogen_fail();
	autogen_timing(&start, "%s described (%d objects)", what, desc->n);
}

/*
 * Start building the state wanted: the schema file, sent to a shadow to
 * load while the head is built (finish_wanted waits for it), or with
 * --from-database the user's database, described now.
 */
static void
start_wanted(const Options *opts, instr_time *start)
{
	INSTR_TIME_SET_CURRENT(*start);
	if (opts->from_database)
	{
		ag.want_label = psprintf("database \"%s\"", PQdb(ag.user.conn));
		SetCancelConn(ag.user.conn);
		describe_state(&ag.user, &ag.want_desc, ag.want_label);
		return;
	}
	ag.want_label = pg_strdup(ag.schema.label);
	if (!shadow_create("schema", &ag.shadow_opts, &ag.want) ||
		!load_schema_send(&ag.want, &ag.schema, opts->privileges))
		autogen_fail();
}

/* The schema file loaded (start_wanted sent it), then described. */
static void
finish_wanted(const Options *opts, instr_time *start)
{
	if (opts->from_database)
		return;
	SetCancelConn(ag.want.conn);
	if (!load_schema_wait(&ag.want))
		autogen_fail();
	autogen_timing(start, "%s loaded in a shadow database", ag.want_label);
	describe_state(&ag.want, &ag.want_desc, ag.want_label);
}

/* The migrations' head, applied in a shadow as "pgmig up" applies them. */
static void
build_head(void)
{
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	if (!shadow_create("head", &ag.shadow_opts, &ag.head))
		autogen_fail();
	take_lock(&ag.head);
	if (run_plan(&ag.head, &ag.project, "heads", false) != EXIT_OK)
	{
		/* a cancel may stop a statement whose error is not reported (run_end) */
		autogen_check_canceled();
		pg_log_info("the migrations failed while their head was built in a shadow database; nothing was written");
		autogen_fail();
	}
	autogen_check_canceled();
	autogen_timing(&start, "the migrations' head (%d %s) built in a shadow database",
				   ag.project.nfiles, ag.project.nfiles == 1 ? "revision" : "revisions");
	describe_state(&ag.head, &ag.head_desc, "the migrations' head");
}

/*
 * Everything both commands start from: the files, the schema file, the
 * two states described.  The server loads the schema file and applies
 * the migrations at the same time, in two shadows.  Exits on error.
 */
static void
build_states(const Options *opts)
{
	instr_time	want_start;

	memset(&ag, 0, sizeof(ag));
	ag.opts = opts;
	read_project(opts);
	if (!opts->from_database && !read_schema(opts, &ag.project, &ag.schema))
		autogen_fail();
	/* the shadows' runs say nothing of their own */
	ag.shadow_opts = *opts;
	ag.shadow_opts.quiet = true;
	ag.shadow_opts.confirm = false;
	ag.shadow_opts.lock_timeout = NULL;
	ag.shadow_opts.lock_retries = NULL;
	if (opts->from_database)
		open_user_database(opts);
	shadow_server_open(opts, &ag.project);
	start_wanted(opts, &want_start);
	autogen_check_canceled();
	build_head();
	finish_wanted(opts, &want_start);
}

/* The differ's statements from "from" to "to"; exits on error. */
void
autogen_diff(const PgmigSchema *from, const PgmigSchema *to, bool concurrently,
			 PgmigDiff *diff)
{
	PgmigDiffOptions options;
	PgmigError	err;
	instr_time	start;

	INSTR_TIME_SET_CURRENT(start);
	memset(&options, 0, sizeof(options));
	memset(&err, 0, sizeof(err));
	memset(diff, 0, sizeof(*diff));
	options.concurrently = concurrently;
	options.privileges = ag.opts->privileges;
	if (!pgmig_diff(from, to, &options, diff, &err))
	{
		report_pgmig_error(&err);
		pg_log_info("nothing was written");
		autogen_fail();
	}
	autogen_timing(&start, "compared: %d statements", diff->nsteps);
}

/*
 * Print one line per change on stderr, "detected added column ..." (unless
 * quiet), and a warning for each that can lose data.  A change of several
 * statements has its summary on the first.
 */
static void
print_summary(const PgmigDiff *diff, bool quiet)
{
	const char *summary = NULL;
	int			i;

	for (i = 0; i < diff->nsteps; i++)
	{
		const PgmigStep *step = &diff->steps[i];

		if (step->summary)
		{
			summary = step->summary;
			if (!quiet)
				pg_log_info("detected %s", summary);
		}
		if (step->destructive)
			pg_log_warning("can lose data: %s", summary ? summary : step->sql);
	}
	for (i = 0; !quiet && i < diff->nrenames; i++)
		pg_log_info("possible rename, offered commented out: %s", diff->renames[i]);
}

/* Append a statement, without the white space after it, and its ";". */
static void
append_statement(PQExpBuffer buf, const char *sql)
{
	size_t		len = strlen(sql);

	while (len > 0 && (isspace((unsigned char) sql[len - 1]) || sql[len - 1] == ';'))
		len--;
	appendBinaryPQExpBuffer(buf, sql, len);
	appendPQExpBufferStr(buf, ";\n");
	/* a statement of several lines stands apart */
	if (memchr(sql, '\n', len) != NULL)
		appendPQExpBufferChar(buf, '\n');
}

/*
 * Append the statements of a diff as a script: the renames offered,
 * commented out, then the steps that run in a transaction (online false)
 * or outside one (online true), each that can lose data after a warning.
 */
void
append_script(PQExpBuffer buf, const PgmigDiff *diff, bool online)
{
	const char *summary = NULL;
	int			i;

	if (!online && diff->nrenames > 0)
	{
		appendPQExpBufferStr(buf, "-- A rename looks like a drop and an add.  If one of these is a rename,\n"
							 "-- use it instead of the DROP and ADD it stands for:\n");
		for (i = 0; i < diff->nrenames; i++)
			appendPQExpBuffer(buf, "-- %s;  -- if this is a rename\n", diff->renames[i]);
		appendPQExpBufferChar(buf, '\n');
	}
	for (i = 0; i < diff->nsteps; i++)
	{
		const PgmigStep *step = &diff->steps[i];

		if (step->summary)
			summary = step->summary;
		if (step->online != online)
			continue;
		if (step->destructive)
			appendPQExpBuffer(buf, "-- WARNING: can lose data: %s\n",
							  summary ? summary : "this statement");
		append_statement(buf, step->sql);
	}
}

/* Append what undoes the online steps of a diff, the last one first. */
void
append_revert(PQExpBuffer buf, const PgmigDiff *diff)
{
	int			i;

	for (i = diff->nsteps - 1; i >= 0; i--)
		if (diff->steps[i].online && diff->steps[i].revert_sql)
			append_statement(buf, diff->steps[i].revert_sql);
}

/* How many steps of a diff run in a transaction (online false) or not. */
int
count_steps(const PgmigDiff *diff, bool online)
{
	int			n = 0;
	int			i;

	for (i = 0; i < diff->nsteps; i++)
		if (diff->steps[i].online == online)
			n++;
	return n;
}

/* Free what the command holds, dropping the shadows; false if one stayed. */
static bool
finish(void)
{
	instr_time	start;
	bool		ok;
	int			i;

	INSTR_TIME_SET_CURRENT(start);
	ok = shadow_drop_all();
	autogen_timing(&start, "shadow databases dropped");

	if (ag.user.conn)
		disconnect_db(&ag.user);
	free_description(&ag.head_desc);
	free_description(&ag.want_desc);
	pgmig_diff_free(&ag.up);
	pgmig_diff_free(&ag.down);
	free_schema_source(&ag.schema);
	for (i = 0; i < ag.nheads; i++)
		pg_free(ag.heads[i]);
	pg_free(ag.heads);
	pg_free(ag.want_label);
	free_project(&ag.project);
	return ok;
}

/*
 * pgmig diff [--down]: print the up script from the migrations' head to
 * the schema wanted (--down: back), changing nothing.  Exit status as
 * diff(1)'s: 0 no difference, 1 differences, 2 trouble.
 */
int
cmd_diff(const Options *opts)
{
	PQExpBufferData buf;
	PgmigDiff  *diff = &ag.up;
	bool		differs;

	error_exit_status = EXIT_USAGE;
	build_states(opts);
	if (opts->down)
		autogen_diff(&ag.want_desc, &ag.head_desc, false, diff);
	else
		autogen_diff(&ag.head_desc, &ag.want_desc, opts->concurrently, diff);
	print_summary(diff, opts->quiet);
	initPQExpBuffer(&buf);
	append_script(&buf, diff, false);
	if (count_steps(diff, true) > 0)
	{
		appendPQExpBufferStr(&buf, "\n-- Outside a transaction block (a revision with transaction:false):\n");
		append_script(&buf, diff, true);
	}
	fputs(buf.data, stdout);
	fflush(stdout);
	termPQExpBuffer(&buf);
	differs = diff->nsteps > 0 || diff->nrenames > 0;
	if (!finish())
		return EXIT_USAGE;
	return differs ? EXIT_ERROR : EXIT_OK;
}

/*
 * pgmig new -m MSG --autogenerate: write the revision that takes the
 * migrations' head to the schema wanted, proven first in the head's
 * shadow; with --from-database record it as applied there.
 */
int
cmd_new_autogenerate(const Options *opts)
{
	bool		ok;

	build_states(opts);
	autogen_diff(&ag.head_desc, &ag.want_desc, opts->concurrently, &ag.up);
	autogen_diff(&ag.want_desc, &ag.head_desc, false, &ag.down);
	if (ag.up.nsteps == 0 && ag.up.nrenames == 0 && ag.down.nsteps == 0)
	{
		info(opts, "no changes detected: the migrations' head is %s", ag.want_label);
		return finish() ? EXIT_OK : EXIT_ERROR;
	}
	print_summary(&ag.up, opts->quiet);
	if (ag.nheads > 1)
		pg_log_warning("the new revision joins %d heads", ag.nheads);
	ok = write_revisions(&ag);
	if (!finish())
		ok = false;
	return ok ? EXIT_OK : EXIT_ERROR;
}
