/*-------------------------------------------------------------------------
 *
 * pgmig_common.c
 *	  Logic shared by the pgmig extension and the pgmig client: the
 *	  migration file format, checksums, version ordering, and the revision
 *	  graph with its targets and plans.
 *
 * Compiled into the server module and, with -DFRONTEND, into the client.
 * Memory comes from palloc (the client gets it from libpgcommon, which is
 * plain malloc: no memory context cleans up after us).  So every function
 * frees its scratch memory, on error paths too, and what it returns belongs
 * to the caller.
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

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "pgmig_common.h"

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

		pgmig_set_error(err, PGMIG_ERR_FILE, 0,
						"Migration file names may not contain newlines or other control characters.",
						"Rename the file.",
						"file name \"%s\" contains a control character", shown);
		pfree(shown);
		return false;
	}
	if (len < 4 || strcmp(file_name + len - 4, ".sql") != 0)
		return pgmig_set_error(err, PGMIG_ERR_FILE, 0,
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
		return pgmig_set_error(err, PGMIG_ERR_FILE, 0,
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
		return pgmig_set_error(err, PGMIG_ERR_FILE, 0,
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
static bool
utf8_valid(const char *s, size_t len)
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

/* Parse the options after "-- migrate:up" / "-- migrate:down". */
static bool
parse_section_options(const char *rest, bool *transactional, int lineno,
					  const char *file_name, PgmigError *err)
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

			ok = pgmig_set_error(err, PGMIG_ERR_FILE, lineno,
								 "The only option of a migrate:up or migrate:down line is transaction:false.",
								 NULL, "unknown option \"%s\" in file \"%s\" line %d",
								 shown, file_name, lineno);
			pfree(shown);
		}
	}
	free_words(words, n);
	return ok;
}

/*
 * Handle one "-- pgmig:" header directive.  The words kept in "out" are
 * handed on (NULL in the array); the rest are freed, on errors too.
 */
static bool
parse_directive(const char *rest, PgmigScript *out, int lineno,
				const char *file_name, PgmigError *err)
{
	char	  **words;
	int			n;
	bool		ok = true;
	int			ms;
	int			i;
	const char *c;

	/* labels and ids are printed and compared: no control characters */
	for (c = pgmig_find_control(rest); c != NULL && *c == '\t';
		 c = pgmig_find_control(c + 1))
		;
	if (c != NULL)
		return pgmig_set_error(err, PGMIG_ERR_FILE, lineno,
							   "Labels, revision ids and lock_timeout values may not contain control characters.",
							   NULL, "control character in pgmig directive in file \"%s\" line %d",
							   file_name, lineno);

	n = split_words(rest, &words);
	if (n == 0)
		ok = pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL,
							 "Directives are revises, label and lock_timeout.",
							 "empty pgmig directive in file \"%s\" line %d",
							 file_name, lineno);
	else if (strcmp(words[0], "revises") == 0)
	{
		if (out->parents_explicit)
			ok = pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL,
								 "List every parent on one revises line.",
								 "duplicate revises directive in file \"%s\" line %d",
								 file_name, lineno);
		else
		{
			out->parents_explicit = true;
			out->parents = palloc((n > 1 ? n - 1 : 1) * sizeof(char *));
			for (i = 1; i < n; i++)
			{
				if (strcmp(words[i], "base") == 0 && n == 2)
					break;		/* "revises base": a root revision */
				out->parents[out->nparents++] = words[i];
				words[i] = NULL;
			}
		}
	}
	else if (strcmp(words[0], "label") == 0)
	{
		if (n < 2)
			ok = pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL, NULL,
								 "label directive without a name in file \"%s\" line %d",
								 file_name, lineno);
		else
		{
			out->labels = out->labels ?
				repalloc(out->labels, (out->nlabels + n - 1) * sizeof(char *)) :
				palloc((n - 1) * sizeof(char *));
			for (i = 1; i < n && ok; i++)
			{
				if (strchr(words[i], '@') != NULL)
					ok = pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL, NULL,
										 "label \"%s\" contains \"@\" in file \"%s\" line %d",
										 words[i], file_name, lineno);
				else
				{
					out->labels[out->nlabels++] = words[i];
					words[i] = NULL;
				}
			}
		}
	}
	else if (strcmp(words[0], "lock_timeout") == 0)
	{
		if (n != 2)
			ok = pgmig_set_error(err, PGMIG_ERR_FILE, lineno,
								 "Write it as: -- pgmig:lock_timeout 5s",
								 NULL, "lock_timeout directive needs one value in file \"%s\" line %d",
								 file_name, lineno);
		else if (!pgmig_parse_ms(words[1], &ms) || ms < 0)
			ok = pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL,
								 "Use a duration such as \"5s\" or \"200ms\"; 0 waits indefinitely.",
								 "invalid lock_timeout \"%s\" in file \"%s\" line %d",
								 words[1], file_name, lineno);
		else
		{
			/* the last lock_timeout line counts */
			if (out->lock_timeout != NULL)
				pfree(out->lock_timeout);
			out->lock_timeout = words[1];
			words[1] = NULL;
		}
	}
	else
		ok = pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL,
							 "Directives are revises, label and lock_timeout.",
							 "unknown directive \"pgmig:%s\" in file \"%s\" line %d",
							 words[0], file_name, lineno);
	free_words(words, n);
	return ok;
}

