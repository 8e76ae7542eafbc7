/*-------------------------------------------------------------------------
 *
 * pgmig_sqitch.c
 *	  Sqitch's layout: sqitch.plan, and the deploy/, revert/ and verify/
 *	  scripts of each change, as revisions.
 *
 * A change is a revision: its id is its name (an instance that a later
 * line of the plan reworks is name@tag, the tag before the rework, as
 * Sqitch names its scripts), its version its position in the plan, its
 * parents the change before it and the changes it requires.  Its deploy
 * script is the up script and its revert script the down script, each
 * without the BEGIN and COMMIT that Sqitch's scripts wrap themselves in:
 * pgmig runs them in its own transaction.  Verify scripts are checksummed
 * with the change, not run (DECISIONS 76).
 *
 * Compiled into the server module and, with -DFRONTEND, into the client,
 * as pgmig_format.c is: every function frees its scratch memory.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include <ctype.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "pgmig_sqitch.h"
#include "pgmig_version.h"

/* What the plan parser knows of a tag: its name and the change before it. */
typedef struct Tag
{
	char	   *name;
	int			change;			/* index of the change it tags */
} Tag;

/* A dependency as written in a change's brackets. */
typedef struct Dep
{
	bool		conflict;		/* !name */
	char	   *name;			/* "" for @tag alone */
	char	   *tag;			/* name@tag, or NULL */
} Dep;

/* A change while the plan is read: its dependencies as written. */
typedef struct RawChange
{
	int			ndeps;
	Dep		   *deps;
} RawChange;

/* The plan parser's state. */
typedef struct PlanReader
{
	const char *file_name;
	int			lineno;
	PgmigSqitchPlan *plan;
	int			cap;
	RawChange  *raw;
	int			ntags;
	int			tagcap;
	Tag		   *tags;
	bool		has_syntax;
	PgmigSqitchKey *by_name;	/* the changes by name, then position */
} PlanReader;

/* Is "c" a character Sqitch allows at the start or end of a name? */
static bool
name_edge(unsigned char c)
{
	return c >= 0x80 || isalnum(c) || c == '_';
}

/* Length of the name at "p": up to white space or a character names lack. */
static size_t
name_len(const char *p)
{
	size_t		n = 0;

	while (p[n] != '\0' && !isspace((unsigned char) p[n]) &&
		   strchr(":@#\\[]", p[n]) == NULL)
		n++;
	return n;
}

/* Is "name" (len bytes) a name Sqitch accepts for a change or a tag? */
static bool
valid_name(const char *name, size_t len)
{
	return len > 0 && name_edge((unsigned char) name[0]) &&
		name_edge((unsigned char) name[len - 1]);
}

/* Skip spaces and tabs. */
static const char *
skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * The end of a change's or tag's line after its name and dependencies:
 * "timestamp planner <email> [# note]".  Sets *note (palloc'd).  False
 * (err set) if it is not that.
 */
static bool
parse_signature(const char *p, char **note, PgmigError *err)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
	const char *gt;
	int			i;

	p = skip_blank(p);
	for (i = 0; pattern[i] != '\0'; i++)
		if (pattern[i] == 'd' ? !isdigit((unsigned char) p[i]) : p[i] != pattern[i])
			return pgmig_set_error(err, PGMIG_ERR_FILE,
								   "A line of the plan is: name [dependencies] 2024-01-31T12:00:00Z Planner Name <email> # note",
								   NULL, "no planned timestamp after the name");
	p += i;
	if (*p != ' ' && *p != '\t')
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "no planner after the timestamp");
	p = skip_blank(p);
	gt = strchr(p, '>');
	if (*p == '\0' || *p == '<' || strchr(p, '<') == NULL || gt == NULL ||
		gt < strchr(p, '<'))
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "The planner is written as: Name <email>",
							   NULL, "no planner name and <email> after the timestamp");
	p = skip_blank(gt + 1);
	if (*p == '\0')
		*note = pstrdup("");
	else if (*p == '#')
		*note = pstrdup(skip_blank(p + 1));
	else
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "A note follows the planner after \"#\".",
							   NULL, "text after the planner's email");
	return true;
}

