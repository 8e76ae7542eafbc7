/*-------------------------------------------------------------------------
 *
 * history.c
 *	  The revisions and what happened to them: "pgmig history [-v]" and
 *	  "pgmig show REV".
 *
 * Both describe revisions the same way (parents, a one-line state, the
 * audit log), computed first and rendered after: history as lines, blocks
 * (-v) or JSON, show as a block with the scripts.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* What history and show say of one revision, beyond its facts. */
typedef struct RevHistory
{
	const RevFacts *f;
	char	   *parents;		/* "<base>", "a" or "(a, b)" */
	char	   *state;			/* one line, e.g. "applied ... by ... in ..." */
} RevHistory;

/* What "pgmig history" reports. */
typedef struct History
{
	Inspect    *in;
	PGresult   *events;			/* the audit log (-v, online), or NULL */
	int			n;
	RevHistory *revs;			/* newest first */
} History;

/* "<base>", "a" or "(a, b)": the parents of node i. */
static char *
parent_list(const PgmigGraph *g, int i)
{
	const PgmigNode *node = &g->nodes[i];
	char	   *list;
	char	   *out;

	if (node->nparents == 0)
		return pg_strdup("<base>");
	list = pgmig_graph_id_list(g, node->parents, node->nparents, node->nparents);
	if (node->nparents == 1)
		return list;
	out = psprintf("(%s)", list);
	pg_free(list);
	return out;
}

/* The one-line state of a revision. */
static char *
state_line(const Inspect *in, const RevFacts *f)
{
	const DbRev *d = f->rev->db;
	char	   *dur;
	char	   *line;

	if (!in->online)
		return pg_strdup("unknown (offline)");
	if (!f->applied)
		return pg_strdup("pending");
	if (!f->complete)
		return psprintf("%s after %d statement%s (no transaction)",
						shown(f->state), d->statements_done,
						d->statements_done == 1 ? "" : "s");
	dur = d->duration ? format_ms(d->duration) : NULL;
	line = psprintf("%s %s by %s%s%s",
					d->method ? shown(d->method) : "applied",
					d->applied_at ? shown(d->applied_at) : "?",
					d->applied_by ? shown(d->applied_by) : "?",
					dur ? " in " : "", dur ? dur : "");
	pg_free(dur);
	return line;
}

/* Describe node i. */
static void
describe_rev(const Inspect *in, int i, RevHistory *h)
{
	h->f = &in->facts[i];
	h->parents = parent_list(&in->view.graph, i);
	h->state = state_line(in, h->f);
}

/* Free what describe_rev allocated. */
static void
free_rev_history(RevHistory *h)
{
	pg_free(h->parents);
	pg_free(h->state);
}

/* Audit log rows of all revisions (for history -v), or NULL. */
static PGresult *
read_events(Inspect *in)
{
	return query(&in->c,
				 "SELECT revision, " ISO_TIME("at") ", action, role, success, "
				 MILLISECONDS("duration") ", sqlstate, message"
				 " FROM pgmig.events ORDER BY event_id", 0, NULL);
}

/* Compute the history: every revision, newest first; exits on error. */
static void
compute_history(const Options *opts, History *h)
{
	const PgmigGraph *g;
	int			k;

	memset(h, 0, sizeof(*h));
	h->in = inspect_open(opts, !opts->offline);
	g = &h->in->view.graph;
	if (h->in->online && opts->verbose &&
		(h->events = read_events(h->in)) == NULL)
		inspect_fail(h->in);
	h->n = g->n;
	h->revs = pg_malloc0(h->n * sizeof(RevHistory));
	/* newest first: the topological order, backwards */
	for (k = 0; k < h->n; k++)
		describe_rev(h->in, g->order[h->n - 1 - k], &h->revs[k]);
}

/* Free what compute_history computed, and close. */
static void
free_history(History *h)
{
	int			k;

	for (k = 0; k < h->n; k++)
		free_rev_history(&h->revs[k]);
	pg_free(h->revs);
	if (h->events)
		PQclear(h->events);
	inspect_close(h->in);
}

/* Print " (head)", " (current)", " (branchpoint)", " (mergepoint)" as they apply. */
static void
print_marks(const RevFacts *f)
{
	printf("%s%s%s%s",
		   f->head ? " (head)" : "",
		   f->current ? " (current)" : "",
		   f->node->nchildren > 1 ? " (branchpoint)" : "",
		   f->node->nparents > 1 ? " (mergepoint)" : "");
}