/* Parse a migration file (see header). */
bool
pgmig_parse_script(const char *file_name, char *content, size_t len,
				   PgmigScript *out, PgmigError *err)
{
	enum
	{
		HEADER, UP, DOWN
	}			section = HEADER;
	char	   *p;
	int			lineno = 0;
	size_t		up_start = 0,
				up_end = 0,
				down_start = 0,
				down_end = 0;
	bool		has_up = false,
				has_down = false;

	memset(out, 0, sizeof(*out));
	if (!pgmig_parse_file_name(file_name, &out->id, &out->sortkey,
							   &out->description, err))
		return false;
	out->file_name = pstrdup(file_name);

	if (strlen(content) != len)
		return pgmig_set_error(err, PGMIG_ERR_FILE, 0,
							   "The file contains a NUL byte; migration files are UTF-8 text.",
							   NULL, "file \"%s\" is not a text file", file_name);
	len = pgmig_normalize_newlines(content, len);

	if (!pgmig_checksum(content, len, out->file_checksum))
		return pgmig_set_error(err, PGMIG_ERR_FILE, 0, NULL, NULL,
							   "could not compute checksum of file \"%s\"", file_name);

	p = content;
	while (*p)
	{
		char	   *eol = strchr(p, '\n');
		size_t		linelen = eol ? (size_t) (eol - p) : strlen(p);
		size_t		offset = p - content;
		char		save = p[linelen];
		const char *rest;

		lineno++;
		if (!utf8_valid(p, linelen))
			return pgmig_set_error(err, PGMIG_ERR_FILE, lineno,
								   "Migration files must be encoded in UTF-8.", NULL,
								   "invalid UTF-8 in file \"%s\" line %d",
								   file_name, lineno);
		p[linelen] = '\0';

		if ((rest = comment_directive(p, "migrate:up")) != NULL &&
			(*rest == '\0' || isspace((unsigned char) *rest)))
		{
			if (has_up)
			{
				p[linelen] = save;
				return pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL, NULL,
									   "second \"-- migrate:up\" in file \"%s\" line %d",
									   file_name, lineno);
			}
			if (section == DOWN)
			{
				p[linelen] = save;
				return pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL,
									   "Put the up section before the down section.",
									   "\"-- migrate:up\" after \"-- migrate:down\" in file \"%s\" line %d",
									   file_name, lineno);
			}
			if (!parse_section_options(rest, &out->transactional, lineno,
									   file_name, err))
				return false;
			has_up = true;
			section = UP;
			up_start = up_end = eol ? offset + linelen + 1 : len;
			out->up_line = lineno + 1;
		}
		else if ((rest = comment_directive(p, "migrate:down")) != NULL &&
				 (*rest == '\0' || isspace((unsigned char) *rest)))
		{
			bool		down_tx;

			if (section != UP)
			{
				p[linelen] = save;
				return pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL, NULL,
									   has_down ?
									   "second \"-- migrate:down\" in file \"%s\" line %d" :
									   "\"-- migrate:down\" before \"-- migrate:up\" in file \"%s\" line %d",
									   file_name, lineno);
			}
			if (!parse_section_options(rest, &down_tx, lineno, file_name, err))
				return false;
			/* either section at top level makes the revision no-transaction */
			if (!down_tx)
				out->transactional = false;
			has_down = true;
			section = DOWN;
			down_start = down_end = eol ? offset + linelen + 1 : len;
			out->down_line = lineno + 1;
		}
		else if ((rest = comment_directive(p, "migrate:")) != NULL)
		{
			char	   *shown = pgmig_escape(rest);

			pgmig_set_error(err, PGMIG_ERR_FILE, lineno,
							"Sections are \"-- migrate:up\" and \"-- migrate:down\".",
							NULL, "unknown section \"migrate:%s\" in file \"%s\" line %d",
							shown, file_name, lineno);
			pfree(shown);
			return false;
		}
		else if ((rest = comment_directive(p, "pgmig:")) != NULL)
		{
			if (section != HEADER)
				return pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL,
									   "Directives go in the header, before \"-- migrate:up\".",
									   "directive after \"-- migrate:up\" in file \"%s\" line %d",
									   file_name, lineno);
			if (!parse_directive(rest, out, lineno, file_name, err))
				return false;
		}
		else if (section == HEADER)
		{
			if (!line_is_comment(p))
				return pgmig_set_error(err, PGMIG_ERR_FILE, lineno, NULL,
									   "Put statements after a \"-- migrate:up\" line.",
									   "statement before \"-- migrate:up\" in file \"%s\" line %d",
									   file_name, lineno);
		}
		else if (section == UP)
			up_end = eol ? offset + linelen + 1 : len;
		else
			down_end = eol ? offset + linelen + 1 : len;

		p[linelen] = save;
		p = eol ? eol + 1 : p + linelen;
	}

	if (!has_up)
		return pgmig_set_error(err, PGMIG_ERR_FILE, 0,
							   "Every migration file has a \"-- migrate:up\" line followed by its statements.",
							   NULL, "file \"%s\" has no \"-- migrate:up\" section",
							   file_name);

	out->up = pnstrdup(content + up_start, up_end - up_start);
	if (has_down)
		out->down = pnstrdup(content + down_start, down_end - down_start);
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

