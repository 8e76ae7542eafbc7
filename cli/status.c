/*-------------------------------------------------------------------------
 *
 * status.c
 *	  Where the database stands: "pgmig status", "current" and "heads".
 *
 * status computes what it reports first (the facts of every revision, the
 * environment, drift, heads), then renders it as text or as JSON.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* Most drifted objects the status names. */
#define DRIFT_SHOWN 5

/* What "pgmig status" reports. */
typedef struct Status
{
	Inspect    *in;
	const char *database;
	char	   *environment;	/* pgmig.environment, or NULL */
	Drift		drift;
	int			nheads;
	char	   *heads;			/* their ids, comma separated */
	char	   *repeatables;	/* Flyway's repeatable migrations "up" would
								 * run, comma separated; NULL if none */
} Status;

/* The setting pgmig.environment of the database, or NULL. */
static char *
environment(Inspect *in)
{
	PGresult   *res = query(&in->c, "SELECT pg_catalog.current_setting('pgmig.environment', true)",
							0, NULL);
	char	   *env = NULL;

	if (res == NULL)
		return NULL;
	if (!PQgetisnull(res, 0, 0) && PQgetvalue(res, 0, 0)[0] != '\0')
		env = pg_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return env;
}

/*
 * Flyway's repeatable migrations whose file is not what was last applied,
 * comma separated, or NULL if there are none.
 */
static char *
pending_repeatables(Inspect *in)
{
	const Project *project = &in->project;
	PQExpBufferData buf;
	PGresult   *res = NULL;
	int			i,
				j;

	if (project->nrepeatables == 0)
		return NULL;
	/* a catalog before 0.3.0 has applied none */
	res = query(&in->c, "SELECT pg_catalog.to_regclass('pgmig.repeatables') IS NOT NULL", 0, NULL);
	if (res != NULL && strcmp(PQgetvalue(res, 0, 0), "t") == 0)
	{
		PQclear(res);
		res = query(&in->c, "SELECT file_name, applied_checksum FROM pgmig.repeatables", 0, NULL);
	}
	else if (res != NULL)
	{
		PQclear(res);
		res = NULL;
	}
	initPQExpBuffer(&buf);
	for (i = 0; i < project->nrepeatables; i++)
	{
		const PgmigScript *s = &project->repeatables[i].script;
		bool		applied = false;

		for (j = 0; res != NULL && j < PQntuples(res) && !applied; j++)
			applied = strcmp(PQgetvalue(res, j, 0), s->file_name) == 0 &&
				strcmp(PQgetvalue(res, j, 1), s->file_checksum) == 0;
		if (!applied)
			appendPQExpBuffer(&buf, "%s%s", buf.len > 0 ? ", " : "", shown(s->file_name));
	}
	if (res != NULL)
		PQclear(res);
	if (buf.len == 0)
	{
		termPQExpBuffer(&buf);
		return NULL;
	}
	return buf.data;
}

/* Compute the status; exits on error. */
static void
compute_status(const Options *opts, Status *st)
{
	memset(st, 0, sizeof(*st));
	st->in = inspect_open(opts, true);
	st->database = PQdb(st->in->c.conn);
	st->environment = environment(st->in);
	read_drift(st->in, &st->drift);
	st->heads = head_list(st->in, &st->nheads);
	st->repeatables = pending_repeatables(st->in);
}

/* Free what compute_status computed, and close. */
static void
free_status(Status *st)
{
	free_drift(&st->drift);
	pg_free(st->environment);
	pg_free(st->heads);
	pg_free(st->repeatables);
	inspect_close(st->in);
}

/* The name a revision is listed by: its file, or its id and description. */
static char *
rev_label(const Rev *rev)
{
	if (rev->file)
		return pg_strdup(rev->file->script.file_name);
	return psprintf("%s %s", rev->id, shown(rev->description));
}

