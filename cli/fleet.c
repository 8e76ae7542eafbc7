/*-------------------------------------------------------------------------
 *
 * fleet.c
 *	  One command over many databases: --databases FILE, --all-databases,
 *	  --jobs and --fail-fast, for up, down, status, check and verify.
 *
 * Each database is run by a child process doing exactly what a single run
 * does (the command's own code, which exits on errors), so that it is all
 * or nothing per database, with its own lock and its own production guard.
 * The child first reads where the database stands ("before"), then forks
 * the run itself, and once that has ended reads where it stands again
 * ("after"); the three steps' output goes through a pipe that the parent
 * shows, prefixed with the database, once the database is done.  A second
 * pipe carries the child's report: before, after and the run's exit
 * status.
 *
 * The parent starts at most --jobs children at a time, shows a summary
 * line while they run (on a terminal), and prints a table at the end, or
 * JSON.  Children run in a process group of their own, so that Ctrl-C
 * reaches the parent only: it starts no more databases and passes the
 * SIGINT on to the running ones, which cancel their statement and roll
 * back as a single run does on Ctrl-C.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include "fe_utils/cancel.h"

/* Where a database is. */
typedef enum FleetResult
{
	FLEET_PENDING,
	FLEET_RUNNING,
	FLEET_OK,
	FLEET_FAILED,
	FLEET_CANCELED,				/* failed after Ctrl-C */
	FLEET_NOT_STARTED,			/* Ctrl-C or --fail-fast came first */
	FLEET_SKIPPED				/* --all-databases: no pgmig extension */
} FleetResult;

static const char *const result_names[] = {
	"pending", "running", "ok", "failed", "canceled", "not started", "skipped"
};

/* One database of the fleet. */
typedef struct FleetDb
{
	char	   *conninfo;		/* what its run connects with (-d) */
	char	   *label;			/* how it is shown: never a password, no
								 * control characters */
	int			lineno;			/* its line in the --databases file */
	FleetResult result;
	pid_t		pid;			/* the child, while it runs */
	int			outfd;			/* its output; -1 once read to the end */
	int			repfd;			/* its report */
	PQExpBufferData output;
	bool		started;		/* the run itself was started */
	char	   *before;			/* current revisions, "" none; NULL unknown */
	char	   *after;
	int			exit_status;
	instr_time	start;
	double		ms;
} FleetDb;

/* The fleet. */
typedef struct Fleet
{
	const Options *opts;
	int			(*run_one) (const Options *opts);
	int			n;
	FleetDb    *dbs;
	int			next;			/* the first database not started */
	int			nrunning;
	bool		stop;			/* start no more */
	int			nsignals;		/* SIGINT/SIGTERM passed on so far */
	bool		live;			/* a summary line on the terminal */
	bool		line_shown;		/* it is on the screen now */
	char	   *password;		/* -W: asked once, for every database */
} Fleet;

/* SIGINT and SIGTERM received by the parent. */
static volatile sig_atomic_t signals_received = 0;

/* What the locus callback of the logging says: the file being read. */
static const char *locus_file;
static uint64 locus_line;

/* Does the command line name many databases? */
bool
is_fleet(const Options *opts)
{
	return opts->databases != NULL || opts->all_databases;
}

/* Does the command change the database (then "after" is read again)? */
static bool
changes_database(const Options *opts)
{
	return opts->command->cmd == CMD_UP || opts->command->cmd == CMD_DOWN;
}

/* "pgmig:FILE:LINE: error: ..." while the databases file is checked. */
static void
file_locus(const char **filename, uint64 *lineno)
{
	*filename = locus_file;
	*lineno = locus_line;
}

/* Add a database to the fleet. */
static void
add_db(Fleet *fl, char *conninfo, char *label)
{
	FleetDb    *db;

	fl->dbs = pg_realloc(fl->dbs, (fl->n + 1) * sizeof(FleetDb));
	db = &fl->dbs[fl->n++];
	memset(db, 0, sizeof(*db));
	db->conninfo = conninfo;
	db->label = label;
	db->outfd = -1;
	db->repfd = -1;
	db->exit_status = -1;
	initPQExpBuffer(&db->output);
}

