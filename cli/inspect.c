/*-------------------------------------------------------------------------
 *
 * inspect.c
 *	  The commands that only look: status, current, heads, history, show
 *	  and check.
 *
 * They change nothing: the files are merged with one read of the catalog
 * into a revision graph (built with the shared core), so that they show
 * what "pgmig up" would see, and they work for a role that may only read
 * the catalog.  heads, history, show and check also work --offline, from
 * the files alone.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* Everything the inspecting commands look at. */
typedef struct Inspect
{
	const Options *opts;
	Project		project;
	bool		online;
	Conn		c;
	Catalog		cat;
	View		view;
	bool	   *out_of_order;	/* by node */
	bool	   *current;		/* by node: applied, no applied child */
} Inspect;

/* What the command looks at; file-scope so that it stays reachable on exit. */
static Inspect in;

/* Per-revision facts derived from file and catalog. */
typedef struct RevFacts
{
	bool		applied;		/* has a schema_migrations row */
	bool		complete;		/* applied and not half-done */
	bool		changed;		/* file differs from the script as applied */
	bool		missing;		/* no file */
	bool		head;
	bool		out_of_order;
	bool		current;
	const char *state;
} RevFacts;

/* Disconnect and exit with status 1. */
static void inspect_fail(Inspect *in) pg_attribute_noreturn();

static void
inspect_fail(Inspect *in)
{
	if (in->online && in->c.conn)
		disconnect_db(&in->c);
	exit(EXIT_ERROR);
}

/* Read files and, when online, the catalog; build the graph.  Exits on error. */
static void
inspect_open(const Options *opts, Inspect *in, bool online)
{
	int			n,
				i,
				j,
				nooo;
	int		   *ooo;
	bool		ok;

	memset(in, 0, sizeof(*in));
	in->opts = opts;
	in->online = online;
	if (!find_project(opts, true, &in->project))
		exit(EXIT_ERROR);
	/* status, show and check compare applied scripts with the files */
	in->project.inspecting = true;
	in->project.checking = opts->command->cmd == CMD_CHECK;
	ok = load_files(&in->project);
	ok = check_duplicates(&in->project) && ok;
	if (!ok)
		exit(EXIT_ERROR);
	if (online)
	{
		connect_db(opts, &in->c);
		if (!handshake(&in->c, false) ||
			!read_catalog(&in->c, &in->project, &in->cat))
			inspect_fail(in);
	}
	if (!build_view(&in->project, online ? &in->cat : NULL, &in->view))
		inspect_fail(in);

	n = in->view.graph.n;
	in->out_of_order = pg_malloc0((n > 0 ? n : 1) * sizeof(bool));
	in->current = pg_malloc0((n > 0 ? n : 1) * sizeof(bool));
	nooo = pgmig_graph_out_of_order(&in->view.graph, &ooo);
	for (i = 0; i < nooo; i++)
		in->out_of_order[ooo[i]] = true;
	pg_free(ooo);
	for (i = 0; i < n; i++)
	{
		PgmigNode  *node = &in->view.graph.nodes[i];

		if (!node->applied)
			continue;
		in->current[i] = true;
		for (j = 0; j < node->nchildren; j++)
			if (in->view.graph.nodes[node->children[j]].applied)
				in->current[i] = false;
	}
}

/* Close what inspect_open opened, and free it. */
static void
inspect_close(Inspect *in)
{
	if (in->online && in->c.conn)
		disconnect_db(&in->c);
	pg_free(in->out_of_order);
	pg_free(in->current);
	free_view(&in->view);
	if (in->online)
		free_catalog(&in->cat);
	free_project(&in->project);
}

/* The facts of node i. */
static RevFacts
facts(const Inspect *in, int i)
{
	RevFacts	f;
	Rev		   *rev = view_rev(&in->view, i);
	DbRev	   *d = rev->db;

	memset(&f, 0, sizeof(f));
	f.applied = d != NULL && d->applied;
	f.state = f.applied ? d->state : NULL;
	f.complete = f.applied && (d->state == NULL || strcmp(d->state, "complete") == 0);
	f.changed = f.complete && rev->file != NULL && d->applied_checksum != NULL &&
		strcmp(d->applied_checksum, rev->file->script.up_checksum) != 0;
	f.missing = rev->file == NULL;
	f.head = in->view.graph.nodes[i].nchildren == 0;
	f.out_of_order = in->out_of_order[i];
	f.current = in->current[i];
	return f;
}

