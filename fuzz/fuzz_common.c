/*-------------------------------------------------------------------------
 *
 * fuzz_common.c
 *	  libFuzzer target for the shared parser and revision graph
 *	  (common/, compiled as the client compiles it).
 *
 * An input is a small project: records introduced by lines that start
 * with "##", each followed by its body (the lines up to the next record):
 *
 *	##file 0001_create_customers.sql	a migration file; the body is its text
 *	##applied 0001 0002					revisions recorded as applied
 *	##target head						a target to plan, both ways
 *
 * Text before the first record is the body of a file named "1_fuzz.sql",
 * so any migration file is an input too.  A file named sqitch.plan makes
 * a Sqitch project: it is parsed as a plan, and files deploy/<id>.sql
 * (with revert/<id>.sql and verify/<id>.sql) become its changes.  Every file goes through
 * pgmig_parse_file_name, pgmig_parse_script and pgmig_section_checksums;
 * the ones that parse become the graph's nodes, which is built, searched
 * and planned for every target (by default head, heads, base, +1, -1, the
 * ids and label@head of the labels).
 *
 * Besides what ASan and UBSan catch, the harness checks cheap properties
 * and aborts (a crash for libFuzzer) when one fails: a file is read
 * within its length (its buffer is exactly that long), a successful parse
 * gives sections that are the file's own lines with line numbers inside
 * the file, checksums are 64 lowercase hex digits and agree with OpenSSL's
 * SHA-256, CRLF files parse as their LF form, a failure always says why
 * (and where, if at a line: one of the file's), plans keep parents before
 * children, and nothing leaks (LeakSanitizer).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres_fe.h"

#include <ctype.h>

#include <openssl/evp.h>

#include "pgmig_checksum.h"
#include "pgmig_format.h"
#include "pgmig_graph.h"
#include "pgmig_sqitch.h"
#include "pgmig_version.h"
#include "fuzz_check.h"

#define MAX_FILES	16
#define MAX_TARGETS 8

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One "##file" record. */
typedef struct InputFile
{
	char	   *name;
	const char *body;
	size_t		len;
} InputFile;

/* The records of an input. */
typedef struct Input
{
	int			nfiles;
	InputFile	files[MAX_FILES];
	int			ntargets;
	char	   *targets[MAX_TARGETS];
	int			napplied;
	char	  **applied;
} Input;

/* A copy of "len" bytes with a terminating NUL, in a buffer of that size. */
static char *
copy_exact(const char *s, size_t len)
{
	char	   *p = malloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

/* Split "s" on blanks into words (malloc'd), appended to *words. */
static void
add_words(const char *s, size_t len, char ***words, int *n)
{
	size_t		i = 0;

	while (i < len)
	{
		size_t		start;

		while (i < len && isspace((unsigned char) s[i]))
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && !isspace((unsigned char) s[i]))
			i++;
		*words = realloc(*words, (*n + 1) * sizeof(char *));
		(*words)[(*n)++] = copy_exact(s + start, i - start);
	}
}

/* Cut an input into its records (see file header). */
static void
read_input(const char *data, size_t size, Input *in)
{
	size_t		pos = 0;
	InputFile  *cur = NULL;
	bool		first = true;

	memset(in, 0, sizeof(*in));
	while (pos < size)
	{
		const char *line = data + pos;
		const char *nl = memchr(line, '\n', size - pos);
		size_t		linelen = nl ? (size_t) (nl - line) : size - pos;
		size_t		next = pos + linelen + (nl ? 1 : 0);

		if (linelen >= 2 && line[0] == '#' && line[1] == '#')
		{
			cur = NULL;
			if (linelen >= 7 && memcmp(line, "##file ", 7) == 0 &&
				in->nfiles < MAX_FILES)
			{
				cur = &in->files[in->nfiles++];
				cur->name = copy_exact(line + 7, linelen - 7);
				cur->body = data + next;
				cur->len = 0;
			}
			else if (linelen >= 9 && memcmp(line, "##target ", 9) == 0 &&
					 in->ntargets < MAX_TARGETS)
				in->targets[in->ntargets++] = copy_exact(line + 9, linelen - 9);
			else if (linelen >= 10 && memcmp(line, "##applied ", 10) == 0)
				add_words(line + 10, linelen - 10, &in->applied, &in->napplied);
		}
		else if (first)
		{
			/* text before any record: one file */
			cur = &in->files[in->nfiles++];
			cur->name = copy_exact("1_fuzz.sql", 10);
			cur->body = line;
			cur->len = linelen + (nl ? 1 : 0);
		}
		else if (cur != NULL)
			cur->len = next - (size_t) (cur->body - data);
		first = false;
		pos = next;
	}
}

