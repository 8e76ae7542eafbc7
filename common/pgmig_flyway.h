/*-------------------------------------------------------------------------
 *
 * pgmig_flyway.h
 *	  Flyway's SQL layout: V<version>__<description>.sql, its undo file
 *	  U<version>__<description>.sql and its configuration
 *	  V<version>__<description>.sql.conf; versions ordered as Flyway
 *	  orders them, and Flyway's checksum of a file.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_FLYWAY_H
#define PGMIG_FLYWAY_H

#include "pgmig_message.h"

/* What a file of Flyway's layout is. */
typedef enum PgmigFlywayKind
{
	PGMIG_FLYWAY_NONE = 0,		/* not a name of Flyway's */
	PGMIG_FLYWAY_VERSIONED,		/* V...sql */
	PGMIG_FLYWAY_UNDO,			/* U...sql */
	PGMIG_FLYWAY_CONF,			/* V...sql.conf */
	PGMIG_FLYWAY_REPEATABLE,	/* R...sql */
	PGMIG_FLYWAY_REFUSED		/* the .conf of U or R files */
} PgmigFlywayKind;

/* Most parts of a version, and digits of a part, pgmig orders. */
#define PGMIG_FLYWAY_MAX_PARTS 6
#define PGMIG_FLYWAY_PART_DIGITS 20

extern PgmigFlywayKind pgmig_flyway_kind(const char *name);
extern char *pgmig_flyway_sortkey(const char *version);
extern bool pgmig_flyway_name(const char *name, char **id, char **sortkey,
							  char **description, PgmigError *err);
extern bool pgmig_flyway_refused(const char *name, PgmigError *err);
extern char *pgmig_flyway_repeatable_name(const char *name, PgmigError *err);
extern bool pgmig_flyway_conf(const char *conf_name, const char *conf,
							  bool *transactional, bool *placeholders,
							  PgmigError *err);
extern bool pgmig_flyway_placeholders(const char *name, const char *text,
									  PgmigError *err);
extern int32 pgmig_flyway_checksum(const char *text, size_t len);

#endif							/* PGMIG_FLYWAY_H */
