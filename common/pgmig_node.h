/*-------------------------------------------------------------------------
 *
 * pgmig_node.h
 *	  node-pg-migrate's SQL migrations: <number>_<name>.sql with
 *	  "-- Up Migration" and "-- Down Migration" sections, ordered by the
 *	  number as node-pg-migrate orders them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_NODE_H
#define PGMIG_NODE_H

#include "pgmig_format.h"

/*
 * Is "content" (NUL-terminated) a node-pg-migrate SQL migration: a line
 * with its "-- Up Migration" or "-- Down Migration" marker, and none of
 * dbmate's "-- migrate:" lines?
 */
extern bool pgmig_node_file(const char *content);

/* Is the line starting at "line" node-pg-migrate's "-- Down Migration"? */
extern bool pgmig_node_down_marker(const char *line);

/* Parse a file that pgmig_node_file() says is node-pg-migrate's. */
extern bool pgmig_node_parse(const char *file_name, char *content, size_t len,
							 PgmigScript *out, PgmigError *err);

/* Is "name" a JavaScript or TypeScript migration of node-pg-migrate's? */
extern bool pgmig_node_script_name(const char *name);

#endif							/* PGMIG_NODE_H */