/*
 * Read --databases FILE: one connection string, URL or database name a
 * line; blank lines and lines whose first non-blank is "#" are skipped.
 * Every line is checked, and every bad one reported with its line number,
 * before anything runs.  False on error.
 */
static bool
read_databases_file(Fleet *fl, const char *path)
{
	size_t		len;
	char	   *text = read_whole_file(path, path, &len);
	char	   *line;
	char	   *next;
	char	   *masked;
	char	   *conninfo;
	int			lineno = 0;
	bool		ok = true;
	int			i;

	if (text == NULL)
		return false;
	if (memchr(text, '\0', len) != NULL)
	{
		pg_log_error("file \"%s\" holds a NUL byte", path);
		pg_free(text);
		return false;
	}
	locus_file = path;
	pg_logging_set_locus_callback(file_locus);
	for (line = text; line != NULL && *line != '\0'; line = next)
	{
		char	   *end;

		lineno++;
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		end = line + strlen(line);
		while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
			*--end = '\0';
		if (*line == '\0' || *line == '#')
			continue;

		/* libpq must read it: reported with the file and line if not */
		locus_line = lineno;
		conninfo = libpq_conninfo(line);
		if (conninfo == NULL)
		{
			ok = false;
			continue;
		}
		pg_free(conninfo);
		for (i = 0; i < fl->n; i++)
			if (strcmp(fl->dbs[i].conninfo, line) == 0)
				break;
		if (i < fl->n)
		{
			pg_log_error("database \"%s\" is listed twice", fl->dbs[i].label);
			pg_log_error_detail("It is on line %d too.", fl->dbs[i].lineno);
			ok = false;
			continue;
		}
		masked = masked_conninfo(line);
		add_db(fl, pg_strdup(line), pg_strdup(shown(masked)));
		fl->dbs[fl->n - 1].lineno = lineno;
		pfree(masked);
	}
	pg_logging_set_locus_callback(NULL);
	if (ok && fl->n == 0)
	{
		pg_log_error("no databases in \"%s\"", path);
		pg_log_error_hint("List one connection string, URL or database name a line.");
		ok = false;
	}
	pg_free(text);
	return ok;
}

/*
 * --all-databases: every database of the server the connection options
 * name that takes connections and is not a template.  Each is reached with
 * the options of the connection made to list them, its dbname replaced.
 * Whether it has the extension is learned by its child.  Exits on error,
 * before anything runs.
 */
static void
list_server_databases(Fleet *fl)
{
	Conn		c;
	PGresult   *res;
	int			i;

	connect_db(fl->opts, &c);
	res = PQexec(c.conn, "SELECT datname FROM pg_catalog.pg_database "
				 "WHERE datallowconn AND NOT datistemplate ORDER BY datname");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		report_error(res, c.conn, NULL);
		PQclear(res);
		disconnect_db(&c);
		exit(EXIT_ERROR);
	}
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *datname = PQgetvalue(res, i, 0);

		add_db(fl, conninfo_like(c.conn, datname), pg_strdup(shown(datname)));
	}
	PQclear(res);
	disconnect_db(&c);
}

/*
 * Where the database stands: its applied revisions without an applied
 * child, comma-separated ("" for none), or NULL if that cannot be read
 * (the run reports why).  *has_extension says whether pgmig is there.
 * Exits if the database cannot be reached, as a single run would.
 */
