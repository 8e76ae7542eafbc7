/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  Showing a run's progress as it goes, on standard error.
 *
 * Standard output says what was done: a revision is "applied" there once
 * its transaction has committed (run.c).  Standard error says what is
 * happening, in one of two ways:
 *
 * - on a terminal, a live line, rewritten in place: revision i of N, the
 *	 line in its file of the statement running, the time it has taken, and
 *	 for an index being built (CREATE INDEX, CONCURRENTLY or not) its phase
 *	 and blocks done from pg_stat_progress_create_index, read from a second
 *	 connection once a statement has run for a second;
 * - elsewhere (a pipe, a CI log), a plain line as each revision starts and
 *	 one as it ends, which says the script ran, not that it was applied.
 *
 * PGMIG_PROGRESS=off (or -q) shows nothing; PGMIG_PROGRESS=lines gives the
 * plain lines on a terminal too.  No colour is used; the live line is
 * erased with "\033[K", or with spaces if NO_COLOR is set or TERM is
 * "dumb".
 *
 * The server runs the transactional revisions of a chunk in one call, and
 * tells the client as it goes: with pgmig.progress set for the session,
 * it sends an INFO message with SQLSTATE PGMIG_PROGRESS_SQLSTATE as each
 * revision starts and ends ("revisions", for plain lines) and as each
 * statement starts ("statements", for the live line only, which needs
 * them), which libpq hands to the notice receiver installed here while
 * the call is running.  Every other notice is printed as libpq prints it.
 * No-transaction revisions run from the client (nontx.c), which reports
 * their statements itself.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <sys/ioctl.h>
#include <sys/select.h>

#include "common/string.h"
#include "mb/pg_wchar.h"

/* Redraw the live line at least this often while a query runs. */
#define TICK_MS 500
/* ... and at most this often when reports come in faster. */
#define REDRAW_MS 100
/* Ask pg_stat_progress_create_index once a statement has run this long. */
#define POLL_AFTER_MS 1000

/* The state of the progress display: one run at a time. */
static struct
{
	ProgressMode mode;
	bool		erase;			/* erase with "\033[K", else with spaces */
	int			shown_width;	/* columns of the live line on screen */
	instr_time	last_draw;
	bool		drawn;			/* last_draw is set */

	const Step *steps;			/* the run's plan */
	int			nsteps;
	bool		dry_run;		/* the run is rolled back */
	int			base;			/* first step of the server call running */
	int			current;		/* step running, or -1 */
	instr_time	step_start;
	int			stmt;			/* its statement running (from 1), or 0 */
	int			nstmts;
	int			line;
	instr_time	stmt_start;

	PQExpBufferData lines;		/* plain lines not yet written */
	bool		in_report;		/* reading a report: write them after it */

	PGconn	   *conn;			/* the run's connection */
	PGconn	   *monitor;		/* the second one, for the index build */
	bool		monitor_failed; /* do not try again */
	char		index_phase[160];	/* what it said, or "" */
} pr;

/* Milliseconds since "t". */
static double
since(instr_time t)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, t);
	return INSTR_TIME_GET_MILLISEC(now);
}

/*
 * The progress display for these options, from PGMIG_PROGRESS ("auto",
 * the default, "lines" or "off") and whether standard error is a terminal;
 * -q silences it.  An unknown value is a usage error (NULL, *bad set).
 */
bool
progress_mode(bool quiet, ProgressMode *mode)
{
	const char *env = getenv("PGMIG_PROGRESS");

	if (env == NULL || env[0] == '\0' || pg_strcasecmp(env, "auto") == 0)
		*mode = isatty(fileno(stderr)) ? PROGRESS_LIVE : PROGRESS_LINES;
	else if (pg_strcasecmp(env, "lines") == 0)
		*mode = PROGRESS_LINES;
	else if (pg_strcasecmp(env, "off") == 0)
		*mode = PROGRESS_OFF;
	else
		return false;
	if (quiet)
		*mode = PROGRESS_OFF;
	return true;
}

