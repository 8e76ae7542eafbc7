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

#include "access/tupdesc.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/tuplestore.h"

/*
 * The shared code (../common) this header's declarations use: the graph
 * of the loaded catalog, the state of a revision's row, the errors
 * mig_report raises, and the format of the files whose sections scripts
 * are (their lines counted with pgmig_line_at).
 */
#include "pgmig_format.h"
#include "pgmig_graph.h"
#include "pgmig_message.h"
#include "pgmig_state.h"

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
	bool		settled;		/* read as an edge of the settled part */
} MigRevision;

/* The loaded catalog. */
typedef struct MigCatalog
{
	PgmigGraph	graph;
	int			nregistered;
	bool		recent;			/* only what follows the settled part */
} MigCatalog;

/* The settled part of the catalog, as pgmig.status_cache keeps it. */
typedef struct MigSettled
{
	char	   *last;			/* its last revision in version order */
	char	   *sortkey;		/* and that one's sort key */
	Datum		frontier;		/* text[]: its revisions without a settled
								 * child */
} MigSettled;

#define MIG_REV(g, i) ((MigRevision *) (g)->nodes[(i)].data)

/* What a statement of a no-transaction revision needs when it runs. */
#define MIG_STMT_TOP_LEVEL	0x01	/* cannot run in a transaction block */
#define MIG_STMT_SESSION_SET 0x02	/* SET or RESET of a session setting */
#define MIG_STMT_MAINTENANCE 0x04	/* REINDEX or CLUSTER of a relation: top
									 * level when it is partitioned */
#define MIG_STMT_PRIVILEGES	0x08	/* ownership or privileges: GRANT, REVOKE,
									 * ALTER ... OWNER TO, SET ROLE, ... */

/* One statement of a script: byte offset and length in the script text. */
typedef struct MigStatement
{
	int			offset;
	int			length;
	int			flags;			/* MIG_STMT_*, set by the parse check */
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
	char	   *lock_timeout;	/* what it runs with; NULL: the session's */
	int			current;		/* statement running, or -1 */
	bool		schema_file;	/* a schema file (pgmig.load_schema), not a
								 * revision's script: errors name the file
								 * alone, pg_dump's \restrict lines are
								 * blank, and what cannot run in the
								 * caller's transaction is refused */
	int			skip_flags;		/* statements with one of these MIG_STMT_*
								 * flags are not run */
	bool		commit_each;	/* commit after each statement (a procedure's
								 * nonatomic SPI connection); the settings
								 * the script makes stay for the session */
	bool		report_statements;	/* send a progress report as each
									 * statement starts (progress.c) */
	int			report_offset;	/* where the last report was, so that the
								 * next counts lines from there */
	int			report_line;
} MigScript;

/*
 * The source files are layered, and every call goes one way: SQL entry
 * points (the PG_FUNCTION_INFO_V1 functions) -> engine (run.c, verify.c,
 * script.c, locks.c, resume.c) -> catalog (catalog.c, statuscache.c,
 * snapshot.c) -> utilities (settings.c, section.c, util.c).  A file calls
 * only into its own layer or those below it, and never in a circle.
 */

/* settings.c */
extern char *pgmig_environment;
extern char *pgmig_confirm;
extern char *pgmig_format;
extern int	pgmig_lock_timeout;
extern int	pgmig_lock_retries;
extern int	pgmig_lock_retry_delay;
extern bool pgmig_track_drift;
extern bool pgmig_check_map;
extern bool pgmig_check_catalog;
extern bool pgmig_allow_drop;

/* pgmig.progress: which progress reports a run sends (progress.c) */
typedef enum MigProgressLevel
{
	MIG_PROGRESS_OFF,
	MIG_PROGRESS_REVISIONS,
	MIG_PROGRESS_STATEMENTS
} MigProgressLevel;
extern int	pgmig_progress;
extern void mig_define_settings(void);
extern void mig_restore_stored_settings(void);
extern void mig_check_confirmed(const char *action);

/* section.c */
extern void mig_section_init(void);
extern int	mig_enter_catalog(void);
extern void mig_leave_catalog(int nestlevel);
extern int	mig_connect_catalog(void);
extern void mig_finish_catalog(int nestlevel);
extern SPIPlanPtr mig_kept_plan(SPIPlanPtr *slot, const char *sql, int nargs,
								Oid *argtypes, int cursor_options);
extern bool mig_in_catalog(void);

