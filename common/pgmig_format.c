/*-------------------------------------------------------------------------
 *
 * pgmig_format.c
 *	  The migration file format: file names, the "-- migrate:up" and
 *	  "-- migrate:down" sections, the "-- pgmig:" header directives, and
 *	  lock_timeout values as PostgreSQL parses them.
 *
 * Compiled into the server module and, with -DFRONTEND, into the client,
 * where palloc is plain malloc and no memory context cleans up: every
 * function frees its scratch memory, on error paths too, and what it
 * returns belongs to the caller.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include <ctype.h>
#include <limits.h>
#include <math.h>

#include "mb/pg_wchar.h"

#include "pgmig_flyway.h"
#include "pgmig_format.h"
#include "pgmig_node.h"
#include "pgmig_version.h"

/* Parse a file name into id, sort key and description. */
bool
pgmig_parse_file_name(const char *file_name, char **id, char **sortkey,
					  char **description, PgmigError *err)
{
	size_t		len = strlen(file_name);
	size_t		vlen = 0;
	const char *slug;
	size_t		slen;
	char	   *desc;
	size_t		i;

	/* a newline in a name could end a line of a message or of a script */
	if (pgmig_find_control(file_name) != NULL)
	{
		char	   *shown = pgmig_escape(file_name);

		pgmig_set_error(err, PGMIG_ERR_FILE,
						"Migration file names may not contain newlines or other control characters.",
						"Rename the file.",
						"file name \"%s\" contains a control character", shown);
		pfree(shown);
		return false;
	}
	if (len < 4 || strcmp(file_name + len - 4, ".sql") != 0)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Migration files are named <version>_<description>.sql.",
							   NULL, "file name \"%s\" does not end in \".sql\"",
							   file_name);
	len -= 4;
	while (vlen < len && (isdigit((unsigned char) file_name[vlen]) ||
						  file_name[vlen] == '-' || file_name[vlen] == '.'))
		vlen++;
	/* a trailing dash or dot belongs to the separator, not the version */
	while (vlen > 0 && (file_name[vlen - 1] == '-' || file_name[vlen - 1] == '.'))
		vlen--;
	if (vlen == 0 || !isdigit((unsigned char) file_name[0]))
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Migration files are named <version>_<description>.sql, where the version starts with a digit.",
							   NULL, "file name \"%s\" does not start with a version",
							   file_name);
	slug = file_name + vlen;
	slen = len - vlen;
	if (slen > 0 && (*slug == '_' || *slug == '-' || *slug == '.'))
	{
		slug++;
		slen--;
	}
	else if (slen > 0)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Migration files are named <version>_<description>.sql.",
							   NULL, "file name \"%s\" has no \"_\" after its version",
							   file_name);

	*id = pnstrdup(file_name, vlen);
	*sortkey = pgmig_sortkey(*id);
	desc = pnstrdup(slug, slen);
	for (i = 0; i < slen; i++)
		if (desc[i] == '_')
			desc[i] = ' ';
	*description = desc;
	return true;
}

/* Strip leading and trailing white space in place; returns "s" past the leading. */
char *
pgmig_trim(char *s)
{
	char	   *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
					   end[-1] == '\n' || end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* Line number (1-based) of byte "offset" in "text", counted from "first". */
int
pgmig_line_at(const char *text, int offset, int first)
{
	int			line = first;
	int			i;

	for (i = 0; i < offset && text[i] != '\0'; i++)
		if (text[i] == '\n')
			line++;
	return line;
}

/* ---------- the file format ---------- */

/* Is this buffer valid UTF-8 (no NUL bytes)? */
bool
pgmig_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *end = p + len;

	while (p < end)
	{
		int			l;

		if (*p < 0x80)
		{
			p++;
			continue;
		}
		l = pg_utf_mblen(p);
		if (p + l > end || !pg_utf8_islegal(p, l))
			return false;
		p += l;
	}
	return true;
}

/* Split "s" on white space into a palloc'd array of words. */
static int
split_words(const char *s, char ***words)
{
	int			n = 0,
				cap = 4;
	char	  **w = palloc(cap * sizeof(char *));

	for (;;)
	{
		const char *start;

		while (*s && isspace((unsigned char) *s))
			s++;
		if (*s == '\0')
			break;
		start = s;
		while (*s && !isspace((unsigned char) *s))
			s++;
		if (n == cap)
		{
			cap *= 2;
			w = repalloc(w, cap * sizeof(char *));
		}
		w[n++] = pnstrdup(start, s - start);
	}
	*words = w;
	return n;
}

/* Free an array of split_words and the words not handed on (set to NULL). */
static void
free_words(char **words, int n)
{
	int			i;

	for (i = 0; i < n; i++)
		if (words[i] != NULL)
			pfree(words[i]);
	pfree(words);
}