/* The notes of a status line, e.g. "head, changed since it was applied". */
static void
status_notes(PQExpBuffer buf, const RevFacts *f)
{
	const DbRev *d = f->rev->db;
	const char *sep = "";

#define NOTE(...) do { appendPQExpBufferStr(buf, sep); \
		appendPQExpBuffer(buf, __VA_ARGS__); sep = ", "; } while (0)
	if (f->applied && !f->complete)
	{
		if (d->statements_done >= 0)
			NOTE("no transaction: %s after %d statement%s", shown(f->state),
				 d->statements_done, d->statements_done == 1 ? "" : "s");
		else
			NOTE("no transaction: %s", shown(f->state));
	}
	if (f->applied && d->method && strcmp(d->method, "stamped") == 0)
		NOTE("stamped");
	if (f->head)
		NOTE("head");
	if (f->changed)
		NOTE("changed since it was applied");
	if (f->missing)
		NOTE("file missing");
	if (f->out_of_order)
		NOTE("out of order");
#undef NOTE
}

/* Print one line per revision: "[X] file  (notes)". */
static void
print_status_revisions(const Status *st)
{
	const Inspect *in = st->in;
	int			i;

	for (i = 0; i < in->view.graph.n; i++)
	{
		const RevFacts *f = &in->facts[i];
		char	   *label = rev_label(f->rev);
		PQExpBufferData notes;

		initPQExpBuffer(&notes);
		status_notes(&notes, f);
		printf("[%s] %s%s%s%s\n",
			   !f->applied ? " " : (f->complete ? "X" : "!"),
			   label, notes.len > 0 ? "  (" : "", notes.data,
			   notes.len > 0 ? ")" : "");
		termPQExpBuffer(&notes);
		pg_free(label);
	}
}

/* Print the drift line: how many objects, and the first DRIFT_SHOWN. */
static void
print_drift(const Drift *drift)
{
	int			i;

	printf("Drift: %d object%s changed outside migrations since %s: ",
		   drift->n, drift->n == 1 ? "" : "s", DRIFT_SINCE(drift));
	for (i = 0; i < drift->n && i < DRIFT_SHOWN; i++)
		printf("%s%s (%s)", i > 0 ? ", " : "",
			   shown(DRIFT_OBJECT(drift, i)), shown(DRIFT_CHANGE(drift, i)));
	if (drift->n > DRIFT_SHOWN)
		printf(" and %d more; \"%s check --drift\" lists them",
			   drift->n - DRIFT_SHOWN, progname);
	printf("\n");
}

/* Print the warnings of the status. */
static void
print_status_warnings(const Status *st)
{
	const RevCounts *k = &st->in->counts;

	if (st->nheads > 1)
		printf("warning: %d heads; \"%s up\" needs one: merge them with \"%s merge\", or run \"%s up heads\"\n",
			   st->nheads, progname, progname, progname);
	if (k->nhalf > 0)
		printf("warning: %d no-transaction revision%s stopped halfway; \"%s up\" resumes one going up, \"%s down\" one going down\n",
			   k->nhalf, k->nhalf == 1 ? "" : "s", progname, progname);
	if (k->nchanged > 0)
		printf("warning: %d file%s changed since applied; restore %s, or put the change in a new revision\n",
			   k->nchanged, k->nchanged == 1 ? "" : "s", k->nchanged == 1 ? "it" : "them");
	if (k->nmissing > 0)
		printf("warning: %d applied revision%s without a file\n",
			   k->nmissing, k->nmissing == 1 ? "" : "s");
	if (k->nooo > 0)
		printf("warning: %d revision%s out of order (older than an applied one)\n",
			   k->nooo, k->nooo == 1 ? "" : "s");
}