/* Free the dependencies of a change as read. */
static void
free_raw(RawChange *raw)
{
	int			i;

	for (i = 0; i < raw->ndeps; i++)
	{
		pfree(raw->deps[i].name);
		if (raw->deps[i].tag)
			pfree(raw->deps[i].tag);
	}
	if (raw->deps)
		pfree(raw->deps);
}

/* Parse one dependency word ("!proj:name@tag") into *dep. */
static bool
parse_dep(const char *word, const char *project, Dep *dep, PgmigError *err)
{
	const char *p = word;
	const char *colon;
	const char *at;
	size_t		len;

	memset(dep, 0, sizeof(*dep));
	if (*p == '!' || *p == '-')
	{
		dep->conflict = true;
		p++;
	}
	else if (*p == '+')
		p++;
	colon = strchr(p, ':');
	if (colon != NULL)
	{
		char	   *proj = pnstrdup(p, colon - p);

		if (project == NULL || strcmp(proj, project) != 0)
		{
			pgmig_set_error(err, PGMIG_ERR_FILE,
							"pgmig runs one project's plan and cannot check what another project deployed.",
							"Drop the dependency, or merge the two plans.",
							"dependency \"%s\" names project \"%s\"", word, proj);
			pfree(proj);
			return false;
		}
		pfree(proj);
		p = colon + 1;
	}
	at = strchr(p, '@');
	len = at ? (size_t) (at - p) : strlen(p);
	if ((len > 0 && (!valid_name(p, len) || name_len(p) != len)) ||
		(at != NULL && (!valid_name(at + 1, strlen(at + 1)) ||
						name_len(at + 1) != strlen(at + 1))) ||
		(len == 0 && at == NULL))
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
							   "Dependencies are written [name other@tag !conflict].",
							   "invalid dependency \"%s\"", word);
	dep->name = pnstrdup(p, len);
	dep->tag = at ? pstrdup(at + 1) : NULL;
	return true;
}

/* Parse "[deps]" at *pp into raw; *pp goes past it. */
static bool
parse_deps(const char **pp, const char *project, RawChange *raw, PgmigError *err)
{
	const char *p = *pp + 1;
	const char *end = strchr(p, ']');
	char	   *inner;
	char	   *word;
	char	   *save = NULL;
	int			cap = 4;
	bool		ok = true;

	if (end == NULL)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "\"[\" without \"]\"");
	inner = pnstrdup(p, end - p);
	raw->deps = palloc(cap * sizeof(Dep));
	for (word = strtok_r(inner, " \t", &save); word != NULL && ok;
		 word = strtok_r(NULL, " \t", &save))
	{
		if (raw->ndeps == cap)
		{
			cap *= 2;
			raw->deps = repalloc(raw->deps, cap * sizeof(Dep));
		}
		ok = parse_dep(word, project, &raw->deps[raw->ndeps], err);
		if (ok)
			raw->ndeps++;
	}
	pfree(inner);
	*pp = end + 1;
	return ok;
}

/* "%name=value": the pragmas that matter are syntax-version and project. */
static bool
read_pragma(PlanReader *r, const char *line, PgmigError *err)
{
	const char *eq = strchr(line, '=');
	char	   *key;
	const char *value;
	size_t		klen;

	if (eq == NULL)
		return true;			/* a pragma without a value: nothing to say */
	klen = eq - line - 1;
	while (klen > 0 && isspace((unsigned char) line[klen]))
		klen--;
	key = pnstrdup(line + 1, klen);
	value = skip_blank(eq + 1);
	if (strcmp(key, "syntax-version") == 0)
	{
		r->has_syntax = true;
		if (strncmp(value, "1.", 2) != 0)
		{
			pfree(key);
			return pgmig_set_error(err, PGMIG_ERR_FILE,
								   "pgmig reads plans of Sqitch's syntax version 1.",
								   NULL, "unsupported %%syntax-version \"%s\"", value);
		}
	}
	else if (strcmp(key, "project") == 0)
	{
		if (!valid_name(value, strlen(value)) || name_len(value) != strlen(value))
		{
			pfree(key);
			return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
								   "invalid project name \"%s\"", value);
		}
		if (r->plan->project)
			pfree(r->plan->project);
		r->plan->project = pstrdup(value);
	}
	pfree(key);
	return true;
}