/* Free what read_input allocated. */
static void
free_input(Input *in)
{
	int			i;

	for (i = 0; i < in->nfiles; i++)
		free(in->files[i].name);
	for (i = 0; i < in->ntargets; i++)
		free(in->targets[i]);
	for (i = 0; i < in->napplied; i++)
		free(in->applied[i]);
	free(in->applied);
}

/* Free what pgmig_parse_script allocated (after success or failure). */
static void
free_script(PgmigScript *s)
{
	int			i;

	if (s->id)
		pfree(s->id);
	if (s->sortkey)
		pfree(s->sortkey);
	if (s->description)
		pfree(s->description);
	if (s->file_name)
		pfree(s->file_name);
	for (i = 0; i < s->nparents; i++)
		pfree(s->parents[i]);
	if (s->parents)
		pfree(s->parents);
	for (i = 0; i < s->nlabels; i++)
		pfree(s->labels[i]);
	if (s->labels)
		pfree(s->labels);
	if (s->lock_timeout)
		pfree(s->lock_timeout);
	if (s->alembic)
		pfree(s->alembic);
	if (s->up)
		pfree(s->up);
	if (s->down)
		pfree(s->down);
	memset(s, 0, sizeof(*s));
}

/* Is "s" 64 lowercase hex digits? */
static bool
is_checksum(const char *s)
{
	int			i;

	for (i = 0; i < 64; i++)
		if (!isdigit((unsigned char) s[i]) && !(s[i] >= 'a' && s[i] <= 'f'))
			return false;
	return s[64] == '\0';
}

/* pgmig_checksum of "data" must be OpenSSL's SHA-256, in lowercase hex. */
static void
check_checksum(const char *data, size_t len, const char *got)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char		want[PGMIG_CHECKSUM_LEN];
	unsigned int i;

	CHECK(is_checksum(got), "checksum \"%s\"", got);
	if (EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		abort();
	for (i = 0; i < 32; i++)
		snprintf(want + 2 * i, 3, "%02x", md[i]);
	CHECK(strcmp(got, want) == 0, "checksum of %zu bytes is %s, OpenSSL says %s",
		  len, got, want);
}

/* Properties of pgmig_parse_file_name. */
static void
check_file_name(const char *name)
{
	PgmigError	err;
	char	   *id = NULL,
			   *sortkey = NULL,
			   *desc = NULL;
	size_t		len = strlen(name);

	memset(&err, 0, sizeof(err));
	if (pgmig_parse_file_name(name, &id, &sortkey, &desc, &err))
	{
		size_t		idlen = strlen(id);
		size_t		i;

		CHECK(err.message == NULL, "success with an error");
		CHECK(len >= 4 && strcmp(name + len - 4, ".sql") == 0, "name %s", name);
		CHECK(idlen > 0 && strncmp(name, id, idlen) == 0,
			  "id \"%s\" of \"%s\"", id, name);
		CHECK(isdigit((unsigned char) id[0]) &&
			  id[idlen - 1] != '-' && id[idlen - 1] != '.', "id \"%s\"", id);
		CHECK(sortkey != NULL, "id \"%s\" has no sort key", id);
		for (i = 0; sortkey[i]; i++)
			CHECK(isdigit((unsigned char) sortkey[i]), "sort key \"%s\"", sortkey);
		CHECK(i > 0 && (sortkey[0] != '0' || i == 1), "sort key \"%s\"", sortkey);
		CHECK(strchr(desc, '_') == NULL, "description \"%s\"", desc);
		CHECK(strlen(desc) + idlen + 4 == len ||
			  strlen(desc) + idlen + 5 == len, "description \"%s\" of \"%s\"",
			  desc, name);
		CHECK(pgmig_sortkey_cmp(sortkey, sortkey) == 0, "cmp");
		pfree(id);
		pfree(sortkey);
		pfree(desc);
	}
	else
	{
		CHECK(err.message != NULL && err.kind == PGMIG_ERR_FILE,
			  "failure without a message for \"%s\"", name);
		pgmig_error_free(&err);
	}
}

