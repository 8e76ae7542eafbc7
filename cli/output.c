/*-------------------------------------------------------------------------
 *
 * output.c
 *	  Output helpers of the pgmig client: error reports in the server's
 *	  layout and from the shared core, progress lines, durations, and a
 *	  small JSON writer.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* How many results of shown() may be in use at once. */
#define SHOWN_SLOTS 8

/*
 * Text from a file name, a path, a directive or the catalog, fit to print
 * on a terminal or in a comment of a generated script: its control
 * characters escaped (see pgmig_escape).  Text without any comes back as
 * it is; escaped text lives in one of SHOWN_SLOTS buffers, used in turn,
 * so that one message may show several.
 */
const char *
shown(const char *text)
{
	static char *slots[SHOWN_SLOTS];
	static int	next = 0;
	char	   *escaped = pgmig_escape(text);

	if (strcmp(escaped, text) == 0)
	{
		pg_free(escaped);
		return text;
	}
	pg_free(slots[next]);
	slots[next] = escaped;
	next = (next + 1) % SHOWN_SLOTS;
	return escaped;
}

/*
 * Report an error about a script statement in the layout the server gives
 * its errors, which report_error keeps: "pgmig: error: " and the message,
 * then "DETAIL:  ", "HINT:  " and "CONTEXT:  " lines, each if given.
 *
 * The client also uses it for what it finds itself about a statement it
 * ran (a lock it gave up waiting for, a statement canceled between
 * commands, a round trip that failed), so that these read as the server's
 * reports of the same events do.  pg_log_error_detail and
 * pg_log_error_hint, which the client's other messages use, would print
 * "pgmig: detail: " lines among the server's "DETAIL:  " ones, and there
 * is no pg_log_* call for a context line, which must come after them.
 */
void
report_statement_error(const char *message, const char *detail,
					   const char *hint, const char *context)
{
	PQExpBufferData buf;

	note_error(message, detail, hint, NULL, context);
	initPQExpBuffer(&buf);
	appendPQExpBufferStr(&buf, message);
	while (buf.len > 0 && buf.data[buf.len - 1] == '\n')
		buf.data[--buf.len] = '\0';
	if (detail)
		appendPQExpBuffer(&buf, "\nDETAIL:  %s", detail);
	if (hint)
		appendPQExpBuffer(&buf, "\nHINT:  %s", hint);
	if (context)
		appendPQExpBuffer(&buf, "\nCONTEXT:  %s", context);
	pg_log_error("%s", buf.data);
	termPQExpBuffer(&buf);
}

/*
 * Report an error of the shared core, then free it.  One at a line of a
 * migration file is reported as the server reports it, its location on a
 * context line after the detail and hint (report_statement_error's
 * layout); any other with pg_log_error_detail and pg_log_error_hint.
 */
void
report_pgmig_error(PgmigError *err)
{
	/* messages may quote ids or labels read from a catalog */
	const char *message = err->message ? shown(err->message) : "unknown error";
	const char *detail = err->detail ? shown(err->detail) : NULL;
	const char *hint = err->hint ? shown(err->hint) : NULL;

	if (err->file_name)
	{
		char	   *context = psprintf("file \"%s\" line %d",
									   shown(err->file_name), err->line);

		report_statement_error(message, detail, hint, context);
		pg_free(context);
	}
	else
	{
		pg_log_error("%s", message);
		if (detail)
			pg_log_error_detail("%s", detail);
		if (hint)
			pg_log_error_hint("%s", hint);
	}
	pgmig_error_free(err);
}

/* Print a progress line on stdout (stderr under --json) unless --quiet. */
void
info(const Options *opts, const char *fmt,...)
{
	va_list		ap;

	if (opts->quiet)
		return;
	progress_clear();
	va_start(ap, fmt);
	vfprintf(progress_stream(), fmt, ap);
	va_end(ap);
	fputc('\n', progress_stream());
	fflush(progress_stream());
}

/* Milliseconds since "start". */
double
elapsed_ms(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_MILLISEC(now);
}