/* util.c */
extern Datum mig_array(Datum *elems, bool *nulls, int n, Oid elemtype);
extern Datum mig_text_array(char **items, int n);
extern int	mig_text_array_arg(ArrayType *arr, const char *what, Datum **elems);
extern void mig_report(PgmigError *err) pg_attribute_noreturn();
extern ErrorData *mig_try_in_subxact(void (*fn) (void *arg), void *arg);
extern Tuplestorestate *mig_init_srf(FunctionCallInfo fcinfo, TupleDesc *tupdesc);
extern Interval *mig_interval_since(TimestampTz start);
extern char *mig_caller_search_path(void);

/* What the steps of a run did, to be written to the catalog at once. */
typedef struct MigBatch
{
	int			n;
	int			cap;
	Datum	   *actions;		/* text: apply, revert, stamp, unstamp,
								 * import */
	Datum	   *ids;			/* text */
	Datum	   *descriptions;	/* text */
	Datum	   *checksums;		/* text, 0 for NULL */
	Datum	   *durations;		/* interval, 0 for NULL */
	Datum	   *ats;			/* timestamptz */
	const char *message;		/* the events' message, or NULL */
} MigBatch;

/* catalog.c */
extern bool mig_catalog_has(const char *relname);
extern bool mig_rev_changed(MigRevision *rev);
extern MigCatalog *mig_load_catalog(void);
extern MigCatalog *mig_load_recent_catalog(void);
extern MigCatalog *mig_load_catalog_for(const char *target, bool revert);
extern char *mig_fetch_script(const char *revision, bool revert, int *first_line);
extern MigBatch *mig_batch_create(void);
extern void mig_batch_add(MigBatch *b, const char *action, const char *revision,
						  const char *description, const char *checksum,
						  Interval *duration);
extern void mig_batch_flush(MigBatch *b, const char *method);
extern void mig_log_event(const char *action, const char *revision,
						  Interval *duration, bool success,
						  const char *sqlstate, const char *message);
extern void mig_note_run_start(const char *action, const char *target);
extern void mig_note_run_end(void);

/* run.c */
extern void mig_note_failure(const char *action, const char *revision,
							 const char *file);

/* repeatable.c */
extern void mig_register_repeatables(PgmigScript *reps, int n,
									 Tuplestorestate *tupstore,
									 TupleDesc tupdesc);

/* split.c */
extern void mig_split_statements(MigScript *script);

/* script.c */
extern List *mig_raw_parse(const char *sql);
extern int	mig_script_error_line(void);
extern void mig_forget_script_error(void);
extern Node *mig_parse_one(const char *sql);
extern MigScript *mig_split_script(const char *revision, const char *file,
								   char *text, int first_line, bool revert);
extern MigScript *mig_split_schema_file(const char *file, char *text);
extern int	mig_run_script(MigScript *script, const char *caller_search_path);
extern bool mig_deferred_satisfied(void);
extern void mig_check_deferred(MigScript *script);
extern int	mig_statement_line(MigScript *script, int stmt);

/* progress.c */
extern void mig_progress_start(MigScript *script, int step, int nsteps);
extern void mig_progress_end(MigScript *script, int step, int nsteps,
							 const Interval *duration, bool now);
extern void mig_progress_statement(MigScript *script, int stmt);

/* locks.c */
extern void mig_lock(void);
extern void mig_lock_session(void);
extern bool mig_unlock_session(void);
extern bool mig_holds_session_lock(void);
extern void mig_require_nonatomic(FunctionCallInfo fcinfo, const char *call,
								  const char *hint);
extern int	mig_lock_timeout_ms(const char *value, const char *file);
extern char *mig_script_lock_timeout(const char *directive);
extern char *mig_nontx_lock_timeout(const char *directive);
extern void mig_run_retrying(void (*fn) (void *arg), void *arg,
							 MigScript **current, const char *search_path,
							 bool may_retry);

/* statuscache.c */
extern char *mig_status_text(void);
extern char *mig_status_line(MigCatalog *cat);
extern void mig_store_status(MigCatalog *cat);
extern bool mig_read_settled(MigSettled *s);
extern void mig_refresh_status(void);
extern bool mig_schema_maybe_changed(void);
extern void mig_note_schema_changed(bool drop);

/* ddltrack.c */
extern void mig_ddltrack_init(void);

/* snapshot.c */
extern bool mig_map_kept(void);
extern void mig_record_snapshot(const char *action);
extern void mig_prepare_map(void);
extern void mig_defer_snapshot(const char *action);
extern void mig_record_unrecorded(void);
extern void mig_note_pending(Oid classid, Oid objid);
extern void mig_warn_drift(void);
extern int	mig_drift_summary(StringInfo buf, int max);

/* resume.c */
extern bool mig_partitioned_maintenance(const char *sql, const char *search_path);
extern bool mig_record_intent(const char *revision, int stmt, const char *sql);
extern bool mig_resolve_intent(const char *sql, Datum pending, List **cleanup);

#endif							/* PGMIG_H */