static char *
read_current(const Options *opts, bool *has_extension)
{
	Conn		c;
	PGresult   *res;
	char	   *schema;
	char	   *current = NULL;

	*has_extension = true;
	connect_db(opts, &c);
	res = PQexec(c.conn, "SELECT n.nspname FROM pg_catalog.pg_extension e "
				 "JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) e.extnamespace "
				 "WHERE e.extname OPERATOR(pg_catalog.=) 'pgmig'");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 0)
		*has_extension = false;
	else if (PQresultStatus(res) == PGRES_TUPLES_OK)
	{
		schema = PQescapeIdentifier(c.conn, PQgetvalue(res, 0, 0),
									strlen(PQgetvalue(res, 0, 0)));
		if (schema == NULL)
			pg_fatal("out of memory");
		PQclear(res);
		res = query_current(c.conn, schema);
		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			PQExpBufferData ids;
			int			i;

			/* empty when none is applied: "base" in the table */
			initPQExpBuffer(&ids);
			for (i = 0; i < PQntuples(res); i++)
				appendPQExpBuffer(&ids, "%s%s", i > 0 ? "," : "", PQgetvalue(res, i, 0));
			current = pg_strdup(ids.data);
			termPQExpBuffer(&ids);
		}
		PQfreemem(schema);
	}
	PQclear(res);
	disconnect_db(&c);
	return current;
}