/* Render the status as text. */
static void
print_status(const Status *st)
{
	const RevCounts *k = &st->in->counts;

	print_status_revisions(st);
	printf("\nApplied: %d\nPending: %d\n", k->napplied - k->nhalf, k->npending);
	if (st->nheads > 0)
		printf("Head%s: %s\n", st->nheads > 1 ? "s" : "", st->heads);
	if (st->environment)
		printf("Environment: %s\n", shown(st->environment));
	/* dbmate's is the default: only another layout is named */
	if (st->in->project.format && strcmp(st->in->project.format, "dbmate") != 0)
		printf("Format: %s\n", st->in->project.format);
	if (st->repeatables)
		printf("Repeatable migrations to apply: %s\n", st->repeatables);
	if (st->drift.n > 0)
		print_drift(&st->drift);
	print_status_warnings(st);
}

/* Append one revision of the status as a JSON object. */
static void
json_status_revision(PQExpBuffer buf, const RevFacts *f)
{
	const Rev  *rev = f->rev;
	bool		first = true;

	json_open_revision(buf, &first, rev);
	json_key(buf, &first, "file");
	json_string(buf, rev->file ? rev->file->path : NULL);
	json_bool(buf, &first, "applied", f->complete);
	json_key(buf, &first, "state");
	json_string(buf, json_rev_state(f));
	json_count(buf, &first, "statements_done",
			   f->applied ? rev->db->statements_done : -1);
	json_key(buf, &first, "method");
	json_string(buf, f->applied ? rev->db->method : NULL);
	json_key(buf, &first, "applied_at");
	json_string(buf, f->applied ? rev->db->applied_at : NULL);
	json_bool(buf, &first, "head", f->head);
	json_bool(buf, &first, "current", f->current);
	json_bool(buf, &first, "changed", f->changed);
	json_bool(buf, &first, "file_missing", f->missing);
	json_bool(buf, &first, "out_of_order", f->out_of_order);
	appendPQExpBufferChar(buf, '}');
}

/* Append a JSON array of the ids of the heads, or of the current revisions. */
void
json_id_list(PQExpBuffer buf, const Inspect *in, bool current)
{
	bool		first = true;
	int			i;

	appendPQExpBufferChar(buf, '[');
	for (i = 0; i < in->view.graph.n; i++)
		if (current ? in->facts[i].current : in->facts[i].head)
		{
			if (!first)
				appendPQExpBufferChar(buf, ',');
			first = false;
			json_string(buf, in->facts[i].node->id);
		}
	appendPQExpBufferChar(buf, ']');
}

/* Append the drift as a JSON array; null when the database does not track it. */
void
json_drift(PQExpBuffer buf, const Drift *drift)
{
	int			i;

	if (!drift->tracked)
	{
		appendPQExpBufferStr(buf, "null");
		return;
	}
	appendPQExpBufferChar(buf, '[');
	for (i = 0; i < drift->n; i++)
	{
		bool		first = true;

		if (i > 0)
			appendPQExpBufferChar(buf, ',');
		appendPQExpBufferChar(buf, '{');
		json_key(buf, &first, "change");
		json_string(buf, DRIFT_CHANGE(drift, i));
		json_key(buf, &first, "object");
		json_string(buf, DRIFT_OBJECT(drift, i));
		appendPQExpBufferChar(buf, '}');
	}
	appendPQExpBufferChar(buf, ']');
}