/* If "line" is a comment starting with "prefix", return what follows. */
static const char *
comment_directive(const char *line, const char *prefix)
{
	size_t		plen = strlen(prefix);

	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, "--", 2) != 0)
		return NULL;
	line += 2;
	while (*line == ' ' || *line == '\t')
		line++;
	if (strncmp(line, prefix, plen) != 0)
		return NULL;
	return line + plen;
}

/* Is this line blank or only a "--" comment? */
static bool
line_is_comment(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	return *line == '\0' || strncmp(line, "--", 2) == 0;
}

/*
 * Parse a setting in milliseconds (see header) exactly as the server's
 * parse_int() does with GUC_UNIT_MS, so that what a file's lock_timeout
 * directive or --lock-timeout passes is what the server takes: strtol
 * (base 0, so 010 is octal and 0x10 hex), strtod when that stops at a
 * point or an exponent, white space before and after the unit, a
 * fractional value rounded to the next smaller unit, then to an integer.
 * The client never calls setlocale(), so strtod reads a decimal point as
 * the server does.
 */
bool
pgmig_parse_ms(const char *value, int *ms)
{
	/* guc.c's time units for GUC_UNIT_MS, largest first */
	static const struct
	{
		const char *unit;
		double		multiplier;
	}			units[] = {
		{"d", 1000 * 60 * 60 * 24},
		{"h", 1000 * 60 * 60},
		{"min", 1000 * 60},
		{"s", 1000},
		{"ms", 1},
		{"us", 1.0 / 1000}
	};
	int			nunits = lengthof(units);
	double		val;
	char	   *endptr;

	*ms = 0;
	errno = 0;
	val = strtol(value, &endptr, 0);
	if (*endptr == '.' || *endptr == 'e' || *endptr == 'E' || errno == ERANGE)
	{
		errno = 0;
		val = strtod(value, &endptr);
	}
	if (endptr == value || errno == ERANGE || isnan(val))
		return false;
	while (isspace((unsigned char) *endptr))
		endptr++;
	if (*endptr != '\0')
	{
		char		unit[4];	/* guc.c's MAX_UNIT_LEN is 3 */
		int			len = 0;
		int			i;

		while (*endptr != '\0' && !isspace((unsigned char) *endptr) &&
			   len < (int) sizeof(unit) - 1)
			unit[len++] = *endptr++;
		unit[len] = '\0';
		while (isspace((unsigned char) *endptr))
			endptr++;
		if (*endptr != '\0')
			return false;
		for (i = 0; i < nunits; i++)
			if (strcmp(unit, units[i].unit) == 0)
				break;
		if (i == nunits)
			return false;
		val *= units[i].multiplier;
		if (i + 1 < nunits)
			val = rint(val / units[i + 1].multiplier) * units[i + 1].multiplier;
	}
	val = rint(val);
	if (val > INT_MAX || val < INT_MIN)
		return false;
	*ms = (int) val;
	return true;
}

/* Where pgmig_parse_script is in a file. */
typedef enum Section
{
	HEADER,						/* before "-- migrate:up" */
	UP,
	DOWN
} Section;

/*
 * What pgmig_parse_script knows while it reads a file, line by line.  The
 * functions that read a line report errors without a location, which
 * pgmig_parse_script adds.
 */
typedef struct Reader
{
	PgmigScript *out;
	int			lineno;			/* of the line being read */
	Section		section;
	bool		has_up;
	bool		has_down;
	size_t		up_start;		/* byte offsets of the sections' texts */
	size_t		up_end;
	size_t		down_start;
	size_t		down_end;
	const char *content;		/* the whole file */
	size_t		len;
} Reader;

/* The hint for a file without sections, which may be one of sqlx's. */
#define SQLX_HINT "If it is one of sqlx's up-only migrations, say the folder is sqlx's: format = sqlx in pgmig.conf, --format=sqlx, or SET pgmig.format = 'sqlx' before mig_register()."

/*
 * Does "content" ("len" bytes) have no "-- migrate:" line at all?  A NUL
 * ends a line too: read_line() reads its line cut there.
 */
static bool
no_section_line(const char *content, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		if (comment_directive(content + i, "migrate:") != NULL)
			return false;
		while (i < len && content[i] != '\n' && content[i] != '\0')
			i++;
		i++;
	}
	return true;
}