/* "@tag timestamp planner <email> # note": tags the change before it. */
static bool
read_tag(PlanReader *r, const char *line, PgmigError *err)
{
	size_t		len = name_len(line + 1);
	char	   *note;
	int			i;
	PgmigSqitchChange *c;

	if (r->plan->n == 0)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "A tag names the change before it.", NULL,
							   "tag before the first change");
	if (!valid_name(line + 1, len))
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "invalid tag name \"%.*s\"", (int) (len + 1), line);
	for (i = 0; i < r->ntags; i++)
		if (strlen(r->tags[i].name) == len && strncmp(r->tags[i].name, line + 1, len) == 0)
			return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
								   "tag \"@%s\" appears twice", r->tags[i].name);
	if (!parse_signature(line + 1 + len, &note, err))
		return false;
	pfree(note);
	if (r->ntags == r->tagcap)
	{
		r->tagcap = r->tagcap ? r->tagcap * 2 : 8;
		r->tags = r->tags ? repalloc(r->tags, r->tagcap * sizeof(Tag)) :
			palloc(r->tagcap * sizeof(Tag));
	}
	r->tags[r->ntags].name = pnstrdup(line + 1, len);
	r->tags[r->ntags].change = r->plan->n - 1;
	r->ntags++;
	/* a tag changes the ids of what it reworks: it is part of the change */
	c = &r->plan->changes[r->plan->n - 1];
	{
		char	   *text = psprintf("%s\n%s", c->plan_text, line);

		pfree(c->plan_text);
		c->plan_text = text;
	}
	return true;
}

/* "[+]name [deps] timestamp planner <email> # note": a change. */
static bool
read_change(PlanReader *r, const char *line, PgmigError *err)
{
	const char *p = line;
	size_t		len;
	PgmigSqitchChange *c;
	RawChange	raw;
	char	   *note = NULL;

	if (*p == '-')
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Lines starting with \"-\" revert a change in old plans; pgmig reads plans where each change is deployed once.",
							   "Remove the change and its revert line, or use \"sqitch rework\".",
							   "revert line in the plan");
	if (*p == '+')
		p++;
	len = name_len(p);
	if (!valid_name(p, len))
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Change names contain no white space or \":@#\\[]\" and start and end with a letter, a digit or \"_\".",
							   NULL, "invalid change name \"%.*s\"", (int) Max(len, 1), p);
	if (strspn(p, "0123456789.-") >= len)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "pgmig reads a name of only digits, dots and dashes as a version.",
							   "Rename the change.",
							   "change name \"%.*s\" is a number", (int) len, p);
	memset(&raw, 0, sizeof(raw));
	{
		const char *q = skip_blank(p + len);

		if (*q == '[' && !parse_deps(&q, r->plan->project, &raw, err))
			goto fail;
		if (!parse_signature(q, &note, err))
			goto fail;
	}
	if (r->plan->n == r->cap)
	{
		r->cap = r->cap ? r->cap * 2 : 16;
		r->plan->changes = r->plan->changes ?
			repalloc(r->plan->changes, r->cap * sizeof(PgmigSqitchChange)) :
			palloc(r->cap * sizeof(PgmigSqitchChange));
		r->raw = r->raw ? repalloc(r->raw, r->cap * sizeof(RawChange)) :
			palloc(r->cap * sizeof(RawChange));
	}
	c = &r->plan->changes[r->plan->n];
	memset(c, 0, sizeof(*c));
	c->name = pnstrdup(p, len);
	c->line = r->lineno;
	c->note = note;
	c->plan_text = pstrdup(line);
	r->raw[r->plan->n] = raw;
	r->plan->n++;
	return true;

fail:
	free_raw(&raw);
	return false;
}

/* The index of tag "name", or -1. */
static int
find_tag(const PlanReader *r, const char *name)
{
	int			i;

	for (i = 0; i < r->ntags; i++)
		if (strcmp(r->tags[i].name, name) == 0)
			return i;
	return -1;
}

/* Order keys by key, then by position. */
static int
key_cmp(const void *a, const void *b)
{
	const PgmigSqitchKey *ka = (const PgmigSqitchKey *) a;
	const PgmigSqitchKey *kb = (const PgmigSqitchKey *) b;
	int			c = strcmp(ka->key, kb->key);

	return c != 0 ? c : (ka->change > kb->change) - (ka->change < kb->change);
}