/* The value of pgmig.progress that the display needs, or NULL for none. */
const char *
progress_setting(ProgressMode mode)
{
	switch (mode)
	{
		case PROGRESS_OFF:
			return NULL;
		case PROGRESS_LINES:
			return "revisions";
		case PROGRESS_LIVE:
			return "statements";
	}
	return NULL;
}

/*
 * Columns of the terminal on standard error: COLUMNS if set (as psql and
 * ls read it), else what the terminal says, else 80.
 */
static int
terminal_width(void)
{
	const char *columns = getenv("COLUMNS");
#ifdef TIOCGWINSZ
	struct winsize ws;
#endif

	if (columns != NULL && atoi(columns) > 0)
		return atoi(columns);
#ifdef TIOCGWINSZ

	if (ioctl(fileno(stderr), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
#endif
	return 80;
}

/* Erase the live line, if one is shown, before anything else is printed. */
void
progress_clear(void)
{
	if (pr.shown_width == 0)
		return;
	if (pr.erase)
		fputs("\r\033[K", stderr);
	else
		fprintf(stderr, "\r%*s\r", pr.shown_width, "");
	pr.shown_width = 0;
	fflush(stderr);
}

/* Draw the live line: "text" cut to the terminal's width. */
static void
draw(const char *text)
{
	int			max = terminal_width() - 1;
	int			width = 0;
	int			len = 0;

	while (text[len] != '\0')
	{
		int			w = pg_encoding_dsplen(PG_UTF8, text + len);
		int			l = pg_encoding_mblen(PG_UTF8, text + len);

		if (w < 0)
			w = 0;
		if (width + w > max || (int) strnlen(text + len, l) < l)
			break;
		width += w;
		len += l;
	}
	if (pr.erase)
		fprintf(stderr, "\r%.*s\033[K", len, text);
	else
		fprintf(stderr, "\r%.*s%*s", len, text,
				pr.shown_width > width ? pr.shown_width - width : 0, "");
	fflush(stderr);
	pr.shown_width = Max(width, 1);
	INSTR_TIME_SET_CURRENT(pr.last_draw);
	pr.drawn = true;
}

/*
 * Write the plain lines gathered, in one write: a report of the server
 * may end one revision and start the next.
 */
static void
write_lines(void)
{
	if (pr.in_report || pr.lines.data == NULL || pr.lines.len == 0)
		return;
	fwrite(pr.lines.data, 1, pr.lines.len, stderr);
	fflush(stderr);
	resetPQExpBuffer(&pr.lines);
}

/* Redraw the live line: now if "force", else unless it was just drawn. */
static void
redraw(bool force)
{
	const Step *step;
	PQExpBufferData buf;

	if (pr.mode != PROGRESS_LIVE || pr.current < 0)
		return;
	if (!force && pr.drawn && since(pr.last_draw) < REDRAW_MS)
		return;
	step = &pr.steps[pr.current];
	initPQExpBuffer(&buf);
	appendPQExpBuffer(&buf, "%s %d of %d: %s %s", step->revert ? "reverting" : "applying",
					  pr.current + 1, pr.nsteps, step->id, shown(step->description));
	if (pr.stmt > 0)
		appendPQExpBuffer(&buf, ", statement %d of %d at line %d", pr.stmt,
						  pr.nstmts, pr.line);
	appendPQExpBuffer(&buf, ", %.1f s", since(pr.step_start) / 1000.0);
	if (pr.index_phase[0] != '\0')
		appendPQExpBuffer(&buf, ", %s", pr.index_phase);
	draw(buf.data);
	termPQExpBuffer(&buf);
}

/*
 * Print a notice from the server: a progress report goes to the display,
 * anything else (a script's RAISE NOTICE, a warning) is printed as libpq
 * prints it.
 */
static void
notice_receiver(void *arg, const PGresult *res)
{
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (state != NULL && msg != NULL &&
		strcmp(state, PGMIG_PROGRESS_SQLSTATE) == 0)
	{
		progress_report(msg, PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL));
		return;
	}
	progress_clear();
	fprintf(stderr, "%s", PQresultErrorMessage(res));
	fflush(stderr);
}

/* Take the notices of a new connection. */
void
progress_attach(PGconn *conn)
{
	PQsetNoticeReceiver(conn, notice_receiver, NULL);
}

/*
 * A run of the plan steps[0..n-1] starts on connection conn; "dry_run":
 * it is rolled back.
 */
void
progress_begin(ProgressMode mode, PGconn *conn, const Step *steps, int n,
			   bool dry_run)
{
	const char *term = getenv("TERM");
	const char *no_color = getenv("NO_COLOR");

	memset(&pr, 0, sizeof(pr));
	pr.mode = mode;
	pr.erase = !(no_color != NULL && no_color[0] != '\0') &&
		!(term != NULL && strcmp(term, "dumb") == 0);
	pr.steps = steps;
	pr.nsteps = n;
	pr.dry_run = dry_run;
	pr.current = -1;
	pr.conn = conn;
	initPQExpBuffer(&pr.lines);
	pg_logging_set_pre_callback(progress_clear);
}

/*
 * The run ends: the live line goes, and the second connection; reports
 * that come later are ignored (progress_begin sets up the next run).
 */
void
progress_end(void)
{
	progress_clear();
	termPQExpBuffer(&pr.lines);
	if (pr.monitor)
		PQfinish(pr.monitor);
	pr.monitor = NULL;
	pr.mode = PROGRESS_OFF;
}

/* The server call about to run starts with step "first". */
void
progress_chunk(int first)
{
	pr.base = first;
}

/* Step i starts. */
void
progress_step_start(int i)
{
	const Step *step;

	if (pr.mode == PROGRESS_OFF || i < 0 || i >= pr.nsteps)
		return;
	step = &pr.steps[i];
	pr.current = i;
	pr.stmt = 0;
	pr.index_phase[0] = '\0';
	INSTR_TIME_SET_CURRENT(pr.step_start);
	pr.stmt_start = pr.step_start;
	if (pr.mode == PROGRESS_LINES)
	{
		appendPQExpBuffer(&pr.lines, "%s %s %s\n",
						  step->revert ? "reverting" : "applying",
						  step->id, shown(step->description));
		write_lines();
	}
	else
		redraw(true);
}

/*
 * Step i ended: its script ran in "ms" (as the server or the client timed
 * it); "extra" says more, or is NULL.
 */
void
progress_step_end(int i, double ms, const char *extra)
{
	const Step *step;

	if (pr.mode == PROGRESS_OFF || i < 0 || i >= pr.nsteps)
		return;
	step = &pr.steps[i];
	if (pr.mode == PROGRESS_LINES)
	{
		char		msbuf[32];
		char	   *dur;

		snprintf(msbuf, sizeof(msbuf), "%.3f", ms);
		dur = format_ms(msbuf);
		appendPQExpBuffer(&pr.lines, "ran the %s script of %s %s (%s%s%s)\n",
						  step->revert ? "down" : "up", step->id,
						  shown(step->description), dur, extra ? ", " : "",
						  extra ? extra : "");
		write_lines();
		pfree(dur);
	}
	pr.current = -1;
}

/* Statement stmt (from 1) of nstmts of the running step starts at "line". */
void
progress_statement(int stmt, int nstmts, int line)
{
	if (pr.mode != PROGRESS_LIVE || pr.current < 0)
		return;
	pr.stmt = stmt;
	pr.nstmts = nstmts;
	pr.line = line;
	pr.index_phase[0] = '\0';
	INSTR_TIME_SET_CURRENT(pr.stmt_start);
	redraw(false);
}

/*
 * The step of the run that the server's step "k" (from 1) of the call
 * running is, if it has the given id; else -1.
 */
static int
step_of(const char *id, int k)
{
	int			i = pr.base + k - 1;

	if (k < 1 || i >= pr.nsteps || strcmp(pr.steps[i].id, id) != 0)
		return -1;
	return i;
}

/* Read a start report (PGMIG_PROGRESS_START), if it is one. */
static void
read_start(const char *msg)
{
	char		id[NAMEDATALEN * 2];
	int			k,
				n;

	if (strncmp(msg, "applying revision ", 18) != 0 &&
		strncmp(msg, "reverting revision ", 19) != 0)
		return;
	if (sscanf(strchr(msg, ' ') + strlen(" revision "), "%127s (%d of %d)",
			   id, &k, &n) == 3 && step_of(id, k) >= 0)
		progress_step_start(step_of(id, k));
}

/*
 * Read a progress report of the server, its message and detail (see
 * PGMIG_PROGRESS_START and the others); one that does not fit the plan is
 * ignored.
 */
void
progress_report(const char *msg, const char *detail)
{
	char		id[NAMEDATALEN * 2];
	int			k,
				n,
				stmt,
				nstmts,
				line;
	double		ms;
	const char *then;

	if (pr.mode == PROGRESS_OFF)
		return;
	pr.in_report = true;
	if (strncmp(msg, "ran revision ", 13) == 0)
	{
		/* the end of one step, maybe with the start of the next */
		if (sscanf(msg + 13, "%127s (%d of %d)", id, &k, &n) == 3 &&
			detail != NULL && sscanf(detail, "Revision %*s took %lf ms.", &ms) == 1 &&
			step_of(id, k) >= 0)
			progress_step_end(step_of(id, k), ms, pr.dry_run ? "dry run" : NULL);
		then = strstr(msg, PGMIG_PROGRESS_THEN);
		if (then != NULL)
			read_start(then + strlen(PGMIG_PROGRESS_THEN));
	}
	else if (strncmp(msg, "revision ", 9) == 0 &&
			 sscanf(msg + 9, "%127[^:]: statement %d of %d, line %d",
					id, &stmt, &nstmts, &line) == 4 &&
			 pr.current >= 0 && strcmp(pr.steps[pr.current].id, id) == 0)
		progress_statement(stmt, nstmts, line);
	else
		read_start(msg);
	pr.in_report = false;
	write_lines();
}

/*
 * Open the second connection, with the run connection's parameters, for
 * pg_stat_progress_create_index; false if it cannot be had.
 */
static bool
open_monitor(void)
{
	PQconninfoOption *opts;
	PQconninfoOption *o;
	const char **keywords;
	const char **values;
	int			n = 0;

	if (pr.monitor)
		return true;
	if (pr.monitor_failed)
		return false;
	pr.monitor_failed = true;	/* until it works */
	opts = PQconninfo(pr.conn);
	if (opts == NULL)
		return false;
	for (o = opts; o->keyword; o++)
		n++;
	keywords = pg_malloc0((n + 2) * sizeof(char *));
	values = pg_malloc0((n + 2) * sizeof(char *));
	n = 0;
	for (o = opts; o->keyword; o++)
	{
		if (o->val == NULL || strcmp(o->keyword, "application_name") == 0 ||
			strcmp(o->keyword, "fallback_application_name") == 0)
			continue;
		keywords[n] = o->keyword;
		values[n++] = o->val;
	}
	keywords[n] = "application_name";
	values[n++] = "pgmig progress";
	pr.monitor = PQconnectdbParams(keywords, values, false);
	pg_free(keywords);
	pg_free(values);
	PQconninfoFree(opts);
	if (PQstatus(pr.monitor) != CONNECTION_OK)
	{
		PQfinish(pr.monitor);
		pr.monitor = NULL;
		return false;
	}
	pr.monitor_failed = false;
	return true;
}

/*
 * Read what an index build of the run's backend has done, into
 * pr.index_phase ("" if none is going on).
 */
static void
poll_index_build(void)
{
	char		pid[16];
	const char *values[1] = {pid};
	PGresult   *res;

	if (!open_monitor())
		return;
	snprintf(pid, sizeof(pid), "%d", PQbackendPID(pr.conn));
	res = PQexecParams(pr.monitor,
					   "SELECT p.command, p.phase, p.blocks_done, p.blocks_total,"
					   " p.lockers_done, p.lockers_total,"
					   " p.partitions_done, p.partitions_total"
					   " FROM pg_catalog.pg_stat_progress_create_index p"
					   " WHERE p.pid OPERATOR(pg_catalog.=) $1::pg_catalog.int4",
					   1, NULL, values, NULL, NULL, 0);
	pr.index_phase[0] = '\0';
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
	{
		PQExpBufferData buf;

		initPQExpBuffer(&buf);
		appendPQExpBuffer(&buf, "%s: %s", PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
		if (atol(PQgetvalue(res, 0, 3)) > 0)
			appendPQExpBuffer(&buf, ", blocks %s of %s",
							  PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 3));
		if (atol(PQgetvalue(res, 0, 5)) > 0)
			appendPQExpBuffer(&buf, ", lockers %s of %s",
							  PQgetvalue(res, 0, 4), PQgetvalue(res, 0, 5));
		if (atol(PQgetvalue(res, 0, 7)) > 0)
			appendPQExpBuffer(&buf, ", partitions %s of %s",
							  PQgetvalue(res, 0, 6), PQgetvalue(res, 0, 7));
		strlcpy(pr.index_phase, buf.data, sizeof(pr.index_phase));
		termPQExpBuffer(&buf);
	}
	else if (PQstatus(pr.monitor) != CONNECTION_OK)
	{
		PQfinish(pr.monitor);
		pr.monitor = NULL;
		pr.monitor_failed = true;
	}
	PQclear(res);
}

/* While a query runs: redraw the live line, polling an index build. */
static void
tick(void)
{
	if (pr.current < 0)
		return;
	if (since(pr.stmt_start) >= POLL_AFTER_MS)
		poll_index_build();
	redraw(true);
}

/* Wait up to TICK_MS for input on conn's socket; false on error. */
static bool
wait_input(PGconn *conn)
{
	int			sock = PQsocket(conn);
	fd_set		fds;
	struct timeval tv;

	if (sock < 0)
		return false;
	FD_ZERO(&fds);
	FD_SET(sock, &fds);
	tv.tv_sec = 0;
	tv.tv_usec = TICK_MS * 1000L;
	if (select(sock + 1, &fds, NULL, NULL, &tv) < 0 && errno != EINTR)
		return false;
	return true;
}

/*
 * Send a query (with parameters unless nparams < 0, which allows several
 * statements) and wait for its result as PQexec does, redrawing the live
 * line meanwhile; its last result, or one with the error.  Without the
 * live line it is PQexec or PQexecParams: the reports come in all the
 * same, as libpq reads them.
 */
PGresult *
progress_exec(PGconn *conn, const char *sql, int nparams,
			  const char *const *values)
{
	PGresult   *last = NULL;
	PGresult   *res;
	int			sent;

	if (pr.mode != PROGRESS_LIVE)
		return nparams < 0 ? PQexec(conn, sql) :
			PQexecParams(conn, sql, nparams, NULL, values, NULL, NULL, 0);

	sent = nparams < 0 ? PQsendQuery(conn, sql) :
		PQsendQueryParams(conn, sql, nparams, NULL, values, NULL, NULL, 0);
	if (!sent)
		return PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
	for (;;)
	{
		while (PQisBusy(conn))
		{
			if (!wait_input(conn) || !PQconsumeInput(conn))
				break;
			tick();
		}
		res = PQgetResult(conn);
		if (res == NULL)
			break;
		PQclear(last);
		last = res;
		if (PQresultStatus(res) == PGRES_COPY_IN ||
			PQresultStatus(res) == PGRES_COPY_OUT ||
			PQresultStatus(res) == PGRES_COPY_BOTH ||
			PQstatus(conn) == CONNECTION_BAD)
			break;
	}
	if (last == NULL)
		last = PQmakeEmptyPGresult(conn, PGRES_FATAL_ERROR);
	return last;
}