/* The name a revision is listed by: its file, or its id and description. */
static char *
rev_label(const Rev *rev)
{
	if (rev->file)
		return pg_strdup(rev->file->script.file_name);
	return psprintf("%s %s", rev->id, shown(rev->description));
}

/* The ids of the heads, comma separated. */
static char *
head_list(const Inspect *in, int *nheads)
{
	int		   *heads;
	char	   *list;

	*nheads = pgmig_graph_heads(&in->view.graph, &heads);
	list = pgmig_graph_id_list(&in->view.graph, heads, *nheads, *nheads);
	pg_free(heads);
	return list;
}

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

/* Most drifted objects the status names. */
#define DRIFT_SHOWN 5

/* Changes of the schema made outside migrations since the last run. */
typedef struct Drift
{
	bool		tracked;		/* pgmig.track_drift is on */
	PGresult   *rows;			/* change, object, since (ISO 8601); NULL if
								 * not tracked */
} Drift;

/* Read mig_drift(), unless the database does not track drift; exits on error. */
static void
read_drift(Inspect *in, Drift *drift)
{
	PGresult   *res;
	char	   *sql;

	memset(drift, 0, sizeof(*drift));
	/* before the module is loaded the setting may be unset: its default is on */
	res = query(&in->c, "SELECT COALESCE(pg_catalog.current_setting('pgmig.track_drift', true), 'on')::pg_catalog.bool",
				0, NULL);
	if (res == NULL)
		inspect_fail(in);
	drift->tracked = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	if (!drift->tracked)
		return;
	sql = psprintf("SELECT change, object, " ISO_TIME("since")
				   " FROM %s.mig_drift() ORDER BY object COLLATE pg_catalog.\"C\"",
				   in->c.extschema);
	drift->rows = query(&in->c, sql, 0, NULL);
	pfree(sql);
	if (drift->rows == NULL)
		inspect_fail(in);
}

/* How many objects drifted. */
static int
drift_count(const Drift *drift)
{
	return drift->rows ? PQntuples(drift->rows) : 0;
}

/* Free what read_drift read. */
static void
free_drift(Drift *drift)
{
	if (drift->rows)
		PQclear(drift->rows);
	drift->rows = NULL;
}

/* The notes of a status line, e.g. "head, changed since it was applied". */
static void
status_notes(PQExpBuffer buf, const Rev *rev, const RevFacts *f)
{
	const char *sep = "";

#define NOTE(...) do { appendPQExpBufferStr(buf, sep); \
		appendPQExpBuffer(buf, __VA_ARGS__); sep = ", "; } while (0)
	if (f->applied && !f->complete)
	{
		if (rev->db->statements_done >= 0)
			NOTE("no transaction: %s after %d statement%s", shown(f->state),
				 rev->db->statements_done,
				 rev->db->statements_done == 1 ? "" : "s");
		else
			NOTE("no transaction: %s", shown(f->state));
	}
	if (f->applied && rev->db->method && strcmp(rev->db->method, "stamped") == 0)
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

/* Append a JSON array of the ids of the nodes in "mask" (NULL: the heads). */
static void
json_id_list(PQExpBuffer buf, const PgmigGraph *g, const bool *mask)
{
	bool		first = true;
	int			i;

	appendPQExpBufferChar(buf, '[');
	for (i = 0; i < g->n; i++)
		if (mask ? mask[i] : g->nodes[i].nchildren == 0)
		{
			if (!first)
				appendPQExpBufferChar(buf, ',');
			first = false;
			json_string(buf, g->nodes[i].id);
		}
	appendPQExpBufferChar(buf, ']');
}

