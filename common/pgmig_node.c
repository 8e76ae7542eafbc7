/*-------------------------------------------------------------------------
 *
 * pgmig_node.c
 *	  node-pg-migrate's SQL migrations: <number>_<name>.sql with
 *	  "-- Up Migration" and "-- Down Migration" sections, ordered by the
 *	  number as node-pg-migrate orders them.
 *
 * node-pg-migrate (src/sqlMigration.ts) finds each marker with the regular
 * expression ^\s*--[\s-]*up\s+migration (case-insensitive, multi-line),
 * runs from the up marker to the down marker (or the end) going up and
 * from the down marker to the up marker (or the end) going down, so the
 * sections may come in either order; no down marker makes the migration
 * irreversible.  It orders files by the number their name starts with,
 * reading a number of 17 digits as a UTC time YYYYMMDDhhmmssSSS and
 * comparing its milliseconds since 1970 (src/utils/fileNameUtils.ts), so
 * that its "utc" names sort among its default millisecond timestamps.
 *
 * Compiled into the server module and, with -DFRONTEND, into the client.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include <ctype.h>

#include "pgmig_node.h"
#include "pgmig_version.h"

/* A marker line: its direction, or NULL if the line is none. */
typedef enum NodeMarker
{
	MARKER_NONE,
	MARKER_UP,
	MARKER_DOWN
} NodeMarker;

/*
 * Which marker the line starting at "line" is, as node-pg-migrate's
 * expression finds them within one line: blanks, "--", blanks and dashes,
 * "up" or "down", blanks, "migration", and anything after.
 */
static NodeMarker
line_marker(const char *line)
{
	NodeMarker	marker;

	while (*line == ' ' || *line == '\t')
		line++;
	if (line[0] != '-' || line[1] != '-')
		return MARKER_NONE;
	line += 2;
	while (*line == ' ' || *line == '\t' || *line == '-')
		line++;
	if (pg_strncasecmp(line, "up", 2) == 0)
	{
		marker = MARKER_UP;
		line += 2;
	}
	else if (pg_strncasecmp(line, "down", 4) == 0)
	{
		marker = MARKER_DOWN;
		line += 4;
	}
	else
		return MARKER_NONE;
	if (*line != ' ' && *line != '\t')
		return MARKER_NONE;
	while (*line == ' ' || *line == '\t')
		line++;
	return pg_strncasecmp(line, "migration", 9) == 0 ? marker : MARKER_NONE;
}

/* Is the line starting at "line" one of dbmate's "-- migrate:" lines? */
static bool
dbmate_line(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	if (line[0] != '-' || line[1] != '-')
		return false;
	line += 2;
	while (*line == ' ' || *line == '\t')
		line++;
	return strncmp(line, "migrate:", 8) == 0;
}

/* Is the line starting at "line" node-pg-migrate's "-- Down Migration"? */
bool
pgmig_node_down_marker(const char *line)
{
	return line_marker(line) == MARKER_DOWN;
}

/*
 * Is "content" a node-pg-migrate SQL migration (see header)?  It is read
 * before its newlines are normalized, so a CR ends a line too, as it will.
 */
bool
pgmig_node_file(const char *content)
{
	const char *p = content;
	bool		marker = false;

	while (*p != '\0')
	{
		if (dbmate_line(p))
			return false;
		if (line_marker(p) != MARKER_NONE)
			marker = true;
		p += strcspn(p, "\r\n");
		if (*p != '\0')
			p++;
	}
	return marker;
}

/*
 * Is "name" a JavaScript or TypeScript migration of node-pg-migrate's: a
 * number, then anything, then .js, .ts, .cjs, .mjs, .cts or .mts?
 */
bool
pgmig_node_script_name(const char *name)
{
	static const char *const exts[] = {".js", ".ts", ".cjs", ".mjs", ".cts", ".mts"};
	size_t		len = strlen(name);
	int			i;

	/* node-pg-migrate orders every file by the number it starts with */
	if (!isdigit((unsigned char) name[0]))
		return false;
	for (i = 0; i < (int) lengthof(exts); i++)
	{
		size_t		elen = strlen(exts[i]);

		if (len > elen && strcmp(name + len - elen, exts[i]) == 0)
			return true;
	}
	return false;
}

/* Days from 1970-01-01 to a date of the proleptic Gregorian calendar. */
static long
days_from_civil(int y, int m, int d)
{
	int			era;
	int			yoe;
	int			doy;
	int			doe;

	y -= m <= 2;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long) era * 146097 + doe - 719468;
}

