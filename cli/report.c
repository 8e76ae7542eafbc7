/*-------------------------------------------------------------------------
 *
 * report.c
 *	  The --json documents of the commands that run migrations (up, down,
 *	  redo), and of errors.
 *
 * Under --json a run prints one JSON document on stdout, whatever
 * happens: the command's report, or, when it fails, the error document
 * (json-schema/error.json).  Text meant for people (progress lines, the
 * errors in PostgreSQL's layout, warnings) goes to stderr.
 *
 * Every error the client reports passes through log_error_part, which
 * keeps the first one with its detail and hint; report_error and
 * report_statement_error add the server's SQLSTATE and context, from
 * which the revision, file and line of a failed script are read.  The
 * first error is the one that made the run fail: what follows it only
 * says what it left behind.  The document is printed at exit, so that
 * every way out of the program (pg_fatal included) prints it.
 *
 * The revisions a run applied or reverted are collected as run.c reports
 * them: those of the open transaction are kept aside until it commits
 * (or, for a dry run, is rolled back), and forgotten if it fails, as the
 * text progress lines are.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* The first error of the run. */
typedef struct FirstError
{
	bool		set;
	bool		attach;			/* detail and hint lines still belong to it */
	char	   *message;
	char	   *detail;
	char	   *hint;
	char	   *sqlstate;
	char	   *context;
	char	   *revision;
	char	   *file;
	int			line;			/* 0: none */
} FirstError;

/* One revision run. */
typedef struct ReportStep
{
	char	   *id;
	char	   *description;
	bool		revert;
	bool		transactional;
	bool		repeatable;
	int			statements;		/* no-transaction revision: statements run */
	double		ms;
	bool		committed;
} ReportStep;

static bool json_mode;
static bool json_printed;		/* a document went to stdout */
static FirstError first_error;
static ReportStep *steps;
static int	nsteps;				/* of which the last npending are in the */
static int	npending;			/* open transaction */
static int	steps_size;
static char *run_before;		/* JSON: where the database was before */

static void json_at_exit(void);

/* --json: errors become a document, printed at exit unless one was. */
void
json_start(void)
{
	json_mode = true;
	atexit(json_at_exit);
}

/*
 * No document after all: a child of a fleet (fleet.c), whose output the
 * parent shows as text and whose table is the document.
 */
void
json_stop(void)
{
	json_mode = false;
}

/* Where the progress lines go: stdout, but stderr under --json. */
FILE *
progress_stream(void)
{
	return json_mode ? stderr : stdout;
}

/* A copy of text without its trailing newlines, or NULL. */
static char *
trimmed(const char *text)
{
	char	   *s;
	size_t		len;

	if (text == NULL)
		return NULL;
	s = pg_strdup(text);
	len = strlen(s);
	while (len > 0 && s[len - 1] == '\n')
		s[--len] = '\0';
	return s;
}

/*
 * Read the revision, file and line of a script's error from its context,
 * a line as PGMIG_SCRIPT_CONTEXT writes it ("up script of revision 004,
 * file "004_x.sql" line 3"), or the file and line of one as
 * report_pgmig_error writes it ("file "x.sql" line 3").
 */
static void
parse_context(FirstError *e, const char *context)
{
	const char *line_start;

	for (line_start = context; line_start && *line_start;)
	{
		const char *end = strchr(line_start, '\n');
		char	   *line = end ? pnstrdup(line_start, end - line_start) :
			pstrdup(line_start);
		char	   *rev = strstr(line, " script of revision ");
		char	   *file = strstr(line, "file \"");
		char	   *at = NULL;
		char	   *p;

		/* the file name may hold quotes: its end is the last '" line ' */
		for (p = file; p && (p = strstr(p, "\" line ")) != NULL; p++)
			at = p;
		if (file && at && at > file + 5)
		{
			if (rev)
			{
				char	   *comma = strstr(rev, ", file \"");

				if (comma)
					e->revision = pnstrdup(rev + 20, comma - (rev + 20));
			}
			e->file = pnstrdup(file + 6, at - (file + 6));
			e->line = atoi(at + 7);
			pfree(line);
			return;
		}
		pfree(line);
		line_start = end ? end + 1 : NULL;
	}
}

/*
 * Keep an error for the error document if it is the run's first; "context"
 * may name the script, file and line where it happened.
 */
void
note_error(const char *message, const char *detail, const char *hint,
		   const char *sqlstate, const char *context)
{
	if (first_error.set)
	{
		first_error.attach = false;
		return;
	}
	first_error.set = true;
	first_error.attach = true;
	first_error.message = trimmed(message);
	first_error.detail = trimmed(detail);
	first_error.hint = trimmed(hint);
	first_error.sqlstate = sqlstate ? pg_strdup(sqlstate) : NULL;
	first_error.context = trimmed(context);
	if (context)
		parse_context(&first_error, context);
}

/*
 * What pg_log_error, pg_log_error_detail and pg_log_error_hint do (see
 * pgmig.h), the error kept for the error document besides.
 */