/* The changes of "plan" by name (ids: false) or by id, sorted (palloc'd). */
static PgmigSqitchKey *
sorted_keys(const PgmigSqitchPlan *plan, bool ids)
{
	PgmigSqitchKey *keys = palloc(Max(plan->n, 1) * sizeof(PgmigSqitchKey));
	int			i;

	for (i = 0; i < plan->n; i++)
	{
		keys[i].key = ids ? plan->changes[i].id : plan->changes[i].name;
		keys[i].change = i;
	}
	qsort(keys, plan->n, sizeof(PgmigSqitchKey), key_cmp);
	return keys;
}

/* Position in "keys" of the first one "key" (may be past it). */
static int
first_key(const PgmigSqitchKey *keys, int n, const char *key)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;

		if (strcmp(keys[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The last change named "name" at or before position "limit", or -1; the
 * first after it goes to *after (-1 if none).
 */
static int
instance_at(const PlanReader *r, const char *name, int limit, int *after)
{
	int			n = r->plan->n;
	int			k = first_key(r->by_name, n, name);
	int			found = -1;

	*after = -1;
	for (; k < n && strcmp(r->by_name[k].key, name) == 0; k++)
	{
		if (r->by_name[k].change <= limit)
			found = r->by_name[k].change;
		else
		{
			*after = r->by_name[k].change;
			break;
		}
	}
	return found;
}

/*
 * Give each change its id: an instance that a later one reworks is
 * name@tag, the last tag between it and the rework, which Sqitch requires.
 */
static bool
assign_ids(PlanReader *r, PgmigError *err)
{
	PgmigSqitchPlan *plan = r->plan;
	int			k,
				t;

	for (k = 0; k < plan->n; k++)
	{
		int			i = r->by_name[k].change;
		int			j = k + 1 < plan->n ? r->by_name[k + 1].change : -1;
		PgmigSqitchChange *c = &plan->changes[i];
		const char *tag = NULL;

		/* the next instance of the name follows it in by_name */
		if (j < 0 || strcmp(plan->changes[j].name, c->name) != 0)
		{
			c->id = pstrdup(c->name);
			continue;
		}
		for (t = 0; t < r->ntags; t++)
			if (r->tags[t].change >= i && r->tags[t].change < j)
				tag = r->tags[t].name;
		if (tag == NULL)
		{
			pgmig_set_error(err, PGMIG_ERR_FILE,
							"A change appears again only after a tag: Sqitch names the scripts of the earlier one by that tag.",
							"Tag the plan before reworking a change (\"sqitch tag\", then \"sqitch rework\").",
							"change \"%s\" appears again without a tag since line %d",
							c->name, c->line);
			return pgmig_error_at(err, r->file_name, plan->changes[j].line);
		}
		c->id = psprintf("%s@%s", c->name, tag);
	}
	return true;
}

/*
 * The change that dependency "d" of change "i" names: the latest instance
 * of the name before it (or as of the tag); -1 (err set) if none.
 */
static int
resolve_dep(PlanReader *r, int i, const Dep *d, PgmigError *err)
{
	PgmigSqitchPlan *plan = r->plan;
	int			limit = i - 1;
	int			after;
	int			j;

	if (d->tag != NULL)
	{
		int			t = find_tag(r, d->tag);

		if (t < 0 || r->tags[t].change >= i)
		{
			pgmig_set_error(err, PGMIG_ERR_FILE,
							"A change requires changes and tags that come before it in the plan.",
							NULL, t < 0 ? "change \"%s\" requires unknown tag \"@%s\"" :
							"change \"%s\" requires tag \"@%s\", which comes after it",
							plan->changes[i].name, d->tag);
			return -1;
		}
		limit = r->tags[t].change;
		if (d->name[0] == '\0')
			return limit;
	}
	j = instance_at(r, d->name, limit, &after);
	if (j >= 0)
		return j;
	if (after >= 0)
	{
		pgmig_set_error(err, PGMIG_ERR_FILE,
						"A change requires changes that come before it in the plan.",
						NULL, "change \"%s\" requires \"%s\", which comes after it (line %d)",
						plan->changes[i].name, d->name, plan->changes[after].line);
		return -1;
	}
	pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
					"Add the change to the plan, or drop the dependency.",
					"change \"%s\" requires unknown change \"%s\"",
					plan->changes[i].name, d->name);
	return -1;
}

/* Add "id" to a change's parents unless it is there. */
static void
add_parent(PgmigSqitchChange *c, const char *id)
{
	int			k;

	for (k = 0; k < c->nparents; k++)
		if (strcmp(c->parents[k], id) == 0)
			return;
	c->parents[c->nparents++] = pstrdup(id);
}

/*
 * Parents: the change before (plan order is version order) and what it
 * requires.  A conflict with an earlier change could never be met, as
 * pgmig deploys the plan in order; one with a later or unknown change is
 * always met then.
 */
static bool
assign_parents(PlanReader *r, PgmigError *err)
{
	PgmigSqitchPlan *plan = r->plan;
	int			i,
				k;

	for (i = 0; i < plan->n; i++)
	{
		PgmigSqitchChange *c = &plan->changes[i];
		RawChange  *raw = &r->raw[i];

		c->parents = palloc((raw->ndeps + 1) * sizeof(char *));
		if (i > 0)
			add_parent(c, plan->changes[i - 1].id);
		for (k = 0; k < raw->ndeps; k++)
		{
			Dep		   *d = &raw->deps[k];
			int			j;

			if (d->conflict)
			{
				int			later;

				j = instance_at(r, d->name, i - 1, &later);
				if (j >= 0)
				{
					pgmig_set_error(err, PGMIG_ERR_FILE,
									"pgmig deploys the plan in order, so the change it conflicts with is always deployed before it.",
									"Revert the other change in this one's deploy script and drop the conflict.",
									"change \"%s\" conflicts with \"%s\", which comes before it (line %d)",
									c->name, d->name, plan->changes[j].line);
					return pgmig_error_at(err, r->file_name, c->line);
				}
				continue;
			}
			j = resolve_dep(r, i, d, err);
			if (j < 0)
				return pgmig_error_at(err, r->file_name, c->line);
			add_parent(c, plan->changes[j].id);
		}
	}
	return true;
}

/* Free the parser's scratch state. */
static void
free_reader(PlanReader *r)
{
	int			i;

	for (i = 0; i < r->plan->n; i++)
		free_raw(&r->raw[i]);
	if (r->raw)
		pfree(r->raw);
	if (r->by_name)
		pfree(r->by_name);
	for (i = 0; i < r->ntags; i++)
		pfree(r->tags[i].name);
	if (r->tags)
		pfree(r->tags);
}

/* Check that "text" (len bytes) is UTF-8 without NUL; err names the line. */
static bool
check_text(const char *file_name, const char *text, size_t len, PgmigError *err)
{
	int			valid;

	if (strlen(text) != len)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "The file contains a NUL byte; Sqitch's files are UTF-8 text.",
							   NULL, "file \"%s\" is not a text file", file_name);
	valid = pg_encoding_verifymbstr(PG_UTF8, text, (int) len);
	if (valid != (int) len)
	{
		pgmig_set_error(err, PGMIG_ERR_FILE,
						"Sqitch's files are encoded in UTF-8.", NULL,
						"invalid UTF-8");
		return pgmig_error_at(err, file_name, pgmig_line_at(text, valid, 1));
	}
	return true;
}

/* Parse a plan (see header). */
bool
pgmig_sqitch_parse_plan(const char *file_name, char *text, size_t len,
						PgmigSqitchPlan *plan, PgmigError *err)
{
	PlanReader	r;
	char	   *p;
	bool		ok = true;

	memset(plan, 0, sizeof(*plan));
	memset(&r, 0, sizeof(r));
	r.file_name = file_name;
	r.plan = plan;
	if (!check_text(file_name, text, len, err))
		return false;
	len = pgmig_normalize_newlines(text, len);
	for (p = text; ok && *p != '\0';)
	{
		char	   *eol = strchr(p, '\n');
		size_t		linelen = eol ? (size_t) (eol - p) : strlen(p);
		char		save;
		const char *line;
		const char *control;
		size_t		end = linelen;

		r.lineno++;
		while (end > 0 && isspace((unsigned char) p[end - 1]))
			end--;
		save = p[end];
		p[end] = '\0';
		line = skip_blank(p);
		control = pgmig_find_control(line);
		if (control != NULL && *control != '\t')
			ok = pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
								 "control character in the plan");
		else if (*line == '\0' || *line == '#')
			;
		else if (*line == '%')
			ok = read_pragma(&r, line, err);
		else if (*line == '@')
			ok = read_tag(&r, line, err);
		else if (plan->project == NULL)
			ok = pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
								 "A plan starts with %syntax-version=1.0.0 and %project=NAME.",
								 "change before the %%project pragma");
		else
			ok = read_change(&r, line, err);
		p[end] = save;
		if (!ok)
			(void) pgmig_error_at(err, file_name, r.lineno);
		p = eol ? eol + 1 : p + linelen;
	}
	if (ok && plan->project == NULL)
		ok = pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
							 "A plan starts with %syntax-version=1.0.0 and %project=NAME.",
							 "plan \"%s\" has no %%project pragma", file_name);
	if (ok)
		r.by_name = sorted_keys(plan, false);
	ok = ok && assign_ids(&r, err) && assign_parents(&r, err);
	if (ok)
		plan->by_id = sorted_keys(plan, true);
	free_reader(&r);
	if (!ok)
		pgmig_sqitch_free_plan(plan);
	return ok;
}