/* ---------- the revision graph ---------- */

static int
node_cmp(const void *a, const void *b)
{
	const PgmigNode *na = (const PgmigNode *) a;
	const PgmigNode *nb = (const PgmigNode *) b;

	return pgmig_sortkey_cmp(na->sortkey, nb->sortkey);
}

/* Exact lookup by id or by the version's digits (binary search on digits). */
static int
find_exact(const PgmigGraph *g, const char *name)
{
	char	   *key = pgmig_sortkey(name);
	int			lo = 0,
				hi = g->n - 1;
	int			found = -1;

	if (key == NULL)
		return -1;
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = pgmig_sortkey_cmp(g->nodes[mid].sortkey, key);

		if (c == 0)
		{
			found = mid;
			break;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	pfree(key);
	return found;
}

/* Min-heap of node indexes, for a topological order that prefers versions. */
typedef struct IntHeap
{
	int			n;
	int		   *v;
} IntHeap;

static void
heap_push(IntHeap *h, int x)
{
	int			i = h->n++;

	while (i > 0 && h->v[(i - 1) / 2] > x)
	{
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

static int
heap_pop(IntHeap *h)
{
	int			top = h->v[0];
	int			x = h->v[--h->n];
	int			i = 0;

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1] < h->v[c])
			c++;
		if (h->v[c] >= x)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = x;
	return top;
}

/* Free what pgmig_graph_build allocated, after one of its errors. */
static void
graph_unbuild(PgmigGraph *g)
{
	int			i;

	for (i = 0; i < g->n; i++)
	{
		PgmigNode  *node = &g->nodes[i];

		if (node->parents != NULL)
			pfree(node->parents);
		if (node->children != NULL)
			pfree(node->children);
		node->parents = NULL;
		node->children = NULL;
		node->nchildren = 0;
	}
	if (g->order != NULL)
		pfree(g->order);
	g->order = NULL;
}

/*
 * Build the graph (see header).  On an error nothing it allocated is left
 * but *err: the order, parents and children are NULL.
 */
bool
pgmig_graph_build(PgmigGraph *g, PgmigNode *nodes, int n, PgmigError *err)
{
	int			i,
				j;
	int		   *indeg;
	int		   *childpos;
	IntHeap		heap;
	int			done = 0;

	g->n = n;
	g->nodes = nodes;
	g->order = NULL;
	for (i = 0; i < n; i++)
	{
		nodes[i].parents = NULL;
		nodes[i].nchildren = 0;
		nodes[i].children = NULL;
	}
	if (n > 1)
		qsort(nodes, n, sizeof(PgmigNode), node_cmp);

	for (i = 1; i < n; i++)
		if (pgmig_sortkey_cmp(nodes[i - 1].sortkey, nodes[i].sortkey) == 0)
		{
			char	   *detail = psprintf("Revisions \"%s\" and \"%s\" have the same version.",
										  nodes[i - 1].id, nodes[i].id);

			pgmig_set_error(err, PGMIG_ERR_DUPLICATE, 0, detail,
							"Give one of them a new version number.",
							"duplicate revision %s", nodes[i].id);
			pfree(detail);
			return false;
		}

	g->order = palloc((n > 0 ? n : 1) * sizeof(int));
	indeg = palloc0((n > 0 ? n : 1) * sizeof(int));
	for (i = 0; i < n; i++)
	{
		PgmigNode  *node = &nodes[i];

		if (!node->parents_explicit)
		{
			node->nparents = i > 0 ? 1 : 0;
			node->parents = palloc(sizeof(int));
			if (i > 0)
				node->parents[0] = i - 1;
		}
		else
		{
			node->parents = palloc((node->nparents > 0 ? node->nparents : 1) * sizeof(int));
			for (j = 0; j < node->nparents; j++)
			{
				int			p = find_exact(g, node->parent_ids[j]);

				if (p < 0)
				{
					char	   *detail = psprintf("Revision %s revises %s, which does not exist.",
												  node->id, node->parent_ids[j]);

					pgmig_set_error(err, PGMIG_ERR_UNDEFINED, 0, detail, NULL,
									"unknown parent revision %s",
									node->parent_ids[j]);
					pfree(detail);
					pfree(indeg);
					graph_unbuild(g);
					return false;
				}
				if (p == i)
				{
					pgmig_set_error(err, PGMIG_ERR_CYCLE, 0, NULL, NULL,
									"revision %s revises itself", node->id);
					pfree(indeg);
					graph_unbuild(g);
					return false;
				}
				node->parents[j] = p;
			}
		}
	}

	/* children lists */
	for (i = 0; i < n; i++)
		for (j = 0; j < nodes[i].nparents; j++)
			nodes[nodes[i].parents[j]].nchildren++;
	childpos = palloc0((n > 0 ? n : 1) * sizeof(int));
	for (i = 0; i < n; i++)
		nodes[i].children = palloc((nodes[i].nchildren > 0 ? nodes[i].nchildren : 1) * sizeof(int));
	for (i = 0; i < n; i++)
		for (j = 0; j < nodes[i].nparents; j++)
		{
			int			p = nodes[i].parents[j];

			nodes[p].children[childpos[p]++] = i;
		}
	pfree(childpos);

	/* Kahn's algorithm, lowest version first among the ready ones */
	heap.n = 0;
	heap.v = palloc((n > 0 ? n : 1) * sizeof(int));
	for (i = 0; i < n; i++)
	{
		indeg[i] = nodes[i].nparents;
		if (indeg[i] == 0)
			heap_push(&heap, i);
	}
	while (heap.n > 0)
	{
		int			x = heap_pop(&heap);

		nodes[x].topo = done;
		g->order[done++] = x;
		for (j = 0; j < nodes[x].nchildren; j++)
			if (--indeg[nodes[x].children[j]] == 0)
				heap_push(&heap, nodes[x].children[j]);
	}
	pfree(heap.v);
	if (done < n)
	{
		int			k = 0;
		int		   *cyc = palloc(n * sizeof(int));
		char	   *list;
		char	   *detail;

		for (i = 0; i < n; i++)
			if (indeg[i] > 0)
				cyc[k++] = i;
		list = pgmig_graph_id_list(g, cyc, k, 10);
		detail = psprintf("Revisions %s revise each other.", list);
		pgmig_set_error(err, PGMIG_ERR_CYCLE, 0, detail,
						"Fix the revises lines of these files.",
						"revision graph has a cycle");
		pfree(detail);
		pfree(list);
		pfree(cyc);
		pfree(indeg);
		graph_unbuild(g);
		return false;
	}
	pfree(indeg);
	return true;
}

/* Comma-separated ids of the given nodes, for messages. */
char *
pgmig_graph_id_list(const PgmigGraph *g, const int *idx, int n, int max)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < n && i < max; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", g->nodes[idx[i]].id);
	if (n > max)
		appendStringInfo(&buf, " and %d more", n - max);
	return buf.data;
}