/* Byte offset of the start of line "line" (1-based) in "s", or -1. */
static long
line_offset(const char *s, int line)
{
	long		off = 0;

	while (--line > 0)
	{
		const char *nl = strchr(s + off, '\n');

		if (nl == NULL)
			return -1;
		off = nl - s + 1;
	}
	return off;
}

/* A section of a parsed file starts at the beginning of its line. */
static void
check_section(const char *content, size_t len, int nlines, const char *text,
			  int line, const char *what)
{
	long		off;

	/* the line after the last one only for an empty section at the end */
	CHECK(line >= 1 && (line <= nlines || (line == nlines + 1 && *text == '\0')),
		  "%s line %d of %d", what, line, nlines);
	CHECK(strchr(text, '\r') == NULL, "%s text has a CR", what);
	if (*text == '\0')
		return;
	off = line_offset(content, line);
	CHECK(off >= 0 && (size_t) off + strlen(text) <= len &&
		  strncmp(content + off, text, strlen(text)) == 0,
		  "%s text is not the file's line %d onwards", what, line);
	CHECK(pgmig_line_at(content, (int) off, 1) == line, "line_at");
}

/* Properties of a successful parse of "content" (normalized, "len" bytes). */
static void
check_script(const char *name, const char *content, size_t len,
			 PgmigScript *s)
{
	int			nlines = 1;
	size_t		i;
	int			k;

	for (i = 0; i < len; i++)
		if (content[i] == '\n')
			nlines++;
	CHECK(strlen(content) == len, "normalized length");
	CHECK(strchr(content, '\r') == NULL, "normalized text has a CR");
	CHECK(strcmp(s->file_name, name) == 0, "file name");
	CHECK(s->id && s->sortkey && s->description, "name parts");
	check_checksum(content, len, s->file_checksum);
	check_section(content, len, nlines, s->up, s->up_line, "up");
	if (s->down)
	{
		check_section(content, len, nlines, s->down, s->down_line, "down");
		/* node-pg-migrate's sections come in either order */
		CHECK(s->down_line > s->up_line || s->node_pg_migrate,
			  "down line %d, up line %d", s->down_line, s->up_line);
	}
	pgmig_section_checksums(s);
	check_checksum(s->up, strlen(s->up), s->up_checksum);
	if (s->down)
		check_checksum(s->down, strlen(s->down), s->down_checksum);
	else
		CHECK(s->down_checksum[0] == '\0', "down checksum without a down");
	CHECK(s->nparents == 0 || s->parents_explicit, "parents");
	for (k = 0; k < s->nparents; k++)
		CHECK(s->parents[k][0] != '\0' && strpbrk(s->parents[k], " \t\n") == NULL,
			  "parent \"%s\"", s->parents[k]);
	for (k = 0; k < s->nlabels; k++)
		CHECK(s->labels[k][0] != '\0' && strchr(s->labels[k], '@') == NULL &&
			  strpbrk(s->labels[k], " \t\n") == NULL, "label \"%s\"", s->labels[k]);
}