/* The value of "n" digits at "s". */
static int
digits_value(const char *s, int n)
{
	int			v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/*
 * The sort key of a version of digits as node-pg-migrate orders it: 17
 * digits are a UTC time YYYYMMDDhhmmssSSS, compared as its milliseconds
 * since 1970; any other number is compared as it is.  NULL (with *err) if
 * node-pg-migrate would read no time from 17 digits, or could not compare
 * the number exactly (a JavaScript number holds 15 digits exactly).
 */
static char *
node_sortkey(const char *file_name, const char *id, PgmigError *err)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	const char *v = id;
	int			y,
				mo,
				d,
				h,
				mi,
				s,
				ms;
	bool		leap;
	long		days;

	if (strlen(id) != 17)
	{
		while (*v == '0' && v[1] != '\0')
			v++;
		if (strlen(v) > 15)
		{
			pgmig_set_error(err, PGMIG_ERR_FILE,
							"node-pg-migrate compares the number a file name starts with as a JavaScript number, exact only to 15 digits; 17 digits are a UTC time YYYYMMDDhhmmssSSS.",
							"Rename the file before node-pg-migrate or pgmig runs it.",
							"file name \"%s\" starts with a number node-pg-migrate cannot order", file_name);
			return NULL;
		}
		return pgmig_sortkey(id);
	}
	y = digits_value(id, 4);
	mo = digits_value(id + 4, 2);
	d = digits_value(id + 6, 2);
	h = digits_value(id + 8, 2);
	mi = digits_value(id + 10, 2);
	s = digits_value(id + 12, 2);
	ms = digits_value(id + 14, 3);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
		(mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || s > 59)
	{
		pgmig_set_error(err, PGMIG_ERR_FILE,
						"node-pg-migrate reads a name's 17 digits as a UTC time YYYYMMDDhhmmssSSS, from 1970 on.",
						"Rename the file with the time it was written.",
						"file name \"%s\" starts with 17 digits that are no time", file_name);
		return NULL;
	}
	days = days_from_civil(y, mo, d);
	return psprintf("%ld", ((days * 24 + h) * 60 + mi) * 60000L + s * 1000L + ms);
}

/*
 * Parse a node-pg-migrate SQL migration: the name's digits are the id, the
 * sort key is node-pg-migrate's number, the sections follow the markers
 * (either first; nothing but comments before the first), no down marker
 * makes it irreversible, and sqlx's "-- no-transaction" as the first line
 * makes it a no-transaction revision (node-pg-migrate runs SQL migrations
 * in a transaction, and reads that line as a comment).  "content" is
 * normalized in place.
 */
bool
pgmig_node_parse(const char *file_name, char *content, size_t len,
				 PgmigScript *out, PgmigError *err)
{
	char	   *p;
	const char *c;
	int			lineno = 0;
	NodeMarker	section = MARKER_NONE;
	size_t		start[3] = {0, 0, 0};
	size_t		end[3] = {0, 0, 0};
	int			line[3] = {0, 0, 0};

	memset(out, 0, sizeof(*out));
	if (!pgmig_parse_file_name(file_name, &out->id, &out->sortkey,
							   &out->description, err))
		return false;
	out->file_name = pstrdup(file_name);
	for (c = out->id; *c; c++)
		if (!isdigit((unsigned char) *c))
			return pgmig_set_error(err, PGMIG_ERR_FILE,
								   "node-pg-migrate's files are <number>_<name>.sql; it orders them by the digits before the first other character.",
								   "Rename the file before node-pg-migrate or pgmig runs it.",
								   "file name \"%s\" has a version that is not a number", file_name);
	pfree(out->sortkey);
	out->sortkey = node_sortkey(file_name, out->id, err);
	if (out->sortkey == NULL)
		return false;

	if (!pgmig_script_text(file_name, content, &len, out, err))
		return false;
	out->transactional = !pgmig_sqlx_no_transaction(content);

	for (p = content; *p != '\0';)
	{
		char	   *eol = strchr(p, '\n');
		size_t		linelen = eol ? (size_t) (eol - p) : strlen(p);
		size_t		next = eol ? (size_t) (eol + 1 - content) : len;
		NodeMarker	marker;

		lineno++;
		if (!pgmig_utf8_valid(p, linelen))
		{
			pgmig_set_error(err, PGMIG_ERR_FILE,
							"Migration files must be encoded in UTF-8.", NULL,
							"invalid UTF-8");
			return pgmig_error_at(err, file_name, lineno);
		}
		marker = line_marker(p);
		if (marker != MARKER_NONE)
		{
			if (line[marker] != 0)
			{
				pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
								"node-pg-migrate runs the text between the markers; a second marker would be part of it.",
								"second \"-- %s Migration\"", marker == MARKER_UP ? "Up" : "Down");
				return pgmig_error_at(err, file_name, lineno);
			}
			section = marker;
			start[marker] = end[marker] = next;
			line[marker] = lineno + 1;
		}
		else if (section == MARKER_NONE)
		{
			/* node-pg-migrate never runs what precedes the first marker */
			char	   *q = p;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q != '\n' && *q != '\0' && strncmp(q, "--", 2) != 0)
			{
				pgmig_set_error(err, PGMIG_ERR_FILE,
								"node-pg-migrate runs nothing that comes before the first marker.",
								"Put statements after a \"-- Up Migration\" or \"-- Down Migration\" line.",
								"statement before \"-- Up Migration\"");
				return pgmig_error_at(err, file_name, lineno);
			}
		}
		else
			end[section] = next;
		p = content + next;
	}
	if (line[MARKER_UP] == 0)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Without \"-- Up Migration\", node-pg-migrate runs the whole file going up, its down section too.",
							   "Put a \"-- Up Migration\" line before the statements that migrate up.",
							   "file \"%s\" has \"-- Down Migration\" but no \"-- Up Migration\"", file_name);
	out->up = pnstrdup(content + start[MARKER_UP], end[MARKER_UP] - start[MARKER_UP]);
	out->up_line = line[MARKER_UP];
	if (line[MARKER_DOWN] != 0)
	{
		out->down = pnstrdup(content + start[MARKER_DOWN],
							 end[MARKER_DOWN] - start[MARKER_DOWN]);
		out->down_line = line[MARKER_DOWN];
	}
	out->node_pg_migrate = true;
	return true;
}