/* Parse the options after "-- migrate:up" / "-- migrate:down". */
static bool
parse_section_options(const char *rest, bool *transactional, PgmigError *err)
{
	char	  **words;
	int			n = split_words(rest, &words);
	bool		ok = true;
	int			i;

	*transactional = true;
	for (i = 0; i < n && ok; i++)
	{
		if (strcmp(words[i], "transaction:false") == 0)
			*transactional = false;
		else if (strcmp(words[i], "transaction:true") == 0)
			*transactional = true;
		else
		{
			char	   *shown = pgmig_escape(words[i]);

			ok = pgmig_set_error(err, PGMIG_ERR_FILE,
								 "The only option of a migrate:up or migrate:down line is transaction:false.",
								 NULL, "unknown option \"%s\"", shown);
			pfree(shown);
		}
	}
	free_words(words, n);
	return ok;
}

/*
 * "-- pgmig:revises <id>...": the parents, or none for "revises base".
 * The ids kept are handed on (NULL in "words").
 */
static bool
directive_revises(PgmigScript *out, char **words, int n, PgmigError *err)
{
	int			i;

	if (out->parents_explicit)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
							   "List every parent on one revises line.",
							   "duplicate revises directive");
	out->parents_explicit = true;
	out->parents = palloc((n > 1 ? n - 1 : 1) * sizeof(char *));
	for (i = 1; i < n; i++)
	{
		if (strcmp(words[i], "base") == 0 && n == 2)
			break;				/* "revises base": a root revision */
		out->parents[out->nparents++] = words[i];
		words[i] = NULL;
	}
	return true;
}

/*
 * "-- pgmig:label <name>...": more labels.  The names kept are handed on
 * (NULL in "words").
 */
static bool
directive_label(PgmigScript *out, char **words, int n, PgmigError *err)
{
	int			i;

	if (n < 2)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "label directive without a name");
	out->labels = out->labels ?
		repalloc(out->labels, (out->nlabels + n - 1) * sizeof(char *)) :
		palloc((n - 1) * sizeof(char *));
	for (i = 1; i < n; i++)
	{
		if (strchr(words[i], '@') != NULL)
			return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
								   "label \"%s\" contains \"@\"", words[i]);
		out->labels[out->nlabels++] = words[i];
		words[i] = NULL;
	}
	return true;
}

/*
 * "-- pgmig:lock_timeout <duration>", checked as the server checks
 * lock_timeout; the last one counts.  The value kept is handed on (NULL
 * in "words").
 */
static bool
directive_lock_timeout(PgmigScript *out, char **words, int n, PgmigError *err)
{
	int			ms;

	if (n != 2)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Write it as: -- pgmig:lock_timeout 5s",
							   NULL, "lock_timeout directive needs one value");
	if (!pgmig_parse_ms(words[1], &ms) || ms < 0)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
							   "Use a duration such as \"5s\" or \"200ms\"; 0 waits indefinitely.",
							   "invalid lock_timeout \"%s\"", words[1]);
	if (out->lock_timeout != NULL)
		pfree(out->lock_timeout);
	out->lock_timeout = words[1];
	words[1] = NULL;
	return true;
}

/*
 * "-- pgmig:alembic <revision>": the Alembic revision this file was
 * converted from, which "pgmig import" matches to alembic_version.  The
 * value kept is handed on (NULL in "words").
 */
static bool
directive_alembic(PgmigScript *out, char **words, int n, PgmigError *err)
{
	if (n != 2)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Write it as: -- pgmig:alembic ae1027a6acf",
							   NULL, "alembic directive needs one revision");
	if (out->alembic != NULL)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
							   "A file is one Alembic revision.",
							   "duplicate alembic directive");
	out->alembic = words[1];
	words[1] = NULL;
	return true;
}

/*
 * Handle one "-- pgmig:" header directive.  The words kept in the script
 * are handed on; the rest are freed, on errors too.
 */
static bool
parse_directive(PgmigScript *out, const char *rest, PgmigError *err)
{
	char	  **words;
	int			n;
	bool		ok;
	const char *c;

	/* labels and ids are printed and compared: no control characters */
	for (c = pgmig_find_control(rest); c != NULL && *c == '\t';
		 c = pgmig_find_control(c + 1))
		;
	if (c != NULL)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Labels, revision ids and lock_timeout values may not contain control characters.",
							   NULL, "control character in pgmig directive");

	n = split_words(rest, &words);
	if (n == 0)
		ok = pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
							 "Directives are revises, label, lock_timeout and alembic.",
							 "empty pgmig directive");
	else if (strcmp(words[0], "revises") == 0)
		ok = directive_revises(out, words, n, err);
	else if (strcmp(words[0], "label") == 0)
		ok = directive_label(out, words, n, err);
	else if (strcmp(words[0], "lock_timeout") == 0)
		ok = directive_lock_timeout(out, words, n, err);
	else if (strcmp(words[0], "alembic") == 0)
		ok = directive_alembic(out, words, n, err);
	else
		ok = pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
							 "Directives are revises, label, lock_timeout and alembic.",
							 "unknown directive \"pgmig:%s\"", words[0]);
	free_words(words, n);
	return ok;
}