/* Render the status as JSON. */
static void
print_status_json(const Status *st)
{
	const Inspect *in = st->in;
	const RevCounts *k = &in->counts;
	PQExpBufferData buf;
	bool		first = true;
	int			i;

	initPQExpBuffer(&buf);
	appendPQExpBufferChar(&buf, '{');
	json_key(&buf, &first, "database");
	json_string(&buf, st->database);
	json_key(&buf, &first, "environment");
	json_string(&buf, st->environment);
	json_key(&buf, &first, "format");
	json_string(&buf, in->project.format ? in->project.format : "dbmate");
	json_key(&buf, &first, "revisions");
	appendPQExpBufferChar(&buf, '[');
	for (i = 0; i < in->view.graph.n; i++)
	{
		if (i > 0)
			appendPQExpBufferChar(&buf, ',');
		json_status_revision(&buf, &in->facts[i]);
	}
	appendPQExpBufferChar(&buf, ']');
	json_int(&buf, &first, "applied", k->napplied - k->nhalf);
	json_int(&buf, &first, "pending", k->npending);
	json_key(&buf, &first, "heads");
	json_id_list(&buf, in, false);
	json_key(&buf, &first, "current");
	json_id_list(&buf, in, true);
	json_int(&buf, &first, "changed", k->nchanged);
	json_int(&buf, &first, "half_done", k->nhalf);
	json_int(&buf, &first, "out_of_order", k->nooo);
	json_int(&buf, &first, "files_missing", k->nmissing);
	json_key(&buf, &first, "drift");
	json_drift(&buf, &st->drift);
	json_key(&buf, &first, "drift_since");
	json_string(&buf, st->drift.n > 0 ? DRIFT_SINCE(&st->drift) : NULL);
	appendPQExpBufferStr(&buf, "}\n");
	fputs(buf.data, stdout);
	termPQExpBuffer(&buf);
}

/* pgmig status */
int
cmd_status(const Options *opts)
{
	Status		st;

	compute_status(opts, &st);
	if (opts->json)
		print_status_json(&st);
	else
		print_status(&st);
	free_status(&st);
	return EXIT_OK;
}

/*
 * Append a revision of "current" or "heads" as a JSON object: id,
 * description, whether it is a head, and its state in the database as
 * status --json says it (NULL offline).
 */
static void
json_head_revision(PQExpBuffer buf, const Inspect *in, const RevFacts *f)
{
	bool		first = true;

	json_open_revision(buf, &first, f->rev);
	json_bool(buf, &first, "head", f->head);
	json_key(buf, &first, "state");
	json_string(buf, in->online ? json_rev_state(f) : NULL);
	appendPQExpBufferChar(buf, '}');
}

/* Print the revisions "nodes" (n) as text lines or, with --json, an array. */
static void
print_head_list(const Options *opts, const Inspect *in, const int *nodes, int n,
				bool current)
{
	PQExpBufferData buf;
	int			i;

	if (!opts->json)
	{
		for (i = 0; i < n; i++)
		{
			const RevFacts *f = &in->facts[nodes[i]];

			if (current)
				printf("%s %s%s%s\n", f->rev->id, shown(f->rev->description),
					   f->head ? " (head)" : "",
					   f->complete ? "" : " (half-done)");
			else
				printf("%s %s%s\n", f->rev->id, shown(f->rev->description),
					   in->online ? (f->node->applied ? " (applied)" : " (pending)") : "");
		}
		return;
	}
	initPQExpBuffer(&buf);
	appendPQExpBufferChar(&buf, '[');
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendPQExpBufferChar(&buf, ',');
		json_head_revision(&buf, in, &in->facts[nodes[i]]);
	}
	appendPQExpBufferStr(&buf, "]\n");
	fputs(buf.data, stdout);
	termPQExpBuffer(&buf);
}

/* pgmig current: the applied revisions without an applied child. */
int
cmd_current(const Options *opts)
{
	Inspect    *in = inspect_open(opts, true);
	int		   *nodes = pg_malloc((in->view.graph.n + 1) * sizeof(int));
	int			n = 0;
	int			i;

	for (i = 0; i < in->view.graph.n; i++)
		if (in->facts[i].current)
			nodes[n++] = i;
	print_head_list(opts, in, nodes, n, true);
	pg_free(nodes);
	inspect_close(in);
	return EXIT_OK;
}

/* pgmig heads */
int
cmd_heads(const Options *opts)
{
	Inspect    *in = inspect_open(opts, !opts->offline);
	int		   *heads;
	int			nheads;

	nheads = pgmig_graph_heads(&in->view.graph, &heads);
	print_head_list(opts, in, heads, nheads, false);
	pg_free(heads);
	inspect_close(in);
	return EXIT_OK;
}