/* Write a line of the child's report to the parent. */
static void
report(int fd, const char *key, const char *value)
{
	char	   *line = psprintf("%s\t%s\n", key, value ? value : "");
	size_t		len = strlen(line);
	size_t		done = 0;

	/* a pipe takes up to PIPE_BUF bytes at once; the lines are short */
	while (done < len)
	{
		ssize_t		w = write(fd, line + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		done += w;
	}
	pfree(line);
}

/*
 * The child of one database: read where it stands, run the command in a
 * process of its own (which may exit anywhere, as a single run does), read
 * where it stands then, and report.  Its stdout and stderr are the pipe.
 */
static void run_child(Fleet *fl, FleetDb *db, int repfd) pg_attribute_noreturn();

static void
run_child(Fleet *fl, FleetDb *db, int repfd)
{
	/* static: what it points to stays reachable when the run exits */
	static Options opts;
	bool		has_extension;
	char	   *current;
	char		code[16];
	pid_t		pid;
	int			status;
	int			exit_status;

	opts = *fl->opts;
	opts.dbname = db->conninfo;
	opts.databases = NULL;
	opts.all_databases = false;
	/* the fleet's JSON has the output, as text */
	opts.json = false;
	json_stop();
	/*
	 * no progress lines: the output is shown once the database is done,
	 * and the fleet's own line says meanwhile what runs
	 */
	opts.progress = PROGRESS_OFF;
	/* nobody could answer a prompt: -W was asked once, by the parent */
	opts.prompt_password = TRI_NO;
	if (fl->password)
		setenv("PGPASSWORD", fl->password, 1);

	current = read_current(&opts, &has_extension);
	if (!has_extension && fl->opts->all_databases)
	{
		report(repfd, "skipped", NULL);
		exit(EXIT_OK);
	}
	if (current)
		report(repfd, "before", current);
	/* Ctrl-C while it was read: the run does not start */
	if (CancelRequested)
		exit(EXIT_ERROR);

	report(repfd, "started", NULL);
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		pg_fatal("could not fork: %m");
	if (pid == 0)
	{
		close(repfd);
		pqsignal(SIGINT, SIG_DFL);
		exit(fl->run_one(&opts));
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			pg_fatal("could not wait for the run: %m");
	if (WIFEXITED(status))
		exit_status = WEXITSTATUS(status);
	else
	{
		pg_log_error("the run was terminated by signal %d", WTERMSIG(status));
		exit_status = EXIT_ERROR;
	}
	snprintf(code, sizeof(code), "%d", exit_status);
	report(repfd, "exit", code);

	if (changes_database(&opts) && has_extension)
	{
		pg_free(current);
		current = read_current(&opts, &has_extension);
	}
	if (current)
		report(repfd, "after", current);
	pg_free(current);
	exit(exit_status);
}

/* SIGINT, SIGTERM in the parent: noted, acted on by the loop. */
static void
handle_signal(SIGNAL_ARGS)
{
	signals_received++;
}

/* Catch SIGINT and SIGTERM without restarting poll(). */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handle_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* Fork the child of a database; false (reported) if that cannot be done. */
static bool
start_db(Fleet *fl, FleetDb *db)
{
	int			out[2];
	int			rep[2];
	pid_t		pid;
	int			i;

	if (pipe(out) < 0)
	{
		pg_log_error("could not create a pipe: %m");
		return false;
	}
	if (pipe(rep) < 0)
	{
		pg_log_error("could not create a pipe: %m");
		close(out[0]);
		close(out[1]);
		return false;
	}
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
	{
		pg_log_error("could not fork: %m");
		close(out[0]);
		close(out[1]);
		close(rep[0]);
		close(rep[1]);
		return false;
	}
	if (pid == 0)
	{
		/* Ctrl-C is for the parent, which passes it on */
		setpgid(0, 0);
		pqsignal(SIGINT, SIG_DFL);
		pqsignal(SIGTERM, SIG_DFL);
		for (i = 0; i < fl->n; i++)
		{
			if (fl->dbs[i].outfd >= 0)
				close(fl->dbs[i].outfd);
			if (fl->dbs[i].repfd >= 0)
				close(fl->dbs[i].repfd);
		}
		close(out[0]);
		close(rep[0]);
		if (dup2(out[1], STDOUT_FILENO) < 0 || dup2(out[1], STDERR_FILENO) < 0)
			_exit(EXIT_ERROR);
		close(out[1]);
		run_child(fl, db, rep[1]);
	}
	/* as the child does: whichever comes first */
	setpgid(pid, pid);
	close(out[1]);
	close(rep[1]);
	db->pid = pid;
	db->outfd = out[0];
	db->repfd = rep[0];
	db->result = FLEET_RUNNING;
	INSTR_TIME_SET_CURRENT(db->start);
	fl->nrunning++;
	return true;
}

/* Read what the child reported. */
static void
read_report(FleetDb *db)
{
	PQExpBufferData buf;
	char		chunk[1024];
	ssize_t		r;
	char	   *line;
	char	   *next;

	initPQExpBuffer(&buf);
	while ((r = read(db->repfd, chunk, sizeof(chunk))) != 0)
	{
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			break;
		appendBinaryPQExpBuffer(&buf, chunk, r);
	}
	close(db->repfd);
	db->repfd = -1;

	for (line = buf.data; (next = strchr(line, '\n')) != NULL; line = next + 1)
	{
		char	   *value = strchr(line, '\t');

		*next = '\0';
		if (value == NULL)
			continue;
		*value++ = '\0';
		if (strcmp(line, "before") == 0)
			db->before = pg_strdup(value);
		else if (strcmp(line, "after") == 0)
			db->after = pg_strdup(value);
		else if (strcmp(line, "started") == 0)
			db->started = true;
		else if (strcmp(line, "exit") == 0)
			db->exit_status = atoi(value);
		else if (strcmp(line, "skipped") == 0)
			db->result = FLEET_SKIPPED;
	}
	termPQExpBuffer(&buf);
}

/* Take the summary line off the terminal, if it is there. */
static void
clear_line(Fleet *fl)
{
	if (fl->line_shown)
	{
		fputs("\r\033[K", stderr);
		fl->line_shown = false;
	}
}

/* A database's revisions as the table shows them. */
static const char *
shown_revisions(const char *revs)
{
	return revs == NULL ? "?" : revs[0] == '\0' ? "base" : revs;
}

/*
 * Show a database's output, each line prefixed with it, and its result
 * (with --quiet, only if it is not ok).
 */
static void
print_db(Fleet *fl, FleetDb *db)
{
	const char *line;
	const char *end;
	char	   *ms = psprintf("%.0f", db->ms);
	char	   *took = format_ms(ms);

	clear_line(fl);
	for (line = db->output.data; *line != '\0'; line = *end ? end + 1 : end)
	{
		end = line + strcspn(line, "\n");
		fprintf(stderr, "%s: %.*s\n", db->label, (int) (end - line), line);
	}
	if (fl->opts->quiet && (db->result == FLEET_OK || db->result == FLEET_SKIPPED))
		;
	else if (db->result == FLEET_SKIPPED)
		fprintf(stderr, "%s: skipped: no pgmig extension\n", db->label);
	else
		fprintf(stderr, "%s: %s (%s -> %s) in %s\n", db->label,
				result_names[db->result], shown_revisions(db->before),
				shown_revisions(db->after), took);
	fflush(stderr);
	pfree(ms);
	pfree(took);
}

/* The child of a database has closed its output: collect it. */
static void
finish_db(Fleet *fl, FleetDb *db)
{
	int			status;

	close(db->outfd);
	db->outfd = -1;
	while (waitpid(db->pid, &status, 0) < 0)
		if (errno != EINTR)
		{
			status = EXIT_ERROR << 8;
			break;
		}
	db->ms = elapsed_ms(db->start);
	fl->nrunning--;
	read_report(db);
	if (db->exit_status < 0)
		db->exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_ERROR;
	if (db->result == FLEET_SKIPPED)
		;
	else if (db->exit_status == EXIT_OK)
		db->result = FLEET_OK;
	else if (fl->nsignals == 0)
		db->result = FLEET_FAILED;
	else
		db->result = db->started ? FLEET_CANCELED : FLEET_NOT_STARTED;
	if (db->after == NULL && db->before != NULL && !changes_database(fl->opts))
		db->after = pg_strdup(db->before);
	if (db->result == FLEET_FAILED && fl->opts->fail_fast)
		fl->stop = true;
	if (!fl->opts->json)
		print_db(fl, db);
}

/* The width of the terminal, for the summary line. */
static int
terminal_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 10)
		return ws.ws_col;
	return 80;
}