/*
 * A "-- migrate:up" line ("rest" is what follows it); the up text starts
 * at byte "next".
 */
static bool
start_up(Reader *r, const char *rest, size_t next, PgmigError *err)
{
	if (r->has_up)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "second \"-- migrate:up\"");
	if (r->section == DOWN)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
							   "Put the up section before the down section.",
							   "\"-- migrate:up\" after \"-- migrate:down\"");
	if (!parse_section_options(rest, &r->out->transactional, err))
		return false;
	r->has_up = true;
	r->section = UP;
	r->up_start = r->up_end = next;
	r->out->up_line = r->lineno + 1;
	return true;
}

/*
 * A "-- migrate:down" line ("rest" is what follows it); the down text
 * starts at byte "next".
 */
static bool
start_down(Reader *r, const char *rest, size_t next, PgmigError *err)
{
	bool		down_tx;

	if (r->section != UP)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   r->has_down ?
							   "second \"-- migrate:down\"" :
							   "\"-- migrate:down\" before \"-- migrate:up\"");
	if (!parse_section_options(rest, &down_tx, err))
		return false;
	/* either section at top level makes the revision no-transaction */
	if (!down_tx)
		r->out->transactional = false;
	r->has_down = true;
	r->section = DOWN;
	r->down_start = r->down_end = next;
	r->out->down_line = r->lineno + 1;
	return true;
}

/*
 * Read one line of the file (NUL-terminated, without its newline); the
 * next line starts at byte "next".
 */
static bool
read_line(Reader *r, const char *line, size_t next, PgmigError *err)
{
	const char *rest;

	if ((rest = comment_directive(line, "migrate:up")) != NULL &&
		(*rest == '\0' || isspace((unsigned char) *rest)))
		return start_up(r, rest, next, err);
	if ((rest = comment_directive(line, "migrate:down")) != NULL &&
		(*rest == '\0' || isspace((unsigned char) *rest)))
		return start_down(r, rest, next, err);
	if ((rest = comment_directive(line, "migrate:")) != NULL)
	{
		char	   *shown = pgmig_escape(rest);

		pgmig_set_error(err, PGMIG_ERR_FILE,
						"Sections are \"-- migrate:up\" and \"-- migrate:down\".",
						NULL, "unknown section \"migrate:%s\"", shown);
		pfree(shown);
		return false;
	}
	if ((rest = comment_directive(line, "pgmig:")) != NULL)
	{
		if (r->section != HEADER)
			return pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
								   "Directives go in the header, before \"-- migrate:up\".",
								   "directive after \"-- migrate:up\"");
		return parse_directive(r->out, rest, err);
	}
	if (r->section == HEADER && !line_is_comment(line))
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
							   no_section_line(r->content, r->len) ?
							   "Put statements after a \"-- migrate:up\" line. " SQLX_HINT :
							   "Put statements after a \"-- migrate:up\" line.",
							   "statement before \"-- migrate:up\"");
	if (r->section == UP)
		r->up_end = next;
	else if (r->section == DOWN)
		r->down_end = next;
	return true;
}

/*
 * Check that a whole migration file is text, normalize its newlines in
 * place (*len follows) and take its checksum into out->file_checksum.
 */
bool
pgmig_script_text(const char *file_name, char *content, size_t *len,
				  PgmigScript *out, PgmigError *err)
{
	if (strlen(content) != *len)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "The file contains a NUL byte; migration files are UTF-8 text.",
							   NULL, "file \"%s\" is not a text file", file_name);
	*len = pgmig_normalize_newlines(content, *len);
	if (!pgmig_checksum(content, *len, out->file_checksum))
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "could not compute checksum of file \"%s\"", file_name);
	return true;
}

/* Parse a migration file (see header). */
bool
pgmig_parse_script(const char *file_name, char *content, size_t len,
				   PgmigScript *out, PgmigError *err)
{
	Reader		r;
	char	   *p;

	/* node-pg-migrate's markers, and no "-- migrate:" line */
	if (pgmig_node_file(content))
		return pgmig_node_parse(file_name, content, len, out, err);
	memset(out, 0, sizeof(*out));
	if (!pgmig_parse_file_name(file_name, &out->id, &out->sortkey,
							   &out->description, err))
		return false;
	out->file_name = pstrdup(file_name);
	if (!pgmig_script_text(file_name, content, &len, out, err))
		return false;

	memset(&r, 0, sizeof(r));
	r.out = out;
	r.section = HEADER;
	r.content = content;
	r.len = len;
	for (p = content; *p != '\0';)
	{
		char	   *eol = strchr(p, '\n');
		size_t		linelen = eol ? (size_t) (eol - p) : strlen(p);
		size_t		next = eol ? (size_t) (eol + 1 - content) : len;
		char		save = p[linelen];
		bool		ok;

		r.lineno++;
		if (!pgmig_utf8_valid(p, linelen))
		{
			pgmig_set_error(err, PGMIG_ERR_FILE,
							"Migration files must be encoded in UTF-8.", NULL,
							"invalid UTF-8");
			return pgmig_error_at(err, file_name, r.lineno);
		}
		p[linelen] = '\0';
		ok = read_line(&r, p, next, err);
		p[linelen] = save;
		if (!ok)
			return pgmig_error_at(err, file_name, r.lineno);
		p = content + next;
	}

	if (!r.has_up)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Every migration file has a \"-- migrate:up\" line followed by its statements.",
							   SQLX_HINT, "file \"%s\" has no \"-- migrate:up\" section",
							   file_name);

	out->up = pnstrdup(content + r.up_start, r.up_end - r.up_start);
	if (r.has_down)
		out->down = pnstrdup(content + r.down_start, r.down_end - r.down_start);
	return true;
}

