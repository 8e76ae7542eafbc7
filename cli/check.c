/*-------------------------------------------------------------------------
 *
 * check.c
 *	  "pgmig check": validate the folder and, unless --offline, its
 *	  agreement with the database; with --drift, the schema's agreement
 *	  with the last migration run.
 *
 * Reading the files already reports what is wrong in them (files.c scans
 * the scripts as the server will, for check).  Here the facts of every
 * revision are computed first, then each problem is reported as an error
 * with a hint, and exit status 1 says there was one.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* What "pgmig check" finds in the folder and the catalog. */
typedef struct Check
{
	Inspect    *in;
	int			nheads;
	char	   *heads;			/* their ids, comma separated */
	int			nproblems;		/* several heads, and the revisions' */
} Check;

/* The problems of one revision that "check" reports as errors. */
static int
rev_problems(const RevFacts *f)
{
	return f->changed + f->missing + (f->applied && !f->complete);
}

/* Compute what check reports; exits on error. */
static void
compute_check(const Options *opts, Check *chk)
{
	Inspect    *in;
	int			i;

	memset(chk, 0, sizeof(*chk));
	chk->in = in = inspect_open(opts, !opts->offline);
	chk->heads = head_list(in, &chk->nheads);
	chk->nproblems = chk->nheads > 1;
	/* offline, nothing is known of the database */
	for (i = 0; in->online && i < in->view.graph.n; i++)
		chk->nproblems += rev_problems(&in->facts[i]);
}

/* Report what is wrong with one revision. */
static void
report_rev(const Inspect *in, const RevFacts *f)
{
	const Rev  *rev = f->rev;

	if (f->changed)
	{
		pg_log_error("file \"%s\" of revision %s has changed since it was applied",
					 rev->file->path, rev->id);
		pg_log_error_hint("Restore the file as it was applied, and put the change in a new revision.");
	}
	if (f->missing)
	{
		pg_log_error("applied revision %s (%s) has no file in %s",
					 rev->id, shown(rev->db->source_file ? rev->db->source_file : rev->description),
					 display_path(in->project.dir));
		pg_log_error_hint("Restore the file from version control.");
	}
	if (f->applied && !f->complete)
	{
		pg_log_error("no-transaction revision %s stopped halfway (%s after %d statements)",
					 rev->id, shown(f->state), rev->db->statements_done);
		pg_log_error_hint("Fix the cause, then run \"%s %s\" to resume it.", progname,
						  strncmp(f->state, "revert", 6) == 0 ? "down" : "up");
	}
	if (f->out_of_order)
		pg_log_warning("revision %s is out of order: it is older than an applied revision",
					   rev->id);
}

/* Report the problems found in the folder and the catalog. */
static void
report_check(const Check *chk)
{
	const Inspect *in = chk->in;
	int			i;

	if (chk->nheads > 1)
	{
		pg_log_error("%d heads: %s", chk->nheads, chk->heads);
		pg_log_error_hint("Join them with \"%s merge -m MESSAGE\", or name the one to apply.",
						  progname);
	}
	for (i = 0; in->online && i < in->view.graph.n; i++)
		report_rev(in, &in->facts[i]);
}

/*
 * check --drift: report the objects changed outside migrations as an error,
 * one detail line each.  Returns how many there are, -1 when the database
 * does not track drift.
 */
static int
report_drift(const Drift *drift)
{
	int			i;

	if (!drift->tracked)
	{
		pg_log_warning("drift is not tracked in this database: pgmig.track_drift is off");
		return -1;
	}
	if (drift->n == 0)
		return 0;
	pg_log_error("the schema changed outside migrations");
	for (i = 0; i < drift->n; i++)
	{
		const char *object = shown(DRIFT_OBJECT(drift, i));

		pg_log_error_detail("%c%s was %s.", pg_toupper((unsigned char) object[0]),
							object + 1, shown(DRIFT_CHANGE(drift, i)));
	}
	pg_log_error_hint("%s differ%s from the fingerprint recorded after the last migration run, at %s. Put the change into a migration, or undo it.",
					  drift->n == 1 ? "It" : "They", drift->n == 1 ? "s" : "",
					  DRIFT_SINCE(drift));
	return drift->n;
}

