/*-------------------------------------------------------------------------
 *
 * pgmig_common.h
 *	  Logic shared by the pgmig extension and the pgmig client.
 *
 * Everything here is backend-independent: the same source file is compiled
 * into the server module and (with -DFRONTEND) into the client, the way
 * PostgreSQL's own src/common is.  It covers the migration file format, the
 * checksum of a script, the ordering of revision ids, and the revision graph
 * with its targets and plans.  Nothing here touches a database.
 *
 * Functions that can fail fill in a PgmigError and return false; the caller
 * turns it into an ereport() (server) or pg_log_error() (client).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_COMMON_H
#define PGMIG_COMMON_H

#include "pgmig_message.h"
#include "pgmig_version.h"
#include "pgmig_state.h"
#include "pgmig_lock.h"
#include "pgmig_checksum.h"

/* One migration file, parsed. */
typedef struct PgmigScript
{
	char	   *id;				/* version as written in the file name */
	char	   *sortkey;		/* the version's digits, for ordering */
	char	   *description;	/* slug with underscores as spaces */
	char	   *file_name;		/* base name of the file */
	bool		parents_explicit;	/* a "-- pgmig:revises" line was given */
	int			nparents;
	char	  **parents;		/* explicit parent ids (as written) */
	int			nlabels;
	char	  **labels;
	char	   *lock_timeout;	/* "-- pgmig:lock_timeout", or NULL */
	bool		transactional;	/* false: "transaction:false" on either section */
	char	   *up;				/* text after "-- migrate:up" */
	int			up_line;		/* file line where the up text starts */
	char	   *down;			/* text after "-- migrate:down", or NULL */
	int			down_line;
	char		up_checksum[PGMIG_CHECKSUM_LEN];
	char		down_checksum[PGMIG_CHECKSUM_LEN];	/* "" when no down */
	char		file_checksum[PGMIG_CHECKSUM_LEN];	/* whole normalized file */
} PgmigScript;

/* Parse a file name into id, sort key and description. */
extern bool pgmig_parse_file_name(const char *file_name, char **id,
								  char **sortkey, char **description,
								  PgmigError *err);

/*
 * Parse a setting in milliseconds as PostgreSQL parses lock_timeout: a
 * number (decimal, octal, hex or floating point) with an optional unit us,
 * ms, s, min, h or d.  False if it is not one or does not fit in an int.
 */
extern bool pgmig_parse_ms(const char *value, int *ms);

/*
 * Parse a migration file.  "content" must be NUL-terminated with "len"
 * bytes; it is normalized in place (CRLF to LF) and the script texts in
 * "out" are copies.
 */
extern bool pgmig_parse_script(const char *file_name, char *content,
							   size_t len, PgmigScript *out, PgmigError *err);

/* Fill in up_checksum and down_checksum of a parsed script. */
extern void pgmig_section_checksums(PgmigScript *script);

/* Line number (1-based) of byte "offset" in "text", counted from "first". */
extern int	pgmig_line_at(const char *text, int offset, int first);

/*
 * The revision graph.  Callers fill in an array of PgmigNode (id, sortkey,
 * parents as declared, labels, applied) and build the graph; building sorts
 * the nodes by version, resolves parent ids to indexes (an implicit parent
 * is the previous revision in version order), and checks for duplicates,
 * unknown parents and cycles.
 */
typedef struct PgmigNode
{
	/* filled in by the caller */
	char	   *id;
	char	   *sortkey;
	bool		parents_explicit;
	int			nparents;
	char	  **parent_ids;
	int			nlabels;
	char	  **labels;
	bool		applied;
	bool		partial;		/* stopped halfway going up: not applied for
								 * an upgrade, applied for a downgrade */
	void	   *data;			/* caller's payload, carried along */

	/* filled in by pgmig_graph_build */
	int		   *parents;
	int			nchildren;
	int		   *children;
	int			topo;			/* position in topological order */
} PgmigNode;

typedef struct PgmigGraph
{
	int			n;
	PgmigNode  *nodes;			/* sorted by version */
	int		   *order;			/* node indexes, parents before children */
} PgmigGraph;

/* A plan: node indexes in the order they run. */
typedef struct PgmigPlan
{
	bool		revert;
	int			nsteps;
	int		   *steps;
} PgmigPlan;

extern bool pgmig_graph_build(PgmigGraph *g, PgmigNode *nodes, int n,
							  PgmigError *err);

/* Find a revision by id, version digits or unique prefix; -1 if none. */
extern int	pgmig_graph_find(const PgmigGraph *g, const char *name,
							 PgmigError *err);

/* Number of heads, and their indexes into "heads" (palloc'd) if not NULL. */
extern int	pgmig_graph_heads(const PgmigGraph *g, int **heads);

/* Is "a" an ancestor of (or equal to) "b"? */
extern bool pgmig_graph_is_ancestor(const PgmigGraph *g, int a, int b);

/*
 * Plan an upgrade (revert = false) or a downgrade to "target":
 * head, heads, base, an id or unique prefix, +N, -N, label@head.  A
 * downgrade reverts partial revisions too (children first, so never a
 * parent under a half-applied child); an upgrade resumes them.
 */
extern bool pgmig_graph_plan(const PgmigGraph *g, const char *target,
							 bool revert, PgmigPlan *plan, PgmigError *err);

/* The applied revisions without an applied child; count, and indexes. */
extern int	pgmig_graph_current(const PgmigGraph *g, int **nodes);

/* Unapplied revisions older than some applied one; count, and indexes. */
extern int	pgmig_graph_out_of_order(const PgmigGraph *g, int **nodes);

/* Comma-separated ids of the given nodes, for messages. */
extern char *pgmig_graph_id_list(const PgmigGraph *g, const int *idx, int n,
								 int max);

#endif							/* PGMIG_COMMON_H */