/* The same script must come out of the text with CRLF line endings. */
static void
check_crlf(const char *name, const char *content, size_t len,
		   const PgmigScript *s)
{
	size_t		n = 0,
				i;
	char	   *crlf;
	PgmigScript t;
	PgmigError	err;
	bool		ok;

	for (i = 0; i < len; i++)
		n += content[i] == '\n' ? 2 : 1;
	crlf = malloc(n + 1);
	for (i = 0, n = 0; i < len; i++)
	{
		if (content[i] == '\n')
			crlf[n++] = '\r';
		crlf[n++] = content[i];
	}
	crlf[n] = '\0';
	memset(&err, 0, sizeof(err));
	ok = pgmig_parse_script(name, crlf, n, &t, &err);
	CHECK(ok, "the CRLF form of a file does not parse: %s", err.message);
	CHECK(strcmp(t.file_checksum, s->file_checksum) == 0 &&
		  strcmp(t.up, s->up) == 0 && t.up_line == s->up_line &&
		  (t.down == NULL) == (s->down == NULL) &&
		  (t.down == NULL || strcmp(t.down, s->down) == 0) &&
		  t.down_line == s->down_line && t.transactional == s->transactional &&
		  t.nparents == s->nparents && t.nlabels == s->nlabels,
		  "the CRLF form of a file parses differently");
	free_script(&t);
	free(crlf);
}

/*
 * Where a failed parse says it failed: nowhere, or a line of the file
 * parsed ("content", normalized as far as the parser got).
 */
static void
check_error_location(const char *name, const char *content,
					 const PgmigError *err)
{
	int			nlines = 1;
	const char *p;

	CHECK((err->file_name != NULL) == (err->line > 0),
		  "error file \"%s\" line %d",
		  err->file_name ? err->file_name : "(none)", err->line);
	if (err->file_name == NULL)
		return;
	for (p = content; *p; p++)
		if (*p == '\n')
			nlines++;
	CHECK(strcmp(err->file_name, name) == 0 && err->line <= nlines,
		  "error at file \"%s\" line %d of %d", err->file_name, err->line,
		  nlines);
}

/*
 * Parse one file as sqlx's simple migration (format = sqlx): the whole
 * file is the up script, and a failure says where, as for any file.
 */
static void
parse_simple(const InputFile *f)
{
	char	   *content = copy_exact(f->body, f->len);
	PgmigScript t;
	PgmigError	err;

	memset(&err, 0, sizeof(err));
	if (pgmig_parse_simple(f->name, content, f->len, &t, &err))
	{
		size_t		len = strlen(content);

		check_script(f->name, content, len, &t);
		CHECK(t.down == NULL && t.up_line == 1 && strcmp(t.up, content) == 0,
			  "a simple file is its up script");
	}
	else
	{
		CHECK(err.message != NULL, "failure without a message");
		check_error_location(f->name, content, &err);
		pgmig_error_free(&err);
	}
	free_script(&t);
	free(content);
}

/* Parse one file; true (with *s filled in) if it parsed. */
static bool
parse_file(const InputFile *f, PgmigScript *s)
{
	char	   *content = copy_exact(f->body, f->len);
	PgmigError	err;
	bool		ok;

	check_file_name(f->name);
	parse_simple(f);
	memset(&err, 0, sizeof(err));
	ok = pgmig_parse_script(f->name, content, f->len, s, &err);
	if (ok)
	{
		size_t		len = strlen(content);

		CHECK(err.message == NULL, "success with an error");
		check_script(f->name, content, len, s);
		check_crlf(f->name, content, len, s);
	}
	else
	{
		CHECK(err.message != NULL, "failure without a message");
		check_error_location(f->name, content, &err);
		pgmig_error_free(&err);
		free_script(s);
	}
	free(content);
	return ok;
}

/* The body of input file "name" (a NUL-terminated copy), or NULL. */
static char *
input_file(const Input *in, const char *name, size_t *len)
{
	int			i;

	for (i = 0; i < in->nfiles; i++)
		if (strcmp(in->files[i].name, name) == 0)
		{
			*len = in->files[i].len;
			return copy_exact(in->files[i].body, in->files[i].len);
		}
	*len = 0;
	return NULL;
}

/*
 * Parse a Sqitch plan; true (with *plan filled in) if it parsed.  Every
 * change has an id its scripts are found by, a first parent that is the
 * change before it, and only earlier changes as parents.
 */
