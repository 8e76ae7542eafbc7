/*-------------------------------------------------------------------------
 *
 * inspect.c
 *	  What the commands that only look (status.c, history.c, check.c) have
 *	  in common: the facts of every revision, computed once.
 *
 * They change nothing: the files are merged with one read of the catalog
 * into a revision graph (built with the shared core), so that they show
 * what "pgmig up" would see, and they work for a role that may only read
 * the catalog.  heads, history, show and check also work --offline, from
 * the files alone.
 *
 * Each command computes first (the facts here, then a struct of its own)
 * and renders after, as text or JSON, so that one computation feeds every
 * rendering.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* What the command looks at; file-scope so that it stays reachable on exit. */
static Inspect inspected;

/* Disconnect and exit with status 1. */
void
inspect_fail(Inspect *in)
{
	if (in->online && in->c.conn)
		disconnect_db(&in->c);
	exit(EXIT_ERROR);
}

/* Read files and, when online, the catalog; build the graph.  Exits on error. */
static void
open_view(const Options *opts, Inspect *in)
{
	bool		ok;

	if (!find_project(opts, true, &in->project))
		exit(EXIT_ERROR);
	/* status, show and check compare applied scripts with the files */
	in->project.inspecting = true;
	in->project.checking = opts->command->cmd == CMD_CHECK;
	ok = load_files(&in->project);
	ok = check_duplicates(&in->project) && ok;
	if (!ok)
		exit(EXIT_ERROR);
	if (in->online)
	{
		connect_db(opts, &in->c);
		if (!handshake(&in->c, false) ||
			!read_catalog(&in->c, &in->project, &in->cat))
			inspect_fail(in);
	}
	if (!build_view(&in->project, in->online ? &in->cat : NULL, &in->view))
		inspect_fail(in);
}

/* The facts of node i, but for current and out_of_order (see compute_facts). */
static void
node_facts(const Inspect *in, int i, RevFacts *f)
{
	const PgmigGraph *g = &in->view.graph;
	Rev		   *rev = view_rev(&in->view, i);
	DbRev	   *d = rev->db;

	f->rev = rev;
	f->node = &g->nodes[i];
	f->applied = d != NULL && d->applied;
	f->state = f->applied ? d->state : NULL;
	f->complete = f->applied && (d->state == NULL || strcmp(d->state, PGMIG_STATE_COMPLETE) == 0);
	f->changed = f->applied && rev->file != NULL &&
		pgmig_changed_since_applied(d->state ? d->state : PGMIG_STATE_COMPLETE,
									d->applied_checksum, rev->file->script.up_checksum);
	f->missing = rev->file == NULL;
	f->head = f->node->nchildren == 0;
}

/* The facts of every revision, and their counts. */
static void
compute_facts(Inspect *in)
{
	int			n = in->view.graph.n;
	RevCounts  *k = &in->counts;
	int		   *ooo;
	int		   *current;
	int			nooo,
				ncurrent;
	int			i;

	in->facts = pg_malloc0(n * sizeof(RevFacts));
	for (i = 0; i < n; i++)
		node_facts(in, i, &in->facts[i]);
	nooo = pgmig_graph_out_of_order(&in->view.graph, &ooo);
	for (i = 0; i < nooo; i++)
		in->facts[ooo[i]].out_of_order = true;
	pg_free(ooo);
	ncurrent = pgmig_graph_current(&in->view.graph, &current);
	for (i = 0; i < ncurrent; i++)
		in->facts[current[i]].current = true;
	pg_free(current);

	for (i = 0; i < n; i++)
	{
		const RevFacts *f = &in->facts[i];

		k->napplied += f->applied;
		k->npending += !f->applied;
		k->nchanged += f->changed;
		k->nhalf += f->applied && !f->complete;
		k->nooo += f->out_of_order;
		k->nmissing += f->missing;
	}
}

/*
 * Open what the command looks at (the files and, when online, the
 * catalog) and compute the facts of every revision.  Exits on error.
 */
Inspect *
inspect_open(const Options *opts, bool online)
{
	Inspect    *in = &inspected;

	memset(in, 0, sizeof(*in));
	in->opts = opts;
	in->online = online;
	open_view(opts, in);
	compute_facts(in);
	return in;
}

/* Close what inspect_open opened, and free it. */
void
inspect_close(Inspect *in)
{
	if (in->online && in->c.conn)
		disconnect_db(&in->c);
	pg_free(in->facts);
	free_view(&in->view);
	if (in->online)
		free_catalog(&in->cat);
	free_project(&in->project);
}

/* The ids of the heads, comma separated. */
char *
head_list(const Inspect *in, int *nheads)
{
	int		   *heads;
	char	   *list;

	*nheads = pgmig_graph_heads(&in->view.graph, &heads);
	list = pgmig_graph_id_list(&in->view.graph, heads, *nheads, *nheads);
	pg_free(heads);
	return list;
}

/* Read mig_drift(), unless the database does not track drift; exits on error. */
void
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
	drift->n = PQntuples(drift->rows);
}

/* Free what read_drift read. */
void
free_drift(Drift *drift)
{
	if (drift->rows)
		PQclear(drift->rows);
	drift->rows = NULL;
}