/* Find a revision by id, version digits or unique prefix; -1 if none. */
int
pgmig_graph_find(const PgmigGraph *g, const char *name, PgmigError *err)
{
	int			found;
	int			i,
				nmatch = 0;
	int		   *matches;
	size_t		len = strlen(name);
	char	   *digits;

	for (i = 0; i < g->n; i++)
		if (strcmp(g->nodes[i].id, name) == 0)
			return i;
	found = find_exact(g, name);
	if (found >= 0)
		return found;

	/* a prefix of the id as written, or of its digits */
	found = -1;
	digits = pgmig_sortkey(name);
	matches = palloc((g->n > 0 ? g->n : 1) * sizeof(int));
	for (i = 0; i < g->n && len > 0; i++)
		if (strncmp(g->nodes[i].id, name, len) == 0 ||
			(digits && strncmp(g->nodes[i].sortkey, digits, strlen(digits)) == 0))
			matches[nmatch++] = i;
	if (nmatch == 1)
		found = matches[0];
	else if (nmatch == 0)
		pgmig_set_error(err, PGMIG_ERR_UNDEFINED, 0, NULL,
						"Run \"pgmig status\" or \"SELECT * FROM mig_revisions()\" to list the revisions.",
						"revision \"%s\" does not exist", name);
	else
	{
		char	   *list = pgmig_graph_id_list(g, matches, nmatch, 5);
		char	   *detail = psprintf("It matches %s.", list);

		pgmig_set_error(err, PGMIG_ERR_AMBIGUOUS, 0, detail,
						"Give more digits of the version.",
						"revision prefix \"%s\" is ambiguous", name);
		pfree(detail);
		pfree(list);
	}
	if (digits != NULL)
		pfree(digits);
	pfree(matches);
	return found;
}

