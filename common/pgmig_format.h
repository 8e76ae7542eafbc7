/*-------------------------------------------------------------------------
 *
 * pgmig_format.h
 *	  The migration file format: file names, the "-- migrate:up" and
 *	  "-- migrate:down" sections, the "-- pgmig:" header directives, and
 *	  lock_timeout values as PostgreSQL parses them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_FORMAT_H
#define PGMIG_FORMAT_H

#include "pgmig_checksum.h"
#include "pgmig_message.h"

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
	char	   *alembic;		/* "-- pgmig:alembic": the Alembic revision
								 * it was converted from, or NULL */
	bool		transactional;	/* false: "transaction:false" on either section */
	bool		node_pg_migrate;	/* read by node-pg-migrate's markers */
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

/* Check, normalize and checksum the text of a whole file (pgmig_format.c). */
extern bool pgmig_script_text(const char *file_name, char *content, size_t *len,
							  PgmigScript *out, PgmigError *err);

/* Fill in up_checksum and down_checksum of a parsed script. */
extern void pgmig_section_checksums(PgmigScript *script);

/*
 * The layouts that split a revision into files: golang-migrate's and
 * sqlx's <version>_<title>.up.sql / .down.sql, Diesel's
 * <version>_<name>/up.sql, down.sql, metadata.toml, Flyway's
 * V<version>__<description>.sql, U<version>__<description>.sql and
 * V<version>__<description>.sql.conf.
 */
typedef enum PgmigLayout
{
	PGMIG_LAYOUT_DBMATE = 0,	/* a file per revision, with sections */
	PGMIG_LAYOUT_GOLANG,
	PGMIG_LAYOUT_DIESEL,
	PGMIG_LAYOUT_FLYWAY,
	PGMIG_LAYOUT_SQITCH			/* deploy/<change>.sql, revert/, verify/ */
} PgmigLayout;

typedef enum PgmigPart
{
	PGMIG_PART_UP,
	PGMIG_PART_DOWN,
	PGMIG_PART_META,			/* Diesel's metadata.toml, Flyway's .conf,
								 * Sqitch's verify script */
	PGMIG_PART_REPEATABLE,		/* Flyway's R__<description>.sql: a
								 * revision of no version */
	PGMIG_PART_REFUSED			/* of the layout, but not read: the .conf of
								 * Flyway's undo and repeatable files
								 * (pgmig_flyway_refused) */
} PgmigPart;

extern PgmigLayout pgmig_split_file(const char *name, PgmigPart *part);
extern bool pgmig_split_up_file(const char *name);
extern const char *pgmig_no_transaction_mark(const char *name);
extern char *pgmig_split_part_name(const char *up_name, PgmigPart part);
extern char *pgmig_split_up_name(const char *name);
extern bool pgmig_sqlx_no_transaction(const char *text);
extern bool pgmig_parse_simple(const char *name, char *content, size_t len,
							   PgmigScript *out, PgmigError *err);
extern bool pgmig_parse_repeatable(const char *name, char *content, size_t len,
								   PgmigScript *out, PgmigError *err);
extern bool pgmig_parse_pair(const char *up_name, char *up, size_t up_len,
							 const char *down_name, char *down, size_t down_len,
							 const char *meta, PgmigScript *out, PgmigError *err);

/* Is this buffer valid UTF-8 (no NUL bytes)? */
extern bool pgmig_utf8_valid(const char *s, size_t len);

/* Strip leading and trailing white space in place; returns "s" past the leading. */
extern char *pgmig_trim(char *s);

/* Line number (1-based) of byte "offset" in "text", counted from "first". */
extern int	pgmig_line_at(const char *text, int offset, int first);

#endif							/* PGMIG_FORMAT_H */