/* Show on the terminal how far the fleet is: "7/21 done, 1 failed, ...". */
static void
show_line(Fleet *fl)
{
	PQExpBufferData buf;
	int			ndone = 0;
	int			nfailed = 0;
	int			width = terminal_width() - 1;
	int			i;

	for (i = 0; i < fl->n; i++)
	{
		if (fl->dbs[i].result >= FLEET_OK)
			ndone++;
		if (fl->dbs[i].result == FLEET_FAILED || fl->dbs[i].result == FLEET_CANCELED)
			nfailed++;
	}
	initPQExpBuffer(&buf);
	appendPQExpBuffer(&buf, "%d/%d done", ndone, fl->n);
	if (nfailed > 0)
		appendPQExpBuffer(&buf, ", %d failed", nfailed);
	if (fl->stop)
		appendPQExpBufferStr(&buf, ", starting no more");
	appendPQExpBuffer(&buf, ", %d running:", fl->nrunning);
	for (i = 0; i < fl->n; i++)
		if (fl->dbs[i].result == FLEET_RUNNING)
			appendPQExpBuffer(&buf, " %s", fl->dbs[i].label);
	if (buf.len > (size_t) width)
	{
		buf.len = width - 3;
		buf.data[buf.len] = '\0';
		appendPQExpBufferStr(&buf, "...");
	}
	fprintf(stderr, "\r%s\033[K", buf.data);
	fflush(stderr);
	fl->line_shown = true;
	termPQExpBuffer(&buf);
}

/* A signal came: start no more, and pass it on to the running children. */
static void
pass_signals_on(Fleet *fl)
{
	int			i;

	if (fl->nsignals == signals_received)
		return;
	fl->nsignals = signals_received;
	fl->stop = true;
	for (i = 0; i < fl->n; i++)
		if (fl->dbs[i].result == FLEET_RUNNING)
			kill(-fl->dbs[i].pid, SIGINT);
}