/* Print "Labels: a b" if the revision has labels. */
static void
print_labels(const PgmigNode *node)
{
	int			j;

	if (node->nlabels == 0)
		return;
	printf("Labels:");
	for (j = 0; j < node->nlabels; j++)
		printf(" %s", shown(node->labels[j]));
	printf("\n");
}

/* Print the audit log of one revision, indented. */
static void
print_events(PGresult *ev, const char *id)
{
	int			r;
	bool		any = false;

	for (r = 0; ev && r < PQntuples(ev); r++)
	{
		char	   *dur;

		if (PQgetisnull(ev, r, 0) || strcmp(PQgetvalue(ev, r, 0), id) != 0)
			continue;
		if (!any)
			printf("Log:\n");
		any = true;
		dur = PQgetisnull(ev, r, 5) ? NULL : format_ms(PQgetvalue(ev, r, 5));
		printf("    %s  %s by %s%s%s%s%s%s\n",
			   PQgetvalue(ev, r, 1), shown(PQgetvalue(ev, r, 2)),
			   shown(PQgetvalue(ev, r, 3)),
			   dur ? " in " : "", dur ? dur : "",
			   PQgetvalue(ev, r, 4)[0] == 't' ? "" : ": failed",
			   PQgetisnull(ev, r, 7) ? "" : ": ",
			   PQgetisnull(ev, r, 7) ? "" : shown(PQgetvalue(ev, r, 7)));
		pg_free(dur);
	}
}

/* history: "PARENTS -> REV (marks), description" */
static void
print_history_line(const RevHistory *h)
{
	printf("%s -> %s", h->parents, h->f->rev->id);
	print_marks(h->f);
	printf(", %s\n", shown(h->f->rev->description));
}

/* history -v: a block per revision, with its audit log. */
static void
print_history_block(const History *hist, const RevHistory *h)
{
	const RevFacts *f = h->f;
	const PgmigNode *node = f->node;

	printf("Rev: %s", f->rev->id);
	print_marks(f);
	printf("\n");
	printf("Parent%s: %s\n", node->nparents > 1 ? "s" : "", h->parents);
	if (node->nchildren > 1)
	{
		char	   *kids = pgmig_graph_id_list(&hist->in->view.graph,
											   node->children,
											   node->nchildren,
											   node->nchildren);

		printf("Branches into: %s\n", kids);
		pg_free(kids);
	}
	print_labels(node);
	printf("Path: %s\n", f->rev->file ? f->rev->file->path : "(file missing)");
	printf("State: %s\n", h->state);
	print_events(hist->events, f->rev->id);
	printf("\n    %s\n\n", shown(f->rev->description));
}

/* Append the audit log of one revision as a JSON array. */
static void
json_events(PQExpBuffer buf, PGresult *ev, const char *id)
{
	int			r;
	bool		firstev = true;

	appendPQExpBufferChar(buf, '[');
	for (r = 0; ev && r < PQntuples(ev); r++)
	{
		bool		f = true;

		if (PQgetisnull(ev, r, 0) || strcmp(PQgetvalue(ev, r, 0), id) != 0)
			continue;
		if (!firstev)
			appendPQExpBufferChar(buf, ',');
		firstev = false;
		appendPQExpBufferChar(buf, '{');
		json_key(buf, &f, "at");
		json_string(buf, PQgetvalue(ev, r, 1));
		json_key(buf, &f, "action");
		json_string(buf, PQgetvalue(ev, r, 2));
		json_key(buf, &f, "role");
		json_string(buf, PQgetvalue(ev, r, 3));
		json_bool(buf, &f, "success", PQgetvalue(ev, r, 4)[0] == 't');
		json_key(buf, &f, "duration_ms");
		appendPQExpBufferStr(buf, PQgetisnull(ev, r, 5) ? "null" : PQgetvalue(ev, r, 5));
		json_key(buf, &f, "sqlstate");
		json_string(buf, PQgetisnull(ev, r, 6) ? NULL : PQgetvalue(ev, r, 6));
		json_key(buf, &f, "message");
		json_string(buf, PQgetisnull(ev, r, 7) ? NULL : PQgetvalue(ev, r, 7));
		appendPQExpBufferChar(buf, '}');
	}
	appendPQExpBufferChar(buf, ']');
}