/* Number of heads, and their indexes into "heads" (palloc'd) if not NULL. */
int
pgmig_graph_heads(const PgmigGraph *g, int **heads)
{
	int			i,
				k = 0;
	int		   *h = palloc((g->n > 0 ? g->n : 1) * sizeof(int));

	for (i = 0; i < g->n; i++)
		if (g->nodes[i].nchildren == 0)
			h[k++] = i;
	if (heads)
		*heads = h;
	else
		pfree(h);
	return k;
}

/* Mark "x" and all its ancestors in "mark". */
static void
mark_ancestors(const PgmigGraph *g, int x, bool *mark)
{
	int		   *stack;
	int			sp = 0;

	if (mark[x])
		return;
	stack = palloc(g->n * sizeof(int));
	mark[x] = true;
	stack[sp++] = x;
	while (sp > 0)
	{
		int			y = stack[--sp];
		int			j;

		for (j = 0; j < g->nodes[y].nparents; j++)
		{
			int			p = g->nodes[y].parents[j];

			if (!mark[p])
			{
				mark[p] = true;
				stack[sp++] = p;
			}
		}
	}
	pfree(stack);
}

/* Is "a" an ancestor of (or equal to) "b"? */
bool
pgmig_graph_is_ancestor(const PgmigGraph *g, int a, int b)
{
	bool	   *mark = palloc0(g->n * sizeof(bool));
	bool		result;

	mark_ancestors(g, b, mark);
	result = mark[a];
	pfree(mark);
	return result;
}