/* Run the databases, --jobs at a time, until all are done or stopped. */
static void
run_all(Fleet *fl)
{
	struct pollfd *fds = pg_malloc(fl->n * sizeof(struct pollfd));
	FleetDb   **polled = pg_malloc(fl->n * sizeof(FleetDb *));
	char		chunk[8192];
	int			i;

	for (;;)
	{
		int			nfds = 0;

		pass_signals_on(fl);
		while (!fl->stop && fl->nrunning < fl->opts->jobs && fl->next < fl->n)
		{
			FleetDb    *db = &fl->dbs[fl->next++];

			if (!start_db(fl, db))
			{
				db->result = FLEET_FAILED;
				if (fl->opts->fail_fast)
					fl->stop = true;
			}
		}
		if (fl->nrunning == 0)
			break;
		if (fl->live)
			show_line(fl);

		for (i = 0; i < fl->n; i++)
			if (fl->dbs[i].outfd >= 0)
			{
				fds[nfds].fd = fl->dbs[i].outfd;
				fds[nfds].events = POLLIN;
				polled[nfds++] = &fl->dbs[i];
			}
		/* a signal interrupts the wait; the timeout redraws the line */
		if (poll(fds, nfds, 500) < 0)
		{
			if (errno == EINTR)
				continue;
			pg_fatal("could not wait for the databases: %m");
		}
		for (i = 0; i < nfds; i++)
		{
			ssize_t		r;

			if (fds[i].revents == 0)
				continue;
			r = read(fds[i].fd, chunk, sizeof(chunk));
			if (r > 0)
				appendBinaryPQExpBuffer(&polled[i]->output, chunk, r);
			else if (r == 0 || errno != EINTR)
				finish_db(fl, polled[i]);
		}
	}
	clear_line(fl);
	for (i = fl->next; i < fl->n; i++)
		fl->dbs[i].result = FLEET_NOT_STARTED;
	pg_free(fds);
	pg_free(polled);
}

/* Append a database's revisions as a JSON array, or null if unknown. */
static void
json_revisions(PQExpBuffer buf, const char *revs)
{
	char	   *copy;
	char	   *p;
	char	   *comma;
	bool		first = true;

	if (revs == NULL)
	{
		appendPQExpBufferStr(buf, "null");
		return;
	}
	copy = pg_strdup(revs);
	appendPQExpBufferChar(buf, '[');
	for (p = copy; *p != '\0'; p = comma)
	{
		comma = strchr(p, ',');
		if (comma != NULL)
			*comma++ = '\0';
		else
			comma = p + strlen(p);
		if (!first)
			appendPQExpBufferChar(buf, ',');
		first = false;
		json_string(buf, p);
	}
	appendPQExpBufferChar(buf, ']');
	pg_free(copy);
}

/* Append the labels of the databases with this result as a JSON array. */
static void
json_labels(PQExpBuffer buf, bool *first, const char *key, const Fleet *fl,
			FleetResult result)
{
	bool		any = false;
	int			i;

	json_key(buf, first, key);
	appendPQExpBufferChar(buf, '[');
	for (i = 0; i < fl->n; i++)
		if (fl->dbs[i].result == result ||
			(result == FLEET_FAILED && fl->dbs[i].result == FLEET_CANCELED))
		{
			if (any)
				appendPQExpBufferChar(buf, ',');
			any = true;
			json_string(buf, fl->dbs[i].label);
		}
	appendPQExpBufferChar(buf, ']');
}