/* Append the ids of some nodes (parents, children) as a JSON array. */
static void
json_node_ids(PQExpBuffer buf, const PgmigGraph *g, int n, const int *nodes)
{
	char	  **ids = pg_malloc(n * sizeof(char *));
	int			j;

	for (j = 0; j < n; j++)
		ids[j] = g->nodes[nodes[j]].id;
	json_string_array(buf, n, ids);
	pg_free(ids);
}

/* Append what the database knows of one revision (online) to its object. */
static void
json_history_state(PQExpBuffer buf, bool *first, const History *hist,
				   const RevFacts *f)
{
	const DbRev *d = f->rev->db;

	json_bool(buf, first, "current", f->current);
	json_bool(buf, first, "applied", f->complete);
	json_key(buf, first, "state");
	json_string(buf, json_rev_state(f));
	json_key(buf, first, "applied_at");
	json_string(buf, f->applied ? d->applied_at : NULL);
	json_key(buf, first, "applied_by");
	json_string(buf, f->applied ? d->applied_by : NULL);
	json_key(buf, first, "duration_ms");
	appendPQExpBufferStr(buf, f->applied && d->duration ? d->duration : "null");
	if (hist->in->opts->verbose)
	{
		json_key(buf, first, "events");
		json_events(buf, hist->events, f->rev->id);
	}
}

/* Append one revision of the history as a JSON object. */
static void
json_history_rev(PQExpBuffer buf, const History *hist, const RevHistory *h)
{
	const PgmigGraph *g = &hist->in->view.graph;
	const RevFacts *f = h->f;
	const PgmigNode *node = f->node;
	bool		first = true;

	json_open_revision(buf, &first, f->rev);
	json_key(buf, &first, "parents");
	json_node_ids(buf, g, node->nparents, node->parents);
	json_key(buf, &first, "children");
	json_node_ids(buf, g, node->nchildren, node->children);
	json_key(buf, &first, "labels");
	json_string_array(buf, node->nlabels, node->labels);
	json_key(buf, &first, "file");
	json_string(buf, f->rev->file ? f->rev->file->path : NULL);
	json_bool(buf, &first, "head", f->head);
	if (hist->in->online)
		json_history_state(buf, &first, hist, f);
	appendPQExpBufferChar(buf, '}');
}

/* Render the history as JSON. */
static void
print_history_json(const History *hist)
{
	PQExpBufferData buf;
	int			k;

	initPQExpBuffer(&buf);
	appendPQExpBufferChar(&buf, '[');
	for (k = 0; k < hist->n; k++)
	{
		if (k > 0)
			appendPQExpBufferChar(&buf, ',');
		json_history_rev(&buf, hist, &hist->revs[k]);
	}
	appendPQExpBufferStr(&buf, "]\n");
	fputs(buf.data, stdout);
	termPQExpBuffer(&buf);
}

/* pgmig history [-v] */
int
cmd_history(const Options *opts)
{
	History		hist;
	int			k;

	compute_history(opts, &hist);
	if (opts->json)
		print_history_json(&hist);
	else
		for (k = 0; k < hist.n; k++)
		{
			if (opts->verbose)
				print_history_block(&hist, &hist.revs[k]);
			else
				print_history_line(&hist.revs[k]);
		}
	free_history(&hist);
	return EXIT_OK;
}

/* Print a script with its first line number. */
static void
print_script(const char *title, const char *text, int line)
{
	printf("\n-- %s (line %d)\n%s", title, line, text);
	if (text[0] != '\0' && text[strlen(text) - 1] != '\n')
		printf("\n");
}

/* show: how the file says a revision runs. */
static void
print_file_settings(const PgmigScript *script)
{
	printf("Transaction: %s\n", script->transactional ? "yes" : "no");
	if (script->lock_timeout)
		printf("Lock timeout: %s\n", shown(script->lock_timeout));
	printf("Reversible: %s\n", script->down ? "yes" : "no");
}

/* show: the scripts of a file. */
static void
print_scripts(const PgmigScript *script)
{
	print_script("migrate:up", script->up, script->up_line);
	if (script->down)
		print_script("migrate:down", script->down, script->down_line);
}