/* Resolve "label@head": the one head descending from a labelled revision. */
static int
find_label_head(const PgmigGraph *g, const char *label, PgmigError *err)
{
	int			i,
				j,
				nheads,
				k = 0;
	int		   *heads;
	int		   *match;
	bool		any = false;
	int			result = -1;

	nheads = pgmig_graph_heads(g, &heads);
	match = palloc((nheads > 0 ? nheads : 1) * sizeof(int));
	for (i = 0; i < nheads; i++)
	{
		bool	   *anc = palloc0(g->n * sizeof(bool));
		bool		hit = false;

		mark_ancestors(g, heads[i], anc);
		for (j = 0; j < g->n && !hit; j++)
		{
			int			l;

			if (!anc[j])
				continue;
			for (l = 0; l < g->nodes[j].nlabels; l++)
				if (strcmp(g->nodes[j].labels[l], label) == 0)
					hit = true;
		}
		if (hit)
			match[k++] = heads[i];
		pfree(anc);
	}
	for (j = 0; j < g->n && !any; j++)
	{
		int			l;

		for (l = 0; l < g->nodes[j].nlabels; l++)
			if (strcmp(g->nodes[j].labels[l], label) == 0)
				any = true;
	}
	if (!any)
		pgmig_set_error(err, PGMIG_ERR_UNDEFINED, 0, NULL,
						"Labels are set with a \"-- pgmig:label\" line.",
						"label \"%s\" does not exist", label);
	else if (k > 1)
	{
		char	   *list = pgmig_graph_id_list(g, match, k, 10);
		char	   *detail = psprintf("Branch \"%s\" has heads %s.", label, list);

		pgmig_set_error(err, PGMIG_ERR_HEADS, 0, detail,
						"Name one of them, or merge them with \"pgmig merge\".",
						"label \"%s\" has %d heads", label, k);
		pfree(detail);
		pfree(list);
	}
	else
		result = match[0];
	pfree(heads);
	pfree(match);
	return result;
}

/* Parse "+N" / "-N"; returns N, or -1 when "s" is not of that form. */
static int
parse_relative(const char *s, char sign)
{
	long		v = 0;
	const char *p;

	if (s[0] != sign || s[1] == '\0')
		return -1;
	for (p = s + 1; *p; p++)
	{
		if (!isdigit((unsigned char) *p))
			return -1;
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return -1;
	}
	return (int) v;
}

/*
 * Plan an upgrade or a downgrade to "target" (see header).  On an error
 * plan->steps is NULL and nothing else stays allocated but *err.
 */