/* Free a parsed plan. */
void
pgmig_sqitch_free_plan(PgmigSqitchPlan *plan)
{
	int			i,
				k;

	for (i = 0; i < plan->n; i++)
	{
		PgmigSqitchChange *c = &plan->changes[i];

		pfree(c->name);
		if (c->id)
			pfree(c->id);
		for (k = 0; k < c->nparents; k++)
			pfree(c->parents[k]);
		if (c->parents)
			pfree(c->parents);
		if (c->note)
			pfree(c->note);
		pfree(c->plan_text);
	}
	if (plan->changes)
		pfree(plan->changes);
	if (plan->by_id)
		pfree(plan->by_id);
	if (plan->project)
		pfree(plan->project);
	memset(plan, 0, sizeof(*plan));
}

/* A change's script in folder "dir": dir/<id>.sql (palloc'd). */
char *
pgmig_sqitch_file(const PgmigSqitchChange *change, const char *dir)
{
	return psprintf("%s/%s.sql", dir, change->id);
}

/* The change whose scripts are named "<dir>/<id>.sql", or -1. */
int
pgmig_sqitch_find(const PgmigSqitchPlan *plan, const char *file_name)
{
	const char *slash = strchr(file_name, '/');
	size_t		len;
	char	   *id;
	int			k;
	int			found = -1;

	if (slash == NULL || plan->by_id == NULL)
		return -1;
	slash++;
	len = strlen(slash);
	if (len < 5 || strcmp(slash + len - 4, ".sql") != 0)
		return -1;
	id = pnstrdup(slash, len - 4);
	k = first_key(plan->by_id, plan->n, id);
	if (k < plan->n && strcmp(plan->by_id[k].key, id) == 0)
		found = plan->by_id[k].change;
	pfree(id);
	return found;
}