static bool
parse_plan(const InputFile *f, PgmigSqitchPlan *plan)
{
	char	   *content = copy_exact(f->body, f->len);
	PgmigError	err;
	bool		ok;
	int			i,
				j,
				k;

	memset(&err, 0, sizeof(err));
	ok = pgmig_sqitch_parse_plan(f->name, content, f->len, plan, &err);
	if (!ok)
	{
		CHECK(err.message != NULL, "plan failure without a message");
		check_error_location(f->name, content, &err);
		pgmig_error_free(&err);
		free(content);
		return false;
	}
	CHECK(err.message == NULL && plan->project != NULL, "plan success with an error");
	for (i = 0; i < plan->n; i++)
	{
		const PgmigSqitchChange *c = &plan->changes[i];
		char	   *file = pgmig_sqitch_file(c, "deploy");

		CHECK(pgmig_sqitch_find(plan, file) == i, "change %s not found by %s", c->id, file);
		pfree(file);
		CHECK(i == 0 ? c->nparents == 0 :
			  c->nparents >= 1 && strcmp(c->parents[0], plan->changes[i - 1].id) == 0,
			  "change %s does not follow %d", c->id, i);
		for (k = 0; k < c->nparents; k++)
		{
			for (j = 0; j < i; j++)
				if (strcmp(plan->changes[j].id, c->parents[k]) == 0)
					break;
			CHECK(j < i, "parent %s of %s is no earlier change", c->parents[k], c->id);
		}
	}
	free(content);
	return true;
}

/* Parse Sqitch's change of deploy file "f"; true (*s filled in) if it parsed. */
static bool
parse_change(const InputFile *f, const Input *in, const PgmigSqitchPlan *plan,
			 PgmigScript *s)
{
	int			change = pgmig_sqitch_find(plan, f->name);
	char	   *revert_name = pgmig_split_part_name(f->name, PGMIG_PART_DOWN);
	char	   *verify_name = pgmig_split_part_name(f->name, PGMIG_PART_META);
	size_t		rlen,
				vlen;
	char	   *deploy = copy_exact(f->body, f->len);
	char	   *revert = input_file(in, revert_name, &rlen);
	char	   *verify = input_file(in, verify_name, &vlen);
	PgmigError	err;
	bool		ok = false;

	memset(&err, 0, sizeof(err));
	memset(s, 0, sizeof(*s));
	if (change >= 0)
	{
		ok = pgmig_sqitch_script(plan, change, deploy, f->len, revert, rlen,
								 verify, vlen, s, &err);
		if (ok)
		{
			char	   *key = psprintf("%d", change + 1);

			CHECK(err.message == NULL, "change success with an error");
			CHECK(strcmp(s->sortkey, key) == 0 && s->up_line == 1 &&
				  strlen(s->up) <= strlen(deploy) && is_checksum(s->file_checksum) &&
				  (revert == NULL) == (s->down == NULL),
				  "change %s: sortkey %s, up_line %d", s->id, s->sortkey, s->up_line);
			pgmig_section_checksums(s);
			pfree(key);
		}
		else
		{
			CHECK(err.message != NULL, "change failure without a message");
			pgmig_error_free(&err);
			free_script(s);
		}
	}
	free(deploy);
	free(revert);
	free(verify);
	pfree(revert_name);
	pfree(verify_name);
	return ok;
}