void
log_error_part(ErrorPart part, const char *fmt,...)
{
	int			save_errno = errno;
	size_t		len = 256;
	char	   *text;
	va_list		ap;

	for (;;)
	{
		size_t		needed;

		text = pg_malloc(len);
		errno = save_errno;		/* for %m */
		va_start(ap, fmt);
		needed = pvsnprintf(text, len, fmt, ap);
		va_end(ap);
		if (needed < len)
			break;
		pg_free(text);
		len = needed;
	}

	if (part == ERROR_PRIMARY)
		note_error(text, NULL, NULL, NULL, NULL);
	else if (first_error.attach)
	{
		char	  **field = part == ERROR_DETAIL ? &first_error.detail :
			&first_error.hint;

		if (*field == NULL)
			*field = trimmed(text);
	}

#if PG_VERSION_NUM >= 150000
	pg_log_generic(PG_LOG_ERROR,
				   part == ERROR_PRIMARY ? PG_LOG_PRIMARY :
				   part == ERROR_DETAIL ? PG_LOG_DETAIL : PG_LOG_HINT,
				   "%s", text);
#else
	if (part == ERROR_PRIMARY)
		pg_log_generic(PG_LOG_ERROR, "%s", text);
	else
		fprintf(stderr, "%s: %s: %s\n", progname,
				part == ERROR_DETAIL ? "detail" : "hint", text);
#endif
	pg_free(text);
}

/* Print a JSON document (without its newline) on stdout. */
void
json_print(PQExpBuffer buf)
{
	fputs(buf->data, stdout);
	fputc('\n', stdout);
	fflush(stdout);
	json_printed = true;
}

/* At exit: the error document, if there was an error and nothing printed. */
static void
json_at_exit(void)
{
	FirstError *e = &first_error;
	PQExpBufferData buf;
	bool		first = true;

	if (!json_mode || json_printed || !e->set)
		return;
	initPQExpBuffer(&buf);
	appendPQExpBufferStr(&buf, "{\"error\":{");
	json_key(&buf, &first, "message");
	json_string(&buf, e->message);
	json_key(&buf, &first, "detail");
	json_string(&buf, e->detail);
	json_key(&buf, &first, "hint");
	json_string(&buf, e->hint);
	json_key(&buf, &first, "sqlstate");
	json_string(&buf, e->sqlstate);
	json_key(&buf, &first, "context");
	json_string(&buf, e->context);
	json_key(&buf, &first, "revision");
	json_string(&buf, e->revision);
	json_key(&buf, &first, "file");
	json_string(&buf, e->file);
	json_count(&buf, &first, "line", e->file ? e->line : -1);
	appendPQExpBufferStr(&buf, "},\"revisions\":");
	json_append_steps(&buf);
	appendPQExpBufferChar(&buf, '}');
	json_print(&buf);
	termPQExpBuffer(&buf);
}

/*
 * A revision was run in the open transaction (or, a no-transaction one,
 * on its own, nstatements >= 0): kept aside until the transaction ends.
 */
void
report_step(const Step *step, double ms, int nstatements)
{
	ReportStep *s;

	if (nsteps == steps_size)
	{
		steps_size = steps_size ? 2 * steps_size : 16;
		steps = pg_realloc(steps, steps_size * sizeof(ReportStep));
	}
	s = &steps[nsteps++];
	s->id = pg_strdup(step->id);
	s->description = pg_strdup(step->description);
	s->revert = step->revert;
	s->transactional = nstatements < 0;
	s->repeatable = step->repeatable;
	s->statements = nstatements;
	s->ms = ms;
	s->committed = false;
	npending++;
}

/* The open transaction ended: committed, or (a dry run) rolled back. */
void
report_steps_end(bool committed)
{
	int			i;

	for (i = nsteps - npending; i < nsteps; i++)
		steps[i].committed = committed;
	npending = 0;
}

/* The open transaction failed: its revisions were never run. */
void
report_steps_drop(void)
{
	while (npending > 0)
	{
		nsteps--;
		npending--;
		pg_free(steps[nsteps].id);
		pg_free(steps[nsteps].description);
	}
}

/* Append the revisions run, in order, as a JSON array. */
void
json_append_steps(PQExpBuffer buf)
{
	int			i;

	appendPQExpBufferChar(buf, '[');
	for (i = 0; i < nsteps - npending; i++)
	{
		ReportStep *s = &steps[i];
		bool		first = true;

		if (i > 0)
			appendPQExpBufferChar(buf, ',');
		appendPQExpBufferChar(buf, '{');
		json_key(buf, &first, "revision");
		json_string(buf, s->id);
		json_key(buf, &first, "description");
		json_string(buf, s->description);
		json_key(buf, &first, "action");
		json_string(buf, s->revert ? "reverted" : "applied");
		json_bool(buf, &first, "transactional", s->transactional);
		json_bool(buf, &first, "repeatable", s->repeatable);
		json_count(buf, &first, "statements", s->statements);
		json_key(buf, &first, "duration_ms");
		appendPQExpBuffer(buf, "%.3f", s->ms);
		json_bool(buf, &first, "committed", s->committed);
		appendPQExpBufferChar(buf, '}');
	}
	appendPQExpBufferChar(buf, ']');
}