/* Is "line" (len bytes) one of "words", ignoring case and blanks around? */
static bool
line_is(const char *line, size_t len, const char *const *words)
{
	char		buf[32];
	size_t		n = 0;
	int			i;

	while (len > 0 && isspace((unsigned char) *line))
		line++, len--;
	while (len > 0 && isspace((unsigned char) line[len - 1]))
		len--;
	if (len >= sizeof(buf))
		return false;
	for (n = 0; n < len; n++)
		buf[n] = pg_ascii_tolower((unsigned char) line[n]);
	buf[n] = '\0';
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(buf, words[i]) == 0)
			return true;
	return false;
}

/* Is the line at "p" (len bytes) blank or a "--" comment? */
static bool
blank_or_comment(const char *p, size_t len)
{
	while (len > 0 && isspace((unsigned char) *p))
		p++, len--;
	return len == 0 || (len >= 2 && p[0] == '-' && p[1] == '-');
}

/*
 * Drop the BEGIN and COMMIT a Sqitch script wraps itself in, in place: the
 * first statement line if it is only BEGIN (or START TRANSACTION) and the
 * last if it is only COMMIT, and only both.  Their lines stay, empty, so
 * that line numbers are the file's.  Any other BEGIN or COMMIT is the
 * server's to refuse, with its line.
 */