/* Is "dir" a Diesel migration folder's name: <version>_<name>, dashes allowed? */
static bool
diesel_dir_name(const char *dir, size_t len)
{
	size_t		i = 0;

	if (len == 0 || !isdigit((unsigned char) dir[0]))
		return false;
	while (i < len && (isdigit((unsigned char) dir[i]) ||
					   (dir[i] == '-' && i + 1 < len && isdigit((unsigned char) dir[i + 1]))))
		i++;
	return i + 1 < len && dir[i] == '_' && memchr(dir, '/', len) == NULL;
}

/*
 * The layout of a file of the layouts that split a revision into files,
 * and which part of it the file is: golang-migrate's and sqlx's
 * <version>_<title>.up.sql and .down.sql, or Diesel's
 * <version>_<name>/up.sql, down.sql and metadata.toml.  PGMIG_LAYOUT_DBMATE
 * for any other name: a file of its own.
 */
PgmigLayout
pgmig_split_file(const char *name, PgmigPart *part)
{
	const char *p = name;
	const char *slash = strchr(name, '/');
	size_t		len = strlen(name);
	PgmigFlywayKind flyway = pgmig_flyway_kind(name);

	if (flyway != PGMIG_FLYWAY_NONE)
	{
		*part = flyway == PGMIG_FLYWAY_VERSIONED ? PGMIG_PART_UP :
			flyway == PGMIG_FLYWAY_UNDO ? PGMIG_PART_DOWN :
			flyway == PGMIG_FLYWAY_CONF ? PGMIG_PART_META :
			flyway == PGMIG_FLYWAY_REPEATABLE ? PGMIG_PART_REPEATABLE : PGMIG_PART_REFUSED;
		return PGMIG_LAYOUT_FLYWAY;
	}
	if (slash != NULL)
	{
		/* Sqitch's deploy/<change>.sql, revert/ and verify/ */
		if (len > 11 && strcmp(name + len - 4, ".sql") == 0 && slash - name == 6)
		{
			if (strncmp(name, "deploy/", 7) == 0)
				*part = PGMIG_PART_UP;
			else if (strncmp(name, "revert/", 7) == 0)
				*part = PGMIG_PART_DOWN;
			else if (strncmp(name, "verify/", 7) == 0)
				*part = PGMIG_PART_META;
			else
				return PGMIG_LAYOUT_DBMATE;
			return PGMIG_LAYOUT_SQITCH;
		}
		if (!diesel_dir_name(name, slash - name))
			return PGMIG_LAYOUT_DBMATE;
		if (strcmp(slash + 1, "up.sql") == 0)
			*part = PGMIG_PART_UP;
		else if (strcmp(slash + 1, "down.sql") == 0)
			*part = PGMIG_PART_DOWN;
		else if (strcmp(slash + 1, "metadata.toml") == 0)
			*part = PGMIG_PART_META;
		else
			return PGMIG_LAYOUT_DBMATE;
		return PGMIG_LAYOUT_DIESEL;
	}
	if (!isdigit((unsigned char) *p))
		return PGMIG_LAYOUT_DBMATE;
	while (isdigit((unsigned char) *p))
		p++;
	if (*p != '_')
		return PGMIG_LAYOUT_DBMATE;
	if (len > 7 && strcmp(name + len - 7, ".up.sql") == 0)
		*part = PGMIG_PART_UP;
	else if (len > 9 && strcmp(name + len - 9, ".down.sql") == 0)
		*part = PGMIG_PART_DOWN;
	else
		return PGMIG_LAYOUT_DBMATE;
	return PGMIG_LAYOUT_GOLANG;
}

/*
 * How the layout of revision file "name" marks a no-transaction revision,
 * for hints: "-- migrate:up transaction:false" in dbmate's files.  The
 * name cannot tell dbmate's from node-pg-migrate's or sqlx's simple
 * files, so such a hint names both markers.
 */