bool
pgmig_graph_plan(const PgmigGraph *g, const char *target, bool revert,
				 PgmigPlan *plan, PgmigError *err)
{
	bool	   *want = palloc0((g->n > 0 ? g->n : 1) * sizeof(bool));
	bool		ok = true;
	int			limit = -1;
	int			i,
				rel;
	char	   *at;

	plan->revert = revert;
	plan->nsteps = 0;
	plan->steps = NULL;

	/*
	 * "want" is the set of revisions that should be applied afterwards
	 * (upgrade: at least these; downgrade: at most these).
	 */
	if (target == NULL || strcmp(target, "head") == 0)
	{
		int		   *heads;
		int			nheads = pgmig_graph_heads(g, &heads);

		if (nheads > 1)
		{
			char	   *list = pgmig_graph_id_list(g, heads, nheads, 10);
			char	   *detail = psprintf("The heads are %s.", list);

			ok = pgmig_set_error(err, PGMIG_ERR_HEADS, 0, detail,
								 "Name one of them, use \"heads\" to include all of them, or join them with \"pgmig merge\".",
								 "there are %d heads", nheads);
			pfree(detail);
			pfree(list);
		}
		else if (nheads == 1)
			mark_ancestors(g, heads[0], want);
		pfree(heads);
	}
	else if (strcmp(target, "heads") == 0)
	{
		for (i = 0; i < g->n; i++)
			want[i] = true;
	}
	else if (strcmp(target, "base") == 0)
	{
		/* nothing wanted */
	}
	else if ((rel = parse_relative(target, '+')) >= 0 ||
			 (rel = parse_relative(target, '-')) >= 0)
	{
		if ((target[0] == '+') == revert)
			ok = pgmig_set_error(err, PGMIG_ERR_TARGET, 0, NULL,
								 revert ? "Downgrade with -N, upgrade with +N." :
								 "Upgrade with +N, downgrade with -N.",
								 "relative target \"%s\" goes the wrong way", target);
		else
		{
			limit = rel;
			if (revert)
				memset(want, 0, g->n * sizeof(bool));
			else
				for (i = 0; i < g->n; i++)
					want[i] = true;
		}
	}
	else if ((at = strchr(target, '@')) != NULL)
	{
		if (strcmp(at + 1, "head") != 0)
			ok = pgmig_set_error(err, PGMIG_ERR_TARGET, 0, NULL,
								 "Branch targets are written label@head.",
								 "invalid target \"%s\"", target);
		else
		{
			char	   *label = pnstrdup(target, at - target);
			int			x = find_label_head(g, label, err);

			if (x < 0)
				ok = false;
			else
				mark_ancestors(g, x, want);
			pfree(label);
		}
	}
	else
	{
		int			x = pgmig_graph_find(g, target, err);

		if (x < 0)
			ok = false;
		else
			mark_ancestors(g, x, want);
	}
	if (!ok)
	{
		pfree(want);
		return false;
	}

	plan->steps = palloc((g->n > 0 ? g->n : 1) * sizeof(int));
	if (!revert)
	{
		for (i = 0; i < g->n; i++)
		{
			int			x = g->order[i];

			if (want[x] && !g->nodes[x].applied)
				plan->steps[plan->nsteps++] = x;
		}
	}
	else
	{
		for (i = g->n - 1; i >= 0; i--)
		{
			int			x = g->order[i];

			if (!want[x] && (g->nodes[x].applied || g->nodes[x].partial))
				plan->steps[plan->nsteps++] = x;
		}
	}
	if (limit >= 0 && plan->nsteps > limit)
		plan->nsteps = limit;
	pfree(want);
	return true;
}

/* The applied revisions without an applied child; count, and indexes. */
int
pgmig_graph_current(const PgmigGraph *g, int **nodes)
{
	int		   *res = palloc(g->n * sizeof(int));
	int			i,
				j,
				k = 0;

	for (i = 0; i < g->n; i++)
	{
		bool		child_applied = false;

		if (!g->nodes[i].applied)
			continue;
		for (j = 0; j < g->nodes[i].nchildren; j++)
			if (g->nodes[g->nodes[i].children[j]].applied)
				child_applied = true;
		if (!child_applied)
			res[k++] = i;
	}
	if (nodes)
		*nodes = res;
	else
		pfree(res);
	return k;
}

/* Unapplied revisions older than some applied one; count, and indexes. */
int
pgmig_graph_out_of_order(const PgmigGraph *g, int **nodes)
{
	int			i,
				k = 0,
				last_applied = -1;
	int		   *res = palloc((g->n > 0 ? g->n : 1) * sizeof(int));

	for (i = 0; i < g->n; i++)
		if (g->nodes[i].applied)
			last_applied = i;
	for (i = 0; i < last_applied; i++)
		if (!g->nodes[i].applied)
			res[k++] = i;
	if (nodes)
		*nodes = res;
	else
		pfree(res);
	return k;
}