static void
strip_transaction(char *text)
{
	static const char *const begins[] = {"begin;", "begin work;", "begin transaction;",
	"start transaction;", NULL};
	static const char *const commits[] = {"commit;", "commit work;",
	"commit transaction;", "end;", NULL};
	char	   *first = NULL;
	size_t		first_len = 0;
	char	   *last = NULL;
	size_t		last_len = 0;
	char	   *p;

	for (p = text; *p != '\0';)
	{
		char	   *eol = strchr(p, '\n');
		size_t		len = eol ? (size_t) (eol - p) : strlen(p);

		if (!blank_or_comment(p, len))
		{
			if (first == NULL)
			{
				first = p;
				first_len = len;
			}
			last = p;
			last_len = len;
		}
		p = eol ? eol + 1 : p + len;
	}
	if (first == NULL || first == last || !line_is(first, first_len, begins) ||
		!line_is(last, last_len, commits))
		return;
	/* the later one first: the earlier one's position does not move */
	memmove(last, last + last_len, strlen(last + last_len) + 1);
	memmove(first, first + first_len, strlen(first + first_len) + 1);
}

/* The revision of change "i" (see header). */
bool
pgmig_sqitch_script(const PgmigSqitchPlan *plan, int i,
					char *deploy, size_t deploy_len,
					char *revert, size_t revert_len,
					char *verify, size_t verify_len,
					PgmigScript *out, PgmigError *err)
{
	const PgmigSqitchChange *c = &plan->changes[i];
	char	   *deploy_name = pgmig_sqitch_file(c, "deploy");
	char	   *revert_name = pgmig_sqitch_file(c, "revert");
	char	   *verify_name = pgmig_sqitch_file(c, "verify");
	StringInfoData all;
	bool		ok;
	int			k;

	memset(out, 0, sizeof(*out));
	ok = check_text(deploy_name, deploy, deploy_len, err) &&
		(revert == NULL || check_text(revert_name, revert, revert_len, err)) &&
		(verify == NULL || check_text(verify_name, verify, verify_len, err));
	pfree(revert_name);
	pfree(verify_name);
	if (!ok)
	{
		pfree(deploy_name);
		return false;
	}
	deploy_len = pgmig_normalize_newlines(deploy, deploy_len);
	if (revert)
		revert_len = pgmig_normalize_newlines(revert, revert_len);
	if (verify)
		verify_len = pgmig_normalize_newlines(verify, verify_len);

	out->id = pstrdup(c->id);
	out->sortkey = psprintf("%d", i + 1);
	out->description = pstrdup(c->note[0] != '\0' ? c->note : c->name);
	out->file_name = deploy_name;
	out->parents_explicit = true;
	out->nparents = c->nparents;
	out->parents = palloc(Max(c->nparents, 1) * sizeof(char *));
	for (k = 0; k < c->nparents; k++)
		out->parents[k] = pstrdup(c->parents[k]);
	/* sqlx's marker: the one way to say a Sqitch change needs no transaction */
	out->transactional = !pgmig_sqlx_no_transaction(deploy);

	/*
	 * The checksum covers what makes the revision: its place in the plan, its
	 * parents and every script, a NUL between the parts.
	 */
	initStringInfo(&all);
	appendStringInfo(&all, "%s\n%s\n", out->sortkey, c->plan_text);
	for (k = 0; k < c->nparents; k++)
		appendStringInfo(&all, "%s\n", c->parents[k]);
	appendBinaryStringInfo(&all, "", 1);
	appendBinaryStringInfo(&all, deploy, deploy_len);
	if (revert)
	{
		appendBinaryStringInfo(&all, "\0r", 2);
		appendBinaryStringInfo(&all, revert, revert_len);
	}
	if (verify)
	{
		appendBinaryStringInfo(&all, "\0v", 2);
		appendBinaryStringInfo(&all, verify, verify_len);
	}
	ok = pgmig_checksum(all.data, all.len, out->file_checksum);
	pfree(all.data);
	if (!ok)
		return pgmig_set_error(err, PGMIG_ERR_FILE, NULL, NULL,
							   "could not compute checksum of file \"%s\"", out->file_name);

	out->up = pstrdup(deploy);
	strip_transaction(out->up);
	out->up_line = 1;
	if (revert)
	{
		out->down = pstrdup(revert);
		strip_transaction(out->down);
		out->down_line = 1;
	}
	return true;
}