/* Say that all is well. */
static void
report_ok(const Options *opts, const Check *chk)
{
	const Inspect *in = chk->in;
	int			n = in->view.graph.n;
	const char *heads = chk->nheads > 0 ? chk->heads : "(none)";
	const char *format = in->project.format;
	/* dbmate's is the default: only another layout is named */
	char	   *layout = format && strcmp(format, "dbmate") != 0 ?
		psprintf("; format: %s", format) : pstrdup("");

	if (in->online)
		info(opts, "ok: %d revision%s, %d applied, %d pending, head %s%s",
			 n, n == 1 ? "" : "s", in->counts.napplied, in->counts.npending,
			 heads, layout);
	else
		info(opts, "ok: %d revision%s, head %s%s", n, n == 1 ? "" : "s", heads, layout);
	pfree(layout);
}

/* Append a problem of check's document: what it is, and its revision. */
static void
json_problem(PQExpBuffer buf, bool *first, const char *problem,
			 const char *revision)
{
	bool		f = true;

	if (!*first)
		appendPQExpBufferChar(buf, ',');
	*first = false;
	appendPQExpBufferChar(buf, '{');
	json_key(buf, &f, "problem");
	json_string(buf, problem);
	json_key(buf, &f, "revision");
	json_string(buf, revision);
	appendPQExpBufferChar(buf, '}');
}

/*
 * Print check's document (json-schema/check.json): the counts, heads, each
 * problem found and, with --drift, the objects changed outside migrations
 * (null unless tracked and asked for).
 */
static void
print_check_json(const Check *chk, const Drift *drift, int problems)
{
	const Inspect *in = chk->in;
	const PgmigGraph *g = &in->view.graph;
	PQExpBufferData buf;
	bool		first = true;
	bool		fp = true;
	int			i;

	json_open_document(&buf, &first, "check", NULL);
	json_bool(&buf, &first, "ok", problems == 0);
	json_bool(&buf, &first, "online", in->online);
	json_key(&buf, &first, "format");
	json_string(&buf, in->project.format ? in->project.format : "dbmate");
	json_int(&buf, &first, "revisions", g->n);
	json_count(&buf, &first, "applied", in->online ? in->counts.napplied : -1);
	json_count(&buf, &first, "pending", in->online ? in->counts.npending : -1);
	json_key(&buf, &first, "heads");
	json_id_list(&buf, in, false);
	appendPQExpBufferStr(&buf, ",\"problems\":[");
	if (chk->nheads > 1)
		json_problem(&buf, &fp, "several heads", NULL);
	for (i = 0; in->online && i < g->n; i++)
	{
		const RevFacts *f = &in->facts[i];

		if (f->changed)
			json_problem(&buf, &fp, "changed", f->rev->id);
		if (f->missing)
			json_problem(&buf, &fp, "missing", f->rev->id);
		if (f->applied && !f->complete)
			json_problem(&buf, &fp, "halfway", f->rev->id);
	}
	if (drift && drift->tracked && drift->n > 0)
		json_problem(&buf, &fp, "drift", NULL);
	appendPQExpBufferStr(&buf, "],\"out_of_order\":[");
	fp = true;
	for (i = 0; in->online && i < g->n; i++)
		if (in->facts[i].out_of_order)
		{
			if (!fp)
				appendPQExpBufferChar(&buf, ',');
			fp = false;
			json_string(&buf, in->facts[i].rev->id);
		}
	appendPQExpBufferStr(&buf, "],\"drift\":");
	if (drift == NULL)
		appendPQExpBufferStr(&buf, "null");
	else
		json_drift(&buf, drift);
	appendPQExpBufferChar(&buf, '}');
	json_print(&buf);
	termPQExpBuffer(&buf);
}

/* pgmig check: validate the folder and, unless --offline, the database. */
int
cmd_check(const Options *opts)
{
	Check		chk;
	Drift		drift;
	int			ndrift = -1;
	int			problems;

	compute_check(opts, &chk);
	report_check(&chk);
	problems = chk.nproblems;
	if (opts->drift)
	{
		read_drift(chk.in, &drift);
		ndrift = report_drift(&drift);
		problems += ndrift > 0;
	}
	if (problems == 0)
		report_ok(opts, &chk);
	if (ndrift == 0)
		info(opts, "no drift: the schema is as the last migration run left it");
	if (opts->json)
		print_check_json(&chk, opts->drift ? &drift : NULL, problems);
	if (opts->drift)
		free_drift(&drift);
	pg_free(chk.heads);
	inspect_close(chk.in);
	return problems > 0 ? EXIT_ERROR : EXIT_OK;
}
