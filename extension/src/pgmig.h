/*-------------------------------------------------------------------------
 *
 * pgmig.h
 *	  Declarations shared by the source files of the pgmig extension.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_H
#define PGMIG_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/tuplestore.h"

#include "pgmig_common.h"

/* What the catalog knows of one revision; hangs off PgmigNode.data. */
typedef struct MigRevision
{
	char	   *description;
	char	   *source_file;
	bool		registered;		/* has a row in pgmig.revisions */
	bool		transactional;
	bool		reversible;
	char	   *lock_timeout;
	char	   *up_checksum;	/* registered script's checksum */
	/* from pgmig.schema_migrations; state is NULL when not applied */
	char	   *state;
	char	   *method;
	char	   *applied_checksum;
	TimestampTz applied_at;
	int			statements_done;
} MigRevision;

/* The loaded catalog. */
typedef struct MigCatalog
{
	PgmigGraph	graph;
	int			nregistered;
} MigCatalog;

#define MIG_REV(g, i) ((MigRevision *) (g)->nodes[(i)].data)

/* One statement of a script: byte offset and length in the script text. */
typedef struct MigStatement
{
	int			offset;
	int			length;
} MigStatement;

/* A script split into statements and checked, ready to run. */
typedef struct MigScript
{
	const char *revision;
	const char *file;
	bool		revert;
	char	   *text;
	int			first_line;		/* file line of the text's first line */
	int			nstmts;
	MigStatement *stmts;
	const char *top_level_stmt; /* first statement that needs top level */
	int			top_level_line;
	int			current;		/* statement running, or -1 */
} MigScript;

/* pgmig.c */
extern char *pgmig_environment;
extern char *pgmig_confirm;
extern int	pgmig_lock_timeout;
extern int	pgmig_lock_retries;
extern int	pgmig_lock_retry_delay;
extern bool pgmig_track_drift;
extern int	mig_enter_catalog(void);
extern void mig_leave_catalog(int nestlevel);
extern void mig_lock(void);
extern void mig_report(PgmigError *err) pg_attribute_noreturn();
extern bool mig_catalog_has(const char *relname);
extern ErrorData *mig_try_in_subxact(void (*fn) (void *arg), void *arg);
extern void mig_check_confirmed(const char *action);
extern Tuplestorestate *mig_init_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc);

/* What the steps of a run did, to be written to the catalog at once. */
typedef struct MigBatch
{
	int			n;
	int			cap;
	Datum	   *actions;		/* text: apply, revert, stamp, unstamp */
	Datum	   *ids;			/* text */
	Datum	   *descriptions;	/* text */
	Datum	   *checksums;		/* text, 0 for NULL */
	Datum	   *durations;		/* interval, 0 for NULL */
	Datum	   *ats;			/* timestamptz */
} MigBatch;

/* catalog.c */
extern MigCatalog *mig_load_catalog(void);
extern char *mig_fetch_script(const char *revision, bool revert, int *first_line);
extern MigBatch *mig_batch_create(void);
extern void mig_batch_add(MigBatch *b, const char *action, const char *revision,
						  const char *description, const char *checksum,
						  Interval *duration);
extern void mig_batch_flush(MigBatch *b, const char *method);
extern void mig_log_event(const char *action, const char *revision,
						  Interval *duration, bool success,
						  const char *sqlstate, const char *message);

/* split.c */
extern void mig_split_statements(MigScript *script);

/* script.c */
extern MigScript *mig_split_script(const char *revision, const char *file,
								   char *text, int first_line, bool revert);
extern void mig_run_script(MigScript *script, const char *caller_search_path,
						   const char *lock_timeout);
extern int	mig_statement_line(MigScript *script, int stmt);

/* locks.c */
extern int	mig_lock_timeout_ms(const char *value, const char *file);
extern void mig_run_script_retrying(MigScript *script,
									const char *caller_search_path,
									const char *lock_timeout);

/* status.c */
extern char *mig_status_line(MigCatalog *cat);

/* statuscache.c */
extern void mig_status_cache_init(void);
extern void mig_catalog_entered(void);
extern void mig_catalog_left(void);
extern bool mig_in_catalog(void);
extern char *mig_cached_status(void);
extern void mig_store_status(MigCatalog *cat);
extern void mig_refresh_status(void);

/* snapshot.c */
extern void mig_record_snapshot(const char *action);
extern void mig_warn_drift(void);
extern int	mig_drift_summary(StringInfo buf, int max);

/* run.c */
extern Interval *mig_interval_since(TimestampTz start);
extern char *mig_caller_search_path(void);

#endif							/* PGMIG_H */