/* Graph invariants after a successful build. */
static void
check_graph(const PgmigGraph *g)
{
	bool	   *seen = calloc(g->n + 1, sizeof(bool));
	int			i,
				j,
				nheads,
				nooo;
	int		   *heads,
			   *ooo;

	for (i = 0; i < g->n; i++)
	{
		int			x = g->order[i];

		CHECK(x >= 0 && x < g->n && !seen[x], "order is not a permutation");
		seen[x] = true;
		CHECK(g->nodes[x].topo == i, "topo");
		if (i > 0)
			CHECK(pgmig_sortkey_cmp(g->nodes[i - 1].sortkey, g->nodes[i].sortkey) < 0,
				  "nodes not sorted: %s, %s", g->nodes[i - 1].id, g->nodes[i].id);
	}
	for (i = 0; i < g->n; i++)
	{
		for (j = 0; j < g->nodes[i].nparents; j++)
		{
			int			p = g->nodes[i].parents[j];

			CHECK(p >= 0 && p < g->n && g->nodes[p].topo < g->nodes[i].topo,
				  "parent %d of %d after it", p, i);
		}
		CHECK(pgmig_graph_is_ancestor(g, i, i), "ancestor of itself");
	}
	nheads = pgmig_graph_heads(g, &heads);
	for (i = 0, j = 0; i < g->n; i++)
		j += g->nodes[i].nchildren == 0;
	CHECK(nheads == j, "heads");
	pfree(heads);
	nooo = pgmig_graph_out_of_order(g, &ooo);
	for (i = 0; i < nooo; i++)
	{
		CHECK(!g->nodes[ooo[i]].applied, "applied revision out of order");
		for (j = ooo[i] + 1; j < g->n && !g->nodes[j].applied; j++)
			;
		CHECK(j < g->n, "out of order with nothing applied after it");
	}
	pfree(ooo);
	free(seen);
}

/* Plan "target" both ways and check the plans. */
static void
check_plan(const PgmigGraph *g, const char *target)
{
	int			r;
	PgmigError	err;
	int			x;

	memset(&err, 0, sizeof(err));
	x = pgmig_graph_find(g, target, &err);
	if (x >= 0)
		CHECK(x < g->n && err.message == NULL, "find \"%s\": %d", target, x);
	else
		CHECK(err.message != NULL, "find \"%s\" failed without a message", target);
	pgmig_error_free(&err);

	for (r = 0; r < 2; r++)
	{
		bool		revert = r == 1;
		PgmigPlan	plan;
		int		   *pos = malloc((g->n + 1) * sizeof(int));
		int			i,
					j;

		memset(&err, 0, sizeof(err));
		if (!pgmig_graph_plan(g, target, revert, &plan, &err))
		{
			CHECK(err.message != NULL && plan.steps == NULL,
				  "plan \"%s\" failed without a message", target);
			pgmig_error_free(&err);
			free(pos);
			continue;
		}
		CHECK(err.message == NULL && plan.revert == revert &&
			  plan.nsteps >= 0 && plan.nsteps <= g->n, "plan \"%s\"", target);
		for (i = 0; i < g->n; i++)
			pos[i] = -1;
		for (i = 0; i < plan.nsteps; i++)
		{
			int			s = plan.steps[i];

			CHECK(s >= 0 && s < g->n && pos[s] < 0, "step %d twice", s);
			CHECK(g->nodes[s].applied == revert, "step %s: applied %d",
				  g->nodes[s].id, g->nodes[s].applied);
			pos[s] = i;
		}
		/* parents before children up, children before parents down */
		for (i = 0; i < plan.nsteps; i++)
		{
			const PgmigNode *n = &g->nodes[plan.steps[i]];

			if (!revert)
			{
				for (j = 0; j < n->nparents; j++)
					if (!g->nodes[n->parents[j]].applied)
						CHECK(pos[n->parents[j]] >= 0 && pos[n->parents[j]] < i,
							  "up to \"%s\": %s before its parent %s", target,
							  n->id, g->nodes[n->parents[j]].id);
			}
			else
			{
				for (j = 0; j < n->nchildren; j++)
					if (g->nodes[n->children[j]].applied)
						CHECK(pos[n->children[j]] >= 0 && pos[n->children[j]] < i,
							  "down to \"%s\": %s before its child %s", target,
							  n->id, g->nodes[n->children[j]].id);
			}
		}
		if ((target[0] == '+' || target[0] == '-') && target[1] != '\0' &&
			strspn(target + 1, "0123456789") == strlen(target + 1) &&
			strlen(target + 1) < 10)
			CHECK(plan.nsteps <= atoi(target + 1),
				  "plan \"%s\" has %d steps", target, plan.nsteps);
		pfree(plan.steps);
		free(pos);
	}
}