/* pgmig status */
int
cmd_status(const Options *opts)
{
	PgmigGraph *g;
	PQExpBufferData buf;
	int			napplied = 0,
				npending = 0,
				nchanged = 0,
				nhalf = 0,
				nooo = 0,
				nmissing = 0,
				nheads;
	char	   *heads;
	char	   *env;
	Drift		drift;
	int			ndrift;
	int			i;
	bool		first = true;

	inspect_open(opts, &in, true);
	g = &in.view.graph;
	env = environment(&in);
	read_drift(&in, &drift);
	ndrift = drift_count(&drift);
	heads = head_list(&in, &nheads);
	initPQExpBuffer(&buf);

	if (opts->json)
	{
		appendPQExpBufferChar(&buf, '{');
		json_key(&buf, &first, "database");
		json_string(&buf, PQdb(in.c.conn));
		json_key(&buf, &first, "environment");
		json_string(&buf, env);
		json_key(&buf, &first, "revisions");
		appendPQExpBufferChar(&buf, '[');
	}
	for (i = 0; i < g->n; i++)
	{
		Rev		   *rev = view_rev(&in.view, i);
		RevFacts	f = facts(&in, i);
		char	   *label = rev_label(rev);
		PQExpBufferData notes;

		napplied += f.applied;
		npending += !f.applied;
		nchanged += f.changed;
		nhalf += f.applied && !f.complete;
		nooo += f.out_of_order;
		nmissing += f.missing;
		initPQExpBuffer(&notes);
		status_notes(&notes, rev, &f);
		if (opts->json)
		{
			bool		rfirst = true;

			if (i > 0)
				appendPQExpBufferChar(&buf, ',');
			appendPQExpBufferChar(&buf, '{');
			json_key(&buf, &rfirst, "revision");
			json_string(&buf, rev->id);
			json_key(&buf, &rfirst, "description");
			json_string(&buf, rev->description);
			json_key(&buf, &rfirst, "file");
			json_string(&buf, rev->file ? rev->file->path : NULL);
			json_key(&buf, &rfirst, "applied");
			appendPQExpBufferStr(&buf, f.complete ? "true" : "false");
			json_key(&buf, &rfirst, "state");
			json_string(&buf, f.applied ? (f.state ? f.state : "complete") : "pending");
			json_key(&buf, &rfirst, "statements_done");
			if (f.applied && rev->db->statements_done >= 0)
				appendPQExpBuffer(&buf, "%d", rev->db->statements_done);
			else
				appendPQExpBufferStr(&buf, "null");
			json_key(&buf, &rfirst, "method");
			json_string(&buf, f.applied ? rev->db->method : NULL);
			json_key(&buf, &rfirst, "applied_at");
			json_string(&buf, f.applied ? rev->db->applied_at : NULL);
			json_key(&buf, &rfirst, "head");
			appendPQExpBufferStr(&buf, f.head ? "true" : "false");
			json_key(&buf, &rfirst, "current");
			appendPQExpBufferStr(&buf, f.current ? "true" : "false");
			json_key(&buf, &rfirst, "changed");
			appendPQExpBufferStr(&buf, f.changed ? "true" : "false");
			json_key(&buf, &rfirst, "file_missing");
			appendPQExpBufferStr(&buf, f.missing ? "true" : "false");
			json_key(&buf, &rfirst, "out_of_order");
			appendPQExpBufferStr(&buf, f.out_of_order ? "true" : "false");
			appendPQExpBufferChar(&buf, '}');
		}
		else
			printf("[%s] %s%s%s%s\n",
				   !f.applied ? " " : (f.complete ? "X" : "!"),
				   label, notes.len > 0 ? "  (" : "", notes.data,
				   notes.len > 0 ? ")" : "");
		termPQExpBuffer(&notes);
		pg_free(label);
	}

	if (opts->json)
	{
		appendPQExpBufferChar(&buf, ']');
		json_key(&buf, &first, "applied");
		appendPQExpBuffer(&buf, "%d", napplied - nhalf);
		json_key(&buf, &first, "pending");
		appendPQExpBuffer(&buf, "%d", npending);
		json_key(&buf, &first, "heads");
		json_id_list(&buf, g, NULL);
		json_key(&buf, &first, "current");
		json_id_list(&buf, g, in.current);
		json_key(&buf, &first, "changed");
		appendPQExpBuffer(&buf, "%d", nchanged);
		json_key(&buf, &first, "half_done");
		appendPQExpBuffer(&buf, "%d", nhalf);
		json_key(&buf, &first, "out_of_order");
		appendPQExpBuffer(&buf, "%d", nooo);
		json_key(&buf, &first, "files_missing");
		appendPQExpBuffer(&buf, "%d", nmissing);
		/* null when the database does not track drift */
		json_key(&buf, &first, "drift");
		if (!drift.tracked)
			appendPQExpBufferStr(&buf, "null");
		else
		{
			appendPQExpBufferChar(&buf, '[');
			for (i = 0; i < ndrift; i++)
			{
				bool		dfirst = true;

				if (i > 0)
					appendPQExpBufferChar(&buf, ',');
				appendPQExpBufferChar(&buf, '{');
				json_key(&buf, &dfirst, "change");
				json_string(&buf, PQgetvalue(drift.rows, i, 0));
				json_key(&buf, &dfirst, "object");
				json_string(&buf, PQgetvalue(drift.rows, i, 1));
				appendPQExpBufferChar(&buf, '}');
			}
			appendPQExpBufferChar(&buf, ']');
		}
		json_key(&buf, &first, "drift_since");
		json_string(&buf, ndrift > 0 ? PQgetvalue(drift.rows, 0, 2) : NULL);
		appendPQExpBufferStr(&buf, "}\n");
		fputs(buf.data, stdout);
	}
	else
	{
		printf("\nApplied: %d\nPending: %d\n", napplied - nhalf, npending);
		if (nheads > 0)
			printf("Head%s: %s\n", nheads > 1 ? "s" : "", heads);
		if (env)
			printf("Environment: %s\n", shown(env));
		if (ndrift > 0)
		{
			printf("Drift: %d object%s changed outside migrations since %s: ",
				   ndrift, ndrift == 1 ? "" : "s", PQgetvalue(drift.rows, 0, 2));
			for (i = 0; i < ndrift && i < DRIFT_SHOWN; i++)
				printf("%s%s (%s)", i > 0 ? ", " : "",
					   shown(PQgetvalue(drift.rows, i, 1)),
					   shown(PQgetvalue(drift.rows, i, 0)));
			if (ndrift > DRIFT_SHOWN)
				printf(" and %d more; \"%s check --drift\" lists them",
					   ndrift - DRIFT_SHOWN, progname);
			printf("\n");
		}
		if (nheads > 1)
			printf("warning: %d heads; \"%s up\" needs one: merge them with \"%s merge\", or run \"%s up heads\"\n",
				   nheads, progname, progname, progname);
		if (nhalf > 0)
			printf("warning: %d no-transaction revision%s stopped halfway; \"%s up\" resumes one going up, \"%s down\" one going down\n",
				   nhalf, nhalf == 1 ? "" : "s", progname, progname);
		if (nchanged > 0)
			printf("warning: %d file%s changed since applied; restore %s, or put the change in a new revision\n",
				   nchanged, nchanged == 1 ? "" : "s", nchanged == 1 ? "it" : "them");
		if (nmissing > 0)
			printf("warning: %d applied revision%s without a file\n",
				   nmissing, nmissing == 1 ? "" : "s");
		if (nooo > 0)
			printf("warning: %d revision%s out of order (older than an applied one)\n",
				   nooo, nooo == 1 ? "" : "s");
	}
	termPQExpBuffer(&buf);
	free_drift(&drift);
	pg_free(env);
	pg_free(heads);
	inspect_close(&in);
	return EXIT_OK;
}