/*
 * The current revisions of the database (applied, without an applied
 * child), one a row, in C order; "extschema" is the extension's schema,
 * quoted.  The caller checks the result's status and clears it.
 */
PGresult *
query_current(PGconn *conn, const char *extschema)
{
	char	   *sql = psprintf("WITH r AS MATERIALIZED (SELECT revision, parents, applied FROM %s.mig_revisions())"
							   " SELECT r.revision FROM r WHERE r.applied AND NOT EXISTS"
							   " (SELECT FROM r c WHERE c.applied AND r.revision OPERATOR(pg_catalog.=) ANY (c.parents))"
							   " ORDER BY r.revision COLLATE \"C\"",
							   extschema);
	PGresult   *res = PQexec(conn, sql);

	pfree(sql);
	return res;
}

/*
 * Append the revisions the database is at (applied, without an applied
 * child) as a JSON array of ids, read now; null if they cannot be read.
 */
void
json_append_current(PQExpBuffer buf, Conn *c)
{
	PGresult   *res = query_current(c->conn, c->extschema);
	int			i;

	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		appendPQExpBufferStr(buf, "null");
	else
	{
		appendPQExpBufferChar(buf, '[');
		for (i = 0; i < PQntuples(res); i++)
		{
			if (i > 0)
				appendPQExpBufferChar(buf, ',');
			json_string(buf, PQgetvalue(res, i, 0));
		}
		appendPQExpBufferChar(buf, ']');
	}
	PQclear(res);
}

/* A run starts (under --json): note where the database is. */
void
json_run_begin(Conn *c)
{
	PQExpBufferData buf;

	initPQExpBuffer(&buf);
	json_append_current(&buf, c);
	run_before = buf.data;
}

/*
 * Print the document of a run (json-schema/run.json): the command, its
 * target, the revisions run and where the database was before and is
 * after.
 */
void
print_run_json(Conn *c, const char *target)
{
	const Options *opts = c->opts;
	PQExpBufferData buf;
	bool		first = true;

	json_open_document(&buf, &first, opts->command->name, target);
	json_bool(&buf, &first, "dry_run", opts->dry_run);
	json_bool(&buf, &first, "commit_each", opts->commit_each);
	json_key(&buf, &first, "before");
	appendPQExpBufferStr(&buf, run_before ? run_before : "null");
	json_key(&buf, &first, "after");
	json_append_current(&buf, c);
	json_key(&buf, &first, "revisions");
	json_append_steps(&buf);
	appendPQExpBufferChar(&buf, '}');
	json_print(&buf);
	termPQExpBuffer(&buf);
}

/* Append the rows of "res" (revision, action) as an array of objects. */
static void
json_append_actions(PQExpBuffer buf, const PGresult *res)
{
	int			i;

	appendPQExpBufferChar(buf, '[');
	for (i = 0; i < PQntuples(res); i++)
	{
		bool		first = true;

		if (i > 0)
			appendPQExpBufferChar(buf, ',');
		appendPQExpBufferChar(buf, '{');
		json_key(buf, &first, "revision");
		json_string(buf, PQgetvalue(res, i, 0));
		json_key(buf, &first, "action");
		json_string(buf, PQgetvalue(res, i, 1));
		appendPQExpBufferChar(buf, '}');
	}
	appendPQExpBufferChar(buf, ']');
}

/*
 * Print the document of an import (json-schema/import.json): the other
 * tool and its table, whether it was dropped, and the revisions recorded
 * (pgmig.import's rows: revision, action).
 */
void
print_import_json(const char *tool, const char *table, bool dropped,
				  const PGresult *res)
{
	PQExpBufferData buf;
	bool		first = true;

	json_open_document(&buf, &first, "import", NULL);
	json_key(&buf, &first, "tool");
	json_string(&buf, tool);
	json_key(&buf, &first, "table");
	json_string(&buf, table);
	json_bool(&buf, &first, "dropped", dropped);
	json_key(&buf, &first, "revisions");
	json_append_actions(&buf, res);
	appendPQExpBufferChar(&buf, '}');
	json_print(&buf);
	termPQExpBuffer(&buf);
}

/*
 * Print the document of a stamp (json-schema/stamp.json): its target, the
 * revisions it marked (mig_stamp's rows: revision, action), and where the
 * database was before and is after.
 */
void
print_stamp_json(Conn *c, const char *target, const PGresult *res)
{
	PQExpBufferData buf;
	bool		first = true;

	json_open_document(&buf, &first, "stamp", target);
	json_key(&buf, &first, "before");
	appendPQExpBufferStr(&buf, run_before ? run_before : "null");
	json_key(&buf, &first, "after");
	json_append_current(&buf, c);
	json_key(&buf, &first, "revisions");
	json_append_actions(&buf, res);
	appendPQExpBufferChar(&buf, '}');
	json_print(&buf);
	termPQExpBuffer(&buf);
}