/* Print the final table as JSON (json-schema/fleet.json). */
static void
print_json(const Fleet *fl)
{
	PQExpBufferData buf;
	bool		first = true;
	int			i;

	initPQExpBuffer(&buf);
	appendPQExpBufferChar(&buf, '{');
	json_key(&buf, &first, "command");
	json_string(&buf, fl->opts->command->name);
	json_key(&buf, &first, "databases");
	appendPQExpBufferChar(&buf, '[');
	for (i = 0; i < fl->n; i++)
	{
		const FleetDb *db = &fl->dbs[i];
		bool		dfirst = true;

		if (i > 0)
			appendPQExpBufferChar(&buf, ',');
		appendPQExpBufferChar(&buf, '{');
		json_key(&buf, &dfirst, "database");
		json_string(&buf, db->label);
		json_key(&buf, &dfirst, "result");
		json_string(&buf, result_names[db->result]);
		json_key(&buf, &dfirst, "before");
		json_revisions(&buf, db->before);
		json_key(&buf, &dfirst, "after");
		json_revisions(&buf, db->after);
		json_key(&buf, &dfirst, "ms");
		if (db->result == FLEET_NOT_STARTED && !db->started)
			appendPQExpBufferStr(&buf, "null");
		else
			appendPQExpBuffer(&buf, "%.1f", db->ms);
		json_key(&buf, &dfirst, "exit_status");
		if (db->exit_status < 0)
			appendPQExpBufferStr(&buf, "null");
		else
			appendPQExpBuffer(&buf, "%d", db->exit_status);
		json_key(&buf, &dfirst, "output");
		json_string(&buf, db->output.data);
		appendPQExpBufferChar(&buf, '}');
	}
	appendPQExpBufferChar(&buf, ']');
	json_labels(&buf, &first, "failed", fl, FLEET_FAILED);
	json_labels(&buf, &first, "not_started", fl, FLEET_NOT_STARTED);
	json_labels(&buf, &first, "skipped", fl, FLEET_SKIPPED);
	json_bool(&buf, &first, "interrupted", fl->nsignals > 0);
	appendPQExpBufferChar(&buf, '}');
	json_print(&buf);
	termPQExpBuffer(&buf);
}

/* Print a row of the table: five cells, padded but the last. */
static void
print_row(const char **cells, const int *width)
{
	int			k;

	for (k = 0; k < 4; k++)
		printf("%-*s  ", width[k], cells[k]);
	printf("%s\n", cells[4]);
}

/* Print the final table: database, before, after, time, result. */
static void
print_table(const Fleet *fl)
{
	const char *heads[5] = {"database", "before", "after", "time", "result"};
	char	  **cells = pg_malloc0(fl->n * 5 * sizeof(char *));
	int			width[5];
	int			counts[FLEET_SKIPPED + 1] = {0};
	int			i,
				k;

	for (k = 0; k < 5; k++)
		width[k] = strlen(heads[k]);
	for (i = 0; i < fl->n; i++)
	{
		const FleetDb *db = &fl->dbs[i];
		char	   *ms = psprintf("%.0f", db->ms);

		cells[i * 5] = pg_strdup(db->label);
		cells[i * 5 + 1] = pg_strdup(shown_revisions(db->before));
		cells[i * 5 + 2] = pg_strdup(shown_revisions(db->after));
		cells[i * 5 + 3] = db->started || db->result == FLEET_OK ||
			db->result == FLEET_FAILED ? format_ms(ms) : pg_strdup("");
		cells[i * 5 + 4] = pg_strdup(result_names[db->result]);
		if (db->result == FLEET_NOT_STARTED || db->result == FLEET_SKIPPED)
			cells[i * 5 + 1][0] = cells[i * 5 + 2][0] = '\0';
		for (k = 0; k < 5; k++)
			width[k] = Max(width[k], (int) strlen(cells[i * 5 + k]));
		counts[db->result]++;
		pfree(ms);
	}
	print_row(heads, width);
	for (i = 0; i < fl->n; i++)
	{
		print_row((const char **) &cells[i * 5], width);
		for (k = 0; k < 5; k++)
			pg_free(cells[i * 5 + k]);
	}
	printf("%d database%s: %d ok", fl->n, fl->n == 1 ? "" : "s", counts[FLEET_OK]);
	for (k = FLEET_FAILED; k <= FLEET_SKIPPED; k++)
		if (counts[k] > 0)
			printf(", %d %s", counts[k], result_names[k]);
	printf("\n");
	pg_free(cells);
}