/* pgmig current: the applied revisions without an applied child. */
int
cmd_current(const Options *opts)
{
	int			i;

	inspect_open(opts, &in, true);
	for (i = 0; i < in.view.graph.n; i++)
		if (in.current[i])
		{
			Rev		   *rev = view_rev(&in.view, i);
			RevFacts	f = facts(&in, i);

			printf("%s %s%s%s\n", rev->id, shown(rev->description),
				   f.head ? " (head)" : "",
				   f.complete ? "" : " (half-done)");
		}
	inspect_close(&in);
	return EXIT_OK;
}

/* pgmig heads */
int
cmd_heads(const Options *opts)
{
	int		   *heads;
	int			nheads;
	int			i;

	inspect_open(opts, &in, !opts->offline);
	nheads = pgmig_graph_heads(&in.view.graph, &heads);
	for (i = 0; i < nheads; i++)
	{
		Rev		   *rev = view_rev(&in.view, heads[i]);

		printf("%s %s%s\n", rev->id, shown(rev->description),
			   in.online ? (in.view.graph.nodes[heads[i]].applied ?
							" (applied)" : " (pending)") : "");
	}
	pg_free(heads);
	inspect_close(&in);
	return EXIT_OK;
}

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

/* Audit log rows of all revisions (for history -v), or NULL. */
static PGresult *
read_events(Inspect *in)
{
	return query(&in->c,
				 "SELECT revision, " ISO_TIME("at") ", action, role, success, "
				 MILLISECONDS("duration") ", sqlstate, message"
				 " FROM pgmig.events ORDER BY event_id", 0, NULL);
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
		json_key(buf, &f, "success");
		appendPQExpBufferStr(buf, PQgetvalue(ev, r, 4)[0] == 't' ? "true" : "false");
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

/* The one-line state of a revision, for history -v and show. */
static char *
state_line(const Inspect *in, const Rev *rev, const RevFacts *f)
{
	char	   *dur;
	char	   *line;

	if (!in->online)
		return pg_strdup("unknown (offline)");
	if (!f->applied)
		return pg_strdup("pending");
	if (!f->complete)
		return psprintf("%s after %d statement%s (no transaction)",
						shown(f->state), rev->db->statements_done,
						rev->db->statements_done == 1 ? "" : "s");
	dur = rev->db->duration ? format_ms(rev->db->duration) : NULL;
	line = psprintf("%s %s by %s%s%s",
					rev->db->method ? shown(rev->db->method) : "applied",
					rev->db->applied_at ? shown(rev->db->applied_at) : "?",
					rev->db->applied_by ? shown(rev->db->applied_by) : "?",
					dur ? " in " : "", dur ? dur : "");
	pg_free(dur);
	return line;
}

/* pgmig history [-v] */
int
cmd_history(const Options *opts)
{
	PgmigGraph *g;
	PGresult   *ev = NULL;
	PQExpBufferData buf;
	int			k;

	inspect_open(opts, &in, !opts->offline);
	g = &in.view.graph;
	if (in.online && opts->verbose && (ev = read_events(&in)) == NULL)
		inspect_fail(&in);
	initPQExpBuffer(&buf);
	if (opts->json)
		appendPQExpBufferChar(&buf, '[');

	/* newest first: the topological order, backwards */
	for (k = g->n - 1; k >= 0; k--)
	{
		int			i = g->order[k];
		Rev		   *rev = view_rev(&in.view, i);
		RevFacts	f = facts(&in, i);
		PgmigNode  *node = &g->nodes[i];
		char	   *parents = parent_list(g, i);
		char	   *state = state_line(&in, rev, &f);

		if (opts->json)
		{
			bool		first = true;
			char	  **ids;
			int			j;

			if (k < g->n - 1)
				appendPQExpBufferChar(&buf, ',');
			appendPQExpBufferChar(&buf, '{');
			json_key(&buf, &first, "revision");
			json_string(&buf, rev->id);
			json_key(&buf, &first, "description");
			json_string(&buf, rev->description);
			ids = pg_malloc((node->nparents + node->nchildren + 1) * sizeof(char *));
			for (j = 0; j < node->nparents; j++)
				ids[j] = g->nodes[node->parents[j]].id;
			json_key(&buf, &first, "parents");
			json_string_array(&buf, node->nparents, ids);
			for (j = 0; j < node->nchildren; j++)
				ids[j] = g->nodes[node->children[j]].id;
			json_key(&buf, &first, "children");
			json_string_array(&buf, node->nchildren, ids);
			pg_free(ids);
			json_key(&buf, &first, "labels");
			json_string_array(&buf, node->nlabels, node->labels);
			json_key(&buf, &first, "file");
			json_string(&buf, rev->file ? rev->file->path : NULL);
			json_key(&buf, &first, "head");
			appendPQExpBufferStr(&buf, f.head ? "true" : "false");
			if (in.online)
			{
				json_key(&buf, &first, "current");
				appendPQExpBufferStr(&buf, f.current ? "true" : "false");
				json_key(&buf, &first, "applied");
				appendPQExpBufferStr(&buf, f.complete ? "true" : "false");
				json_key(&buf, &first, "state");
				json_string(&buf, f.applied ? (f.state ? f.state : "complete") : "pending");
				json_key(&buf, &first, "applied_at");
				json_string(&buf, f.applied ? rev->db->applied_at : NULL);
				json_key(&buf, &first, "applied_by");
				json_string(&buf, f.applied ? rev->db->applied_by : NULL);
				json_key(&buf, &first, "duration_ms");
				appendPQExpBufferStr(&buf, f.applied && rev->db->duration ?
									 rev->db->duration : "null");
				if (opts->verbose)
				{
					json_key(&buf, &first, "events");
					json_events(&buf, ev, rev->id);
				}
			}
			appendPQExpBufferChar(&buf, '}');
		}
		else if (!opts->verbose)
			printf("%s -> %s%s%s%s%s, %s\n", parents, rev->id,
				   f.head ? " (head)" : "",
				   f.current ? " (current)" : "",
				   node->nchildren > 1 ? " (branchpoint)" : "",
				   node->nparents > 1 ? " (mergepoint)" : "",
				   shown(rev->description));
		else
		{
			printf("Rev: %s%s%s%s%s\n", rev->id,
				   f.head ? " (head)" : "",
				   f.current ? " (current)" : "",
				   node->nchildren > 1 ? " (branchpoint)" : "",
				   node->nparents > 1 ? " (mergepoint)" : "");
			printf("Parent%s: %s\n", node->nparents > 1 ? "s" : "", parents);
			if (node->nchildren > 1)
			{
				char	   *kids = pgmig_graph_id_list(g, node->children,
													   node->nchildren,
													   node->nchildren);

				printf("Branches into: %s\n", kids);
				pg_free(kids);
			}
			if (node->nlabels > 0)
			{
				int			j;

				printf("Labels:");
				for (j = 0; j < node->nlabels; j++)
					printf(" %s", shown(node->labels[j]));
				printf("\n");
			}
			printf("Path: %s\n", rev->file ? rev->file->path : "(file missing)");
			printf("State: %s\n", state);
			print_events(ev, rev->id);
			printf("\n    %s\n\n", shown(rev->description));
		}
		pg_free(parents);
		pg_free(state);
	}
	if (opts->json)
	{
		appendPQExpBufferStr(&buf, "]\n");
		fputs(buf.data, stdout);
	}
	termPQExpBuffer(&buf);
	if (ev)
		PQclear(ev);
	inspect_close(&in);
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

/* pgmig show REV */
int
cmd_show(const Options *opts)
{
	PgmigGraph *g;
	PgmigError	err;
	int			i,
				j;
	Rev		   *rev;
	RevFacts	f;
	PgmigNode  *node;
	char	   *parents;
	char	   *state;

	inspect_open(opts, &in, !opts->offline);
	g = &in.view.graph;
	memset(&err, 0, sizeof(err));
	i = pgmig_graph_find(g, opts->args[0], &err);
	if (i < 0)
	{
		report_pgmig_error(&err);
		inspect_fail(&in);
	}
	rev = view_rev(&in.view, i);
	f = facts(&in, i);
	node = &g->nodes[i];
	parents = parent_list(g, i);
	state = state_line(&in, rev, &f);

	printf("Revision: %s%s%s\n", rev->id, f.head ? " (head)" : "",
		   f.current ? " (current)" : "");
	printf("Description: %s\n", shown(rev->description));
	printf("File: %s\n", rev->file ? rev->file->path : "(missing)");
	printf("Parents: %s\n", parents);
	printf("Children:");
	for (j = 0; j < node->nchildren; j++)
		printf("%s %s", j > 0 ? "," : "", g->nodes[node->children[j]].id);
	printf("%s\n", node->nchildren == 0 ? " (none)" : "");
	if (node->nlabels > 0)
	{
		printf("Labels:");
		for (j = 0; j < node->nlabels; j++)
			printf(" %s", shown(node->labels[j]));
		printf("\n");
	}
	if (rev->file)
	{
		printf("Transaction: %s\n", rev->file->script.transactional ? "yes" : "no");
		if (rev->file->script.lock_timeout)
			printf("Lock timeout: %s\n", shown(rev->file->script.lock_timeout));
		printf("Reversible: %s\n", rev->file->script.down ? "yes" : "no");
	}
	printf("State: %s\n", state);
	if (rev->file)
		printf("Checksum: %s\n", rev->file->script.up_checksum);
	if (f.applied && rev->db->applied_checksum)
		printf("Checksum as applied: %s%s\n", shown(rev->db->applied_checksum),
			   f.changed ? " (the file has changed since)" : "");
	if (rev->file)
	{
		print_script("migrate:up", rev->file->script.up, rev->file->script.up_line);
		if (rev->file->script.down)
			print_script("migrate:down", rev->file->script.down,
						 rev->file->script.down_line);
	}
	pg_free(parents);
	pg_free(state);
	inspect_close(&in);
	return EXIT_OK;
}

/*
 * check --drift: report the objects changed outside migrations as an error,
 * one detail line each.  Returns how many there are, -1 when the database
 * does not track drift.
 */
static int
check_drift(Inspect *in)
{
	Drift		drift;
	int			n;
	int			i;

	read_drift(in, &drift);
	n = drift_count(&drift);
	if (!drift.tracked)
	{
		pg_log_warning("drift is not tracked in this database: pgmig.track_drift is off");
		n = -1;
	}
	else if (n > 0)
	{
		pg_log_error("the schema changed outside migrations");
		for (i = 0; i < n; i++)
		{
			const char *object = shown(PQgetvalue(drift.rows, i, 1));

			pg_log_error_detail("%c%s was %s.", pg_toupper((unsigned char) object[0]),
								object + 1, shown(PQgetvalue(drift.rows, i, 0)));
		}
		pg_log_error_hint("%s differ%s from the fingerprint recorded after the last migration run, at %s. Put the change into a migration, or undo it.",
						  n == 1 ? "It" : "They", n == 1 ? "s" : "",
						  PQgetvalue(drift.rows, 0, 2));
	}
	free_drift(&drift);
	return n;
}

/* pgmig check: validate the folder and, unless --offline, the database. */
int
cmd_check(const Options *opts)
{
	PgmigGraph *g;
	int			problems = 0,
				warnings = 0,
				napplied = 0,
				npending = 0,
				ndrift = -1,
				nheads;
	char	   *heads;
	int			i;

	inspect_open(opts, &in, !opts->offline);
	g = &in.view.graph;
	heads = head_list(&in, &nheads);
	if (nheads > 1)
	{
		pg_log_error("%d heads: %s", nheads, heads);
		pg_log_error_hint("Join them with \"%s merge -m MESSAGE\", or name the one to apply.",
						  progname);
		problems++;
	}
	for (i = 0; i < g->n; i++)
	{
		Rev		   *rev = view_rev(&in.view, i);
		RevFacts	f = facts(&in, i);

		napplied += f.applied;
		npending += !f.applied;
		if (!in.online)
			continue;
		if (f.changed)
		{
			pg_log_error("file \"%s\" of revision %s has changed since it was applied",
						 rev->file->path, rev->id);
			pg_log_error_hint("Restore the file as it was applied, and put the change in a new revision.");
			problems++;
		}
		if (f.missing)
		{
			pg_log_error("applied revision %s (%s) has no file in %s",
						 rev->id, shown(rev->db->source_file ? rev->db->source_file : rev->description),
						 display_path(in.project.dir));
			pg_log_error_hint("Restore the file from version control.");
			problems++;
		}
		if (f.applied && !f.complete)
		{
			pg_log_error("no-transaction revision %s stopped halfway (%s after %d statements)",
						 rev->id, shown(f.state), rev->db->statements_done);
			pg_log_error_hint("Fix the cause, then run \"%s %s\" to resume it.", progname,
							  strncmp(f.state, "revert", 6) == 0 ? "down" : "up");
			problems++;
		}
		if (f.out_of_order)
		{
			pg_log_warning("revision %s is out of order: it is older than an applied revision",
						   rev->id);
			warnings++;
		}
	}
	if (opts->drift)
	{
		ndrift = check_drift(&in);
		if (ndrift > 0)
			problems++;
	}
	if (problems == 0)
	{
		if (in.online)
			info(opts, "ok: %d revision%s, %d applied, %d pending, head %s",
				 g->n, g->n == 1 ? "" : "s", napplied, npending,
				 nheads > 0 ? heads : "(none)");
		else
			info(opts, "ok: %d revision%s, head %s", g->n, g->n == 1 ? "" : "s",
				 nheads > 0 ? heads : "(none)");
	}
	if (ndrift == 0)
		info(opts, "no drift: the schema is as the last migration run left it");
	pg_free(heads);
	inspect_close(&in);
	return problems > 0 ? EXIT_ERROR : EXIT_OK;
}