const char *
pgmig_no_transaction_mark(const char *name)
{
	PgmigPart	part;

	switch (pgmig_split_file(name, &part))
	{
		case PGMIG_LAYOUT_DIESEL:
			return "\"run_in_transaction = false\" in its metadata.toml";
		case PGMIG_LAYOUT_FLYWAY:
			return "\"executeInTransaction=false\" in its .sql.conf file";
		case PGMIG_LAYOUT_GOLANG:
		case PGMIG_LAYOUT_SQITCH:
			return "a first line \"-- no-transaction\" in its up script";
		case PGMIG_LAYOUT_DBMATE:
			break;
	}
	/* node-pg-migrate's and sqlx's simple files are named as dbmate's */
	return "\"-- migrate:up transaction:false\" (in node-pg-migrate's and sqlx's files, a first line \"-- no-transaction\")";
}

/* Is "name" the up file of a revision of a split layout? */
bool
pgmig_split_up_file(const char *name)
{
	PgmigPart	part;

	return pgmig_split_file(name, &part) != PGMIG_LAYOUT_DBMATE && part == PGMIG_PART_UP;
}

/*
 * The name of the up file of the revision that split-layout file "name"
 * (any part) belongs to (palloc'd), or NULL if it is no such file.
 */
char *
pgmig_split_up_name(const char *name)
{
	PgmigPart	part;
	PgmigLayout layout = pgmig_split_file(name, &part);

	if (layout == PGMIG_LAYOUT_FLYWAY)
		return part == PGMIG_PART_UP ? pstrdup(name) :
			part == PGMIG_PART_DOWN ? psprintf("V%s", name + 1) :
			part == PGMIG_PART_META ? pnstrdup(name, strlen(name) - strlen(".conf")) :
			NULL;
	if (layout == PGMIG_LAYOUT_DIESEL)
		return psprintf("%.*s/up.sql", (int) (strrchr(name, '/') - name), name);
	if (layout == PGMIG_LAYOUT_SQITCH)
		return psprintf("deploy/%s", name + 7);
	if (layout == PGMIG_LAYOUT_GOLANG)
		return part == PGMIG_PART_UP ? pstrdup(name) :
			psprintf("%.*s.up.sql", (int) (strlen(name) - strlen(".down.sql")), name);
	return NULL;
}

/*
 * The name of another part of the revision whose up file is "up_name"
 * (palloc'd), or NULL if the layout has no such part.
 */
char *
pgmig_split_part_name(const char *up_name, PgmigPart part)
{
	PgmigPart	up;
	PgmigLayout layout = pgmig_split_file(up_name, &up);
	size_t		len = strlen(up_name);

	if (layout == PGMIG_LAYOUT_FLYWAY && up == PGMIG_PART_UP)
		return part == PGMIG_PART_DOWN ? psprintf("U%s", up_name + 1) :
			part == PGMIG_PART_META ? psprintf("%s.conf", up_name) :
			pstrdup(up_name);
	if (layout == PGMIG_LAYOUT_DIESEL)
		return psprintf("%.*s/%s", (int) (len - strlen("/up.sql")), up_name,
						part == PGMIG_PART_DOWN ? "down.sql" :
						part == PGMIG_PART_META ? "metadata.toml" : "up.sql");
	if (layout == PGMIG_LAYOUT_SQITCH)
		return psprintf("%s/%s", part == PGMIG_PART_DOWN ? "revert" :
						part == PGMIG_PART_META ? "verify" : "deploy", up_name + 7);
	if (layout == PGMIG_LAYOUT_GOLANG && part != PGMIG_PART_META)
		return psprintf("%.*s.%s.sql", (int) (len - strlen(".up.sql")), up_name,
						part == PGMIG_PART_DOWN ? "down" : "up");
	return NULL;
}

/*
 * Does Diesel's metadata.toml say run_in_transaction = false?  Only that
 * key is read; the rest of the file is Diesel's.
 */
static bool
diesel_no_transaction(const char *meta)
{
	const char *line = meta;

	while (line != NULL && *line != '\0')
	{
		const char *p = line;

		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, "run_in_transaction", 18) == 0)
		{
			p += 18;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '=')
			{
				p++;
				while (*p == ' ' || *p == '\t')
					p++;
				if (strncmp(p, "false", 5) == 0 &&
					(p[5] == '\0' || p[5] == '\n' || p[5] == ' ' || p[5] == '\t' || p[5] == '#'))
					return true;
			}
		}
		line = strchr(line, '\n');
		if (line != NULL)
			line++;
	}
	return false;
}