/* Render "pgmig show" as text. */
static void
print_show(const Inspect *in, const RevHistory *h)
{
	const RevFacts *f = h->f;
	const Rev  *rev = f->rev;
	const PgmigNode *node = f->node;
	int			j;

	printf("Revision: %s%s%s\n", rev->id, f->head ? " (head)" : "",
		   f->current ? " (current)" : "");
	printf("Description: %s\n", shown(rev->description));
	printf("File: %s\n", rev->file ? rev->file->path : "(missing)");
	printf("Parents: %s\n", h->parents);
	printf("Children:");
	for (j = 0; j < node->nchildren; j++)
		printf("%s %s", j > 0 ? "," : "", in->view.graph.nodes[node->children[j]].id);
	printf("%s\n", node->nchildren == 0 ? " (none)" : "");
	print_labels(node);
	if (rev->file)
		print_file_settings(&rev->file->script);
	printf("State: %s\n", h->state);
	if (rev->file)
		printf("Checksum: %s\n", rev->file->script.up_checksum);
	if (f->applied && rev->db->applied_checksum)
		printf("Checksum as applied: %s%s\n", shown(rev->db->applied_checksum),
			   f->changed ? " (the file has changed since)" : "");
	if (rev->file)
		print_scripts(&rev->file->script);
}

/* Append a script of a file as a JSON object: its first line and text. */
static void
json_script(PQExpBuffer buf, const char *text, int line)
{
	bool		first = true;

	if (text == NULL)
	{
		appendPQExpBufferStr(buf, "null");
		return;
	}
	appendPQExpBufferChar(buf, '{');
	json_int(buf, &first, "line", line);
	json_key(buf, &first, "sql");
	json_string(buf, text);
	appendPQExpBufferChar(buf, '}');
}

/* Render "pgmig show" as JSON (json-schema/show.json). */
static void
print_show_json(const Inspect *in, const RevFacts *f)
{
	const Rev  *rev = f->rev;
	const PgmigNode *node = f->node;
	const PgmigScript *script = rev->file ? &rev->file->script : NULL;
	PQExpBufferData buf;
	bool		first = true;

	initPQExpBuffer(&buf);
	json_open_revision(&buf, &first, rev);
	json_key(&buf, &first, "file");
	json_string(&buf, rev->file ? rev->file->path : NULL);
	json_key(&buf, &first, "parents");
	json_node_ids(&buf, &in->view.graph, node->nparents, node->parents);
	json_key(&buf, &first, "children");
	json_node_ids(&buf, &in->view.graph, node->nchildren, node->children);
	json_key(&buf, &first, "labels");
	json_string_array(&buf, node->nlabels, node->labels);
	json_bool(&buf, &first, "head", f->head);
	json_bool(&buf, &first, "current", f->current);
	json_key(&buf, &first, "transactional");
	appendPQExpBufferStr(&buf, !script ? "null" : script->transactional ? "true" : "false");
	json_key(&buf, &first, "lock_timeout");
	json_string(&buf, script ? script->lock_timeout : NULL);
	json_key(&buf, &first, "reversible");
	appendPQExpBufferStr(&buf, !script ? "null" : script->down ? "true" : "false");
	json_key(&buf, &first, "state");
	json_string(&buf, in->online ? json_rev_state(f) : NULL);
	json_key(&buf, &first, "checksum");
	json_string(&buf, script ? script->up_checksum : NULL);
	json_key(&buf, &first, "applied_checksum");
	json_string(&buf, f->applied ? rev->db->applied_checksum : NULL);
	json_bool(&buf, &first, "changed", f->changed);
	json_key(&buf, &first, "up");
	json_script(&buf, script ? script->up : NULL, script ? script->up_line : 0);
	json_key(&buf, &first, "down");
	json_script(&buf, script ? script->down : NULL, script ? script->down_line : 0);
	appendPQExpBufferChar(&buf, '}');
	json_print(&buf);
	termPQExpBuffer(&buf);
}

/* pgmig show REV */
int
cmd_show(const Options *opts)
{
	Inspect    *in = inspect_open(opts, !opts->offline);
	PgmigError	err;
	RevHistory	h;
	int			i;

	memset(&err, 0, sizeof(err));
	i = pgmig_graph_resolve(&in->view.graph, opts->args[0], &err);
	if (i < 0)
	{
		report_pgmig_error(&err);
		inspect_fail(in);
	}
	describe_rev(in, i, &h);
	if (opts->json)
		print_show_json(in, h.f);
	else
		print_show(in, &h);
	free_rev_history(&h);
	inspect_close(in);
	return EXIT_OK;
}