/* Build the graph of the parsed scripts and exercise it. */
static void
run_graph(PgmigScript *scripts, int n, const Input *in)
{
	PgmigNode  *nodes = calloc(n + 1, sizeof(PgmigNode));
	PgmigGraph	g;
	PgmigError	err;
	int			i,
				j;

	for (i = 0; i < n; i++)
	{
		nodes[i].id = scripts[i].id;
		nodes[i].sortkey = scripts[i].sortkey;
		nodes[i].parents_explicit = scripts[i].parents_explicit;
		nodes[i].nparents = scripts[i].nparents;
		nodes[i].parent_ids = scripts[i].parents;
		nodes[i].nlabels = scripts[i].nlabels;
		nodes[i].labels = scripts[i].labels;
		for (j = 0; j < in->napplied; j++)
			if (strcmp(in->applied[j], scripts[i].id) == 0)
				nodes[i].applied = true;
	}
	memset(&err, 0, sizeof(err));
	if (!pgmig_graph_build(&g, nodes, n, &err))
	{
		CHECK(err.message != NULL && g.order == NULL, "build failed: %s",
			  err.message ? err.message : "without a message");
		for (i = 0; i < n; i++)
			CHECK(nodes[i].parents == NULL && nodes[i].children == NULL,
				  "build failed and left parents or children");
		pgmig_error_free(&err);
		free(nodes);
		return;
	}
	check_graph(&g);
	if (in->ntargets > 0)
		for (i = 0; i < in->ntargets; i++)
			check_plan(&g, in->targets[i]);
	else
	{
		static const char *const fixed[] = {"head", "heads", "base", "+1", "-1", "-2"};

		for (i = 0; i < (int) lengthof(fixed); i++)
			check_plan(&g, fixed[i]);
		for (i = 0; i < n; i++)
		{
			check_plan(&g, g.nodes[i].id);
			for (j = 0; j < g.nodes[i].nlabels; j++)
			{
				char	   *t = psprintf("%s@head", g.nodes[i].labels[j]);

				check_plan(&g, t);
				pfree(t);
			}
		}
	}
	for (i = 0; i < n; i++)
	{
		pfree(nodes[i].parents);
		pfree(nodes[i].children);
	}
	pfree(g.order);
	free(nodes);
}

/* libFuzzer's entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Input		in;
	PgmigScript scripts[MAX_FILES];
	PgmigSqitchPlan plan;
	bool		sqitch = false;
	int			n = 0;
	int			i;

	read_input((const char *) data, size, &in);
	for (i = 0; i < in.nfiles; i++)
		if (strcmp(in.files[i].name, PGMIG_SQITCH_PLAN) == 0 && !sqitch)
			sqitch = parse_plan(&in.files[i], &plan);
	for (i = 0; i < in.nfiles; i++)
	{
		PgmigPart	part;

		if (strcmp(in.files[i].name, PGMIG_SQITCH_PLAN) == 0)
			continue;
		if (pgmig_split_file(in.files[i].name, &part) == PGMIG_LAYOUT_SQITCH)
		{
			if (sqitch && part == PGMIG_PART_UP &&
				parse_change(&in.files[i], &in, &plan, &scripts[n]))
				n++;
		}
		else if (parse_file(&in.files[i], &scripts[n]))
			n++;
	}
	if (sqitch)
		pgmig_sqitch_free_plan(&plan);
	for (i = 0; i < in.ntargets; i++)
	{
		char	   *key = pgmig_sortkey(in.targets[i]);

		if (key)
		{
			int			j;

			for (j = 0; j < n; j++)
				CHECK(pgmig_sortkey_cmp(key, scripts[j].sortkey) ==
					  -pgmig_sortkey_cmp(scripts[j].sortkey, key), "cmp");
			pfree(key);
		}
	}
	run_graph(scripts, n, &in);
	for (i = 0; i < n; i++)
		free_script(&scripts[i]);
	free_input(&in);
	return 0;
}