/*
 * Check the text of a file of the pair layout and normalize its newlines
 * in place (*len follows): text, UTF-8, and no "-- migrate:" line or
 * node-pg-migrate's "-- Down Migration", which would mean a file of
 * dbmate's or node-pg-migrate's format named as a pair's (its down section
 * would run going up).
 */
static bool
pair_text(const char *name, char *content, size_t *len, PgmigLayout layout,
		  PgmigError *err)
{
	char	   *p;
	int			lineno = 0;

	if (strlen(content) != *len)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "The file contains a NUL byte; migration files are UTF-8 text.",
							   NULL, "file \"%s\" is not a text file", name);
	*len = pgmig_normalize_newlines(content, *len);
	for (p = content; *p != '\0';)
	{
		char	   *eol = strchr(p, '\n');
		size_t		linelen = eol ? (size_t) (eol - p) : strlen(p);
		char		save = p[linelen];
		bool		section;

		lineno++;
		if (!pgmig_utf8_valid(p, linelen))
		{
			pgmig_set_error(err, PGMIG_ERR_FILE,
							"Migration files must be encoded in UTF-8.", NULL,
							"invalid UTF-8");
			return pgmig_error_at(err, name, lineno);
		}
		p[linelen] = '\0';
		section = comment_directive(p, "migrate:") != NULL ||
			pgmig_node_down_marker(p);
		p[linelen] = save;
		if (section)
		{
			pgmig_set_error(err, PGMIG_ERR_FILE,
							"A file of golang-migrate's layout (<version>_<title>.up.sql, .down.sql), Diesel's (<version>_<name>/up.sql, down.sql) or Flyway's (V<version>__<description>.sql, U<version>__<description>.sql) holds one script.",
							layout == PGMIG_LAYOUT_DBMATE ?
							"Under format = sqlx a file without a pair is one up script; a folder of dbmate's files needs no format." :
							"If it is in dbmate's format, name it <version>_<title>.sql.",
							"section line in a file of %s's layout",
							layout == PGMIG_LAYOUT_FLYWAY ? "Flyway" :
							layout == PGMIG_LAYOUT_DIESEL ? "Diesel" :
							layout == PGMIG_LAYOUT_DBMATE ? "sqlx" : "golang-migrate");
			return pgmig_error_at(err, name, lineno);
		}
		p = eol ? eol + 1 : p + linelen;
	}
	return true;
}

/*
 * Parse a revision of a split layout: its up file and, if it has one, its
 * down file, each a whole script starting at line 1, and for Diesel its
 * metadata.toml (or NULL).  The version and title come from the up file's
 * name (golang-migrate's) or its folder's (Diesel's); sqlx's
 * "-- no-transaction" as the first line, or Diesel's run_in_transaction =
 * false, makes it a no-transaction revision.  The file checksum covers
 * every file.  The contents are normalized in place.
 */
bool
pgmig_parse_pair(const char *up_name, char *up, size_t up_len,
				 const char *down_name, char *down, size_t down_len,
				 const char *meta, PgmigScript *out, PgmigError *err)
{
	PgmigPart	part;
	PgmigLayout layout = pgmig_split_file(up_name, &part);
	size_t		cut = layout == PGMIG_LAYOUT_DIESEL ? strlen("/up.sql") :
		layout == PGMIG_LAYOUT_FLYWAY ? strlen(".sql") : strlen(".up.sql");
	char	   *base = psprintf("%.*s.sql", (int) (strlen(up_name) - cut), up_name);
	size_t		meta_len = meta ? strlen(meta) : 0;
	size_t		total;
	bool		ok;
	char	   *all;

	memset(out, 0, sizeof(*out));
	ok = layout == PGMIG_LAYOUT_FLYWAY ?
		pgmig_flyway_name(up_name, &out->id, &out->sortkey, &out->description, err) :
		pgmig_parse_file_name(base, &out->id, &out->sortkey, &out->description, err);
	pfree(base);
	if (!ok)
		return false;
	out->file_name = pstrdup(up_name);
	if (!pair_text(up_name, up, &up_len, layout, err) ||
		(down != NULL && !pair_text(down_name, down, &down_len, layout, err)))
		return false;
	if (layout == PGMIG_LAYOUT_FLYWAY)
	{
		/* the .conf file says; no first line does */
		bool		placeholders;
		char	   *meta_name = pgmig_split_part_name(up_name, PGMIG_PART_META);

		ok = meta == NULL ||
			pgmig_flyway_conf(meta_name, meta, &out->transactional, &placeholders, err);
		pfree(meta_name);
		if (!ok)
			return false;
		if (meta == NULL)
			out->transactional = placeholders = true;
		if (placeholders &&
			(!pgmig_flyway_placeholders(up_name, up, err) ||
			 (down != NULL && !pgmig_flyway_placeholders(down_name, down, err))))
			return false;
	}
	else
		out->transactional = !pgmig_sqlx_no_transaction(up) &&
			!(meta != NULL && diesel_no_transaction(meta));
	out->up = pstrdup(up);
	out->up_line = 1;
	if (down != NULL)
	{
		out->down = pstrdup(down);
		out->down_line = 1;
	}
	/* every file, a NUL between them: no text file holds one */
	total = up_len + (down ? 1 + down_len : 0) + (meta ? 2 + meta_len : 0);
	all = palloc(total + 1);
	memcpy(all, up, up_len);
	total = up_len;
	if (down != NULL)
	{
		all[total++] = '\0';
		memcpy(all + total, down, down_len);
		total += down_len;
	}
	if (meta != NULL)
	{
		/* two NULs: metadata without a down file is not a down file */
		all[total++] = '\0';
		all[total++] = '\0';
		memcpy(all + total, meta, meta_len);
		total += meta_len;
	}
	ok = pgmig_checksum(all, total, out->file_checksum);
	pfree(all);
	if (!ok)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "could not compute checksum of file \"%s\"", up_name);
	return true;
}