/* Append to buf the labels of the databases with this result; their number. */
static int
list_labels(PQExpBuffer buf, const Fleet *fl, FleetResult result)
{
	int			n = 0;
	int			i;

	for (i = 0; i < fl->n; i++)
		if (fl->dbs[i].result == result)
			appendPQExpBuffer(buf, "%s%s", n++ ? ", " : "", fl->dbs[i].label);
	return n;
}

/*
 * Name the databases that failed, were canceled or not started; returns
 * the exit status: 1 if there is one.
 */
static int
fleet_status(const Fleet *fl)
{
	PQExpBufferData buf;
	int			n;
	int			status = EXIT_OK;

	initPQExpBuffer(&buf);
	if ((n = list_labels(&buf, fl, FLEET_FAILED)) > 0)
	{
		pg_log_error("%d database%s failed: %s", n, n == 1 ? "" : "s", buf.data);
		status = EXIT_ERROR;
	}
	resetPQExpBuffer(&buf);
	if ((n = list_labels(&buf, fl, FLEET_CANCELED)) > 0)
	{
		pg_log_error("%d database%s canceled: %s", n, n == 1 ? "" : "s", buf.data);
		pg_log_error_detail("Their runs were canceled as a single run is on Ctrl-C.");
		status = EXIT_ERROR;
	}
	resetPQExpBuffer(&buf);
	if ((n = list_labels(&buf, fl, FLEET_NOT_STARTED)) > 0)
	{
		pg_log_error("%d database%s not started: %s", n, n == 1 ? "" : "s", buf.data);
		pg_log_error_detail("%s", fl->nsignals > 0 ?
							"The run was interrupted: the databases not started were left as they were." :
							"--fail-fast started no more databases after the first failure.");
		status = EXIT_ERROR;
	}
	termPQExpBuffer(&buf);
	return status;
}

/* Read and check the migration files once, before any database. */
static void
check_project(const Options *opts)
{
	Project		project;
	bool		ok;

	if (!find_project(opts, true, &project))
		exit(EXIT_ERROR);
	ok = load_files(&project);
	ok = check_duplicates(&project) && ok;
	if (!ok)
		exit(EXIT_ERROR);
	free_project(&project);
}

/*
 * Run the command over the fleet: each database by a child process doing
 * what run_one does for one database.  Returns the exit status: 1 if a
 * database failed or was not started.
 */
int
run_fleet(const Options *opts, int (*run_one) (const Options *opts))
{
	/* static: what it points to stays reachable when an error exits */
	static Fleet fl;
	int			status;
	int			i;

	memset(&fl, 0, sizeof(fl));
	fl.opts = opts;
	fl.run_one = run_one;

	/* everything that can be wrong is reported before anything runs */
	if (opts->databases && !read_databases_file(&fl, opts->databases))
		exit(EXIT_ERROR);
	/* it reads .env, whose DATABASE_URL may name the server to list */
	check_project(opts);
	if (opts->all_databases)
		list_server_databases(&fl);
	if (opts->databases && opts->prompt_password == TRI_YES)
		fl.password = prompt_password();

	fl.live = isatty(STDERR_FILENO) && !opts->quiet;
	catch_signals();
	run_all(&fl);

	if (opts->json)
		print_json(&fl);
	else
		print_table(&fl);
	fflush(stdout);
	status = fleet_status(&fl);

	for (i = 0; i < fl.n; i++)
	{
		pg_free(fl.dbs[i].conninfo);
		pg_free(fl.dbs[i].label);
		pg_free(fl.dbs[i].before);
		pg_free(fl.dbs[i].after);
		termPQExpBuffer(&fl.dbs[i].output);
	}
	pg_free(fl.dbs);
	if (fl.password)
	{
		explicit_bzero(fl.password, strlen(fl.password));
		pg_free(fl.password);
	}
	return status;
}