/* A duration in milliseconds (as text, from the server) made readable. */
char *
format_ms(const char *ms)
{
	double		v;

	if (ms == NULL || ms[0] == '\0')
		return pg_strdup("?");
	v = strtod(ms, NULL);
	if (v < 1000.0)
		return psprintf("%.1f ms", v);
	if (v < 60000.0)
		return psprintf("%.2f s", v / 1000.0);
	return psprintf("%d min %.0f s", (int) (v / 60000.0),
					(v - 60000.0 * (int) (v / 60000.0)) / 1000.0);
}

/* An interval literal for a duration in milliseconds. */
char *
ms_interval(double ms)
{
	return psprintf("%.3f ms", ms);
}

/* Append a JSON string (quoted, escaped) to buf; NULL becomes null. */
void
json_string(PQExpBuffer buf, const char *s)
{
	const unsigned char *p;

	if (s == NULL)
	{
		appendPQExpBufferStr(buf, "null");
		return;
	}
	appendPQExpBufferChar(buf, '"');
	for (p = (const unsigned char *) s; *p; p++)
	{
		switch (*p)
		{
			case '"':
				appendPQExpBufferStr(buf, "\\\"");
				break;
			case '\\':
				appendPQExpBufferStr(buf, "\\\\");
				break;
			case '\n':
				appendPQExpBufferStr(buf, "\\n");
				break;
			case '\r':
				appendPQExpBufferStr(buf, "\\r");
				break;
			case '\t':
				appendPQExpBufferStr(buf, "\\t");
				break;
			case '\b':
				appendPQExpBufferStr(buf, "\\b");
				break;
			case '\f':
				appendPQExpBufferStr(buf, "\\f");
				break;
			default:
				if (*p < 0x20)
					appendPQExpBuffer(buf, "\\u%04x", *p);
				else
					appendPQExpBufferChar(buf, (char) *p);
		}
	}
	appendPQExpBufferChar(buf, '"');
}

/* Append "key": to an object, with a comma unless it is the first. */
void
json_key(PQExpBuffer buf, bool *first, const char *key)
{
	if (!*first)
		appendPQExpBufferChar(buf, ',');
	*first = false;
	json_string(buf, key);
	appendPQExpBufferChar(buf, ':');
}

/*
 * Start a command's JSON document in buf: "{", its "command" and, unless
 * NULL, its "target".
 */
void
json_open_document(PQExpBuffer buf, bool *first, const char *command,
				   const char *target)
{
	initPQExpBuffer(buf);
	appendPQExpBufferChar(buf, '{');
	json_key(buf, first, "command");
	json_string(buf, command);
	if (target)
	{
		json_key(buf, first, "target");
		json_string(buf, target);
	}
}

/* Append "key": true or false to an object. */
void
json_bool(PQExpBuffer buf, bool *first, const char *key, bool value)
{
	json_key(buf, first, key);
	appendPQExpBufferStr(buf, value ? "true" : "false");
}

/* Append "key": an integer to an object. */
void
json_int(PQExpBuffer buf, bool *first, const char *key, int value)
{
	json_key(buf, first, key);
	appendPQExpBuffer(buf, "%d", value);
}

/* Append "key": a count, or null (value < 0), to an object. */
void
json_count(PQExpBuffer buf, bool *first, const char *key, int value)
{
	if (value < 0)
	{
		json_key(buf, first, key);
		appendPQExpBufferStr(buf, "null");
	}
	else
		json_int(buf, first, key, value);
}

/* A revision's state as the --json outputs say it (json-schema/common.json). */
const char *
json_rev_state(const RevFacts *f)
{
	return !f->applied ? "pending" : f->state ? f->state : PGMIG_STATE_COMPLETE;
}

/* Open a revision's JSON object with its "revision" and "description". */
void
json_open_revision(PQExpBuffer buf, bool *first, const Rev *rev)
{
	appendPQExpBufferChar(buf, '{');
	json_key(buf, first, "revision");
	json_string(buf, rev->id);
	json_key(buf, first, "description");
	json_string(buf, rev->description);
}

/* Append a JSON array of strings. */
void
json_string_array(PQExpBuffer buf, int n, char *const *items)
{
	int			i;

	appendPQExpBufferChar(buf, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendPQExpBufferChar(buf, ',');
		json_string(buf, items[i]);
	}
	appendPQExpBufferChar(buf, ']');
}