/* Is "-- no-transaction" the first line of "text" (sqlx's marker)? */
bool
pgmig_sqlx_no_transaction(const char *text)
{
	return strncmp(text, "-- no-transaction", 17) == 0 &&
		(text[17] == '\0' || text[17] == '\n' || text[17] == ' ' || text[17] == '\t');
}

/*
 * Parse one of sqlx's simple migrations, <version>_<description>.sql
 * without sections: the whole file is the up script, from line 1, and
 * there is no down script; "-- no-transaction" as the first line makes a
 * no-transaction revision.  The version is digits, as sqlx reads it.  A
 * section line of dbmate's or node-pg-migrate's is refused: run whole, the
 * file would run its down section going up.  Only a folder said to be
 * sqlx's (format = sqlx, pgmig.format) is read so: a file that lost its
 * "-- migrate:up" line looks the same.  The content is normalized in place.
 */
bool
pgmig_parse_simple(const char *name, char *content, size_t len,
				   PgmigScript *out, PgmigError *err)
{
	memset(out, 0, sizeof(*out));
	if (!pgmig_parse_file_name(name, &out->id, &out->sortkey, &out->description, err))
		return false;
	out->file_name = pstrdup(name);
	if (strspn(out->id, "0123456789") != strlen(out->id))
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "sqlx's migrations are <version>_<description>.sql, where the version is a number.",
							   NULL, "file name \"%s\" has a version that is not a number", name);
	if (pgmig_node_file(content))
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "sqlx runs a simple migration whole, so its \"-- Down Migration\" section would run going up.",
							   "Read the folder as node-pg-migrate's (no format, or format = node-pg-migrate), or keep the up statements only.",
							   "file \"%s\" has node-pg-migrate's sections", name);
	if (!pair_text(name, content, &len, PGMIG_LAYOUT_DBMATE, err))
		return false;
	out->transactional = !pgmig_sqlx_no_transaction(content);
	out->up = pstrdup(content);
	out->up_line = 1;
	if (!pgmig_checksum(content, len, out->file_checksum))
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "could not compute checksum of file \"%s\"", name);
	return true;
}

/*
 * Parse one of Flyway's repeatable migrations, R__<description>.sql: a
 * whole script from line 1, always run in a transaction, with no version
 * (id and sortkey are NULL).  The checksums are the script's.  The content
 * is normalized in place.
 */
bool
pgmig_parse_repeatable(const char *name, char *content, size_t len,
					   PgmigScript *out, PgmigError *err)
{
	memset(out, 0, sizeof(*out));
	out->description = pgmig_flyway_repeatable_name(name, err);
	if (out->description == NULL)
		return false;
	out->file_name = pstrdup(name);
	out->transactional = true;
	if (!pair_text(name, content, &len, PGMIG_LAYOUT_FLYWAY, err) ||
		!pgmig_flyway_placeholders(name, content, err))
		return false;
	out->up = pstrdup(content);
	out->up_line = 1;
	if (!pgmig_checksum(content, len, out->file_checksum))
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "could not compute checksum of file \"%s\"", name);
	memcpy(out->up_checksum, out->file_checksum, PGMIG_CHECKSUM_LEN);
	return true;
}

/*
 * Checksums of the up and down scripts of a parsed file (the file's own is
 * taken by pgmig_parse_script): only what compares applied scripts needs
 * them, so a plain run does not hash every file three times.
 */
void
pgmig_section_checksums(PgmigScript *script)
{
	(void) pgmig_checksum(script->up, strlen(script->up), script->up_checksum);
	if (script->down)
		(void) pgmig_checksum(script->down, strlen(script->down),
							  script->down_checksum);
	else
		script->down_checksum[0] = '\0';
}
