/*-------------------------------------------------------------------------
 *
 * pgmig_message.h
 *	  Messages of the shared code: the errors it reports, and text made fit
 *	  to print in a message.
 *
 * Functions of the shared code that can fail fill in a PgmigError and
 * return false; the caller turns it into an ereport() (server, mig_report)
 * or prints it (client, report_pgmig_error).  An error about a line of a
 * migration file carries the file and line apart from its message, which
 * both sides print as PostgreSQL prints where an error happened: a
 * context line, CONTEXT:  file "..." line N.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_MESSAGE_H
#define PGMIG_MESSAGE_H

typedef enum PgmigErrorKind
{
	PGMIG_ERR_NONE = 0,
	PGMIG_ERR_FILE,				/* malformed migration file */
	PGMIG_ERR_DUPLICATE,		/* two revisions with the same version */
	PGMIG_ERR_UNDEFINED,		/* unknown revision or label */
	PGMIG_ERR_AMBIGUOUS,		/* prefix matches several revisions */
	PGMIG_ERR_CYCLE,			/* revision graph has a cycle */
	PGMIG_ERR_HEADS,			/* "head" asked for but there are several */
	PGMIG_ERR_TARGET,			/* malformed target */
	PGMIG_ERR_DIFF				/* a schema change the differ cannot write */
} PgmigErrorKind;

typedef struct PgmigError
{
	PgmigErrorKind kind;
	char	   *message;		/* primary message: lower case, no period */
	char	   *detail;			/* full sentence, or NULL */
	char	   *hint;			/* full sentence, or NULL */
	char	   *file_name;		/* where: a migration file, or NULL */
	int			line;			/* and its line; 0 with no file */
} PgmigError;

/*
 * Where in a script an error happened, as both sides put it in the error's
 * context: "up" or "down", the revision, its file and the file's line.
 */
#define PGMIG_SCRIPT_CONTEXT "%s script of revision %s, file \"%s\" line %d"

/*
 * Progress reports (the pgmig.progress setting): INFO messages, which the
 * server sends whatever client_min_messages says, with this SQLSTATE, so
 * that the client tells them from a script's own RAISE INFO.  Their text
 * is not translated: the client reads the numbers in it.  A revision
 * starts ("applying" or "reverting", its id, its place in the run) and
 * ends (the same, its duration in the detail, so that a test with psql's
 * VERBOSITY terse shows the same output every time); the end of one and
 * the start of the next, which come together, are one message
 * (PGMIG_PROGRESS_END ", then " PGMIG_PROGRESS_START), so that a run of
 * short revisions costs the client one wakeup a revision.  With
 * "statements", each statement of a script says where it starts in the
 * file.
 */
#define PGMIG_PROGRESS_SQLSTATE "00M01"
#define PGMIG_PROGRESS_START "%s revision %s (%d of %d)"
#define PGMIG_PROGRESS_END "ran revision %s (%d of %d)"
#define PGMIG_PROGRESS_THEN ", then "
#define PGMIG_PROGRESS_END_DETAIL "Revision %s took %.3f ms."
#define PGMIG_PROGRESS_STATEMENT "revision %s: statement %d of %d, line %d of file \"%s\""

/* Where in a schema file (pgmig.load_schema) an error happened. */
#define PGMIG_SCHEMA_CONTEXT "schema file \"%s\" line %d"

/* Fill in *err (palloc'd copies, no location) and return false. */
extern bool pgmig_set_error(PgmigError *err, PgmigErrorKind kind,
							const char *detail, const char *hint,
							const char *fmt,...) pg_attribute_printf(5, 6);

/* Add where an error happened, a line of a file, and return false. */
extern bool pgmig_error_at(PgmigError *err, const char *file_name, int line);

/* Free what an error holds and clear it. */
extern void pgmig_error_free(PgmigError *err);

/* The first control character of "s" (C0, DEL, C1 in UTF-8), or NULL. */
extern const char *pgmig_find_control(const char *s);

/* "s" with control characters escaped (\n, \t, \x1b), palloc'd. */
extern char *pgmig_escape(const char *s);

#endif							/* PGMIG_MESSAGE_H */
