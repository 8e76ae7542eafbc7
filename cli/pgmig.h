/*-------------------------------------------------------------------------
 *
 * pgmig.h
 *	  Declarations shared by the source files of the pgmig client.
 *
 * The client reads migration files, registers them with the pgmig
 * extension and asks the extension to apply or revert them.  Files are
 * parsed and planned with the shared core (../common), the same code the
 * extension runs, so that both sides agree on ids, parents, checksums and
 * plans.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_CLIENT_H
#define PGMIG_CLIENT_H

#include "postgres_fe.h"

#include <unistd.h>

#include "common/logging.h"
#include "fe_utils/connect_utils.h"
#include "libpq-fe.h"
#include "portability/instr_time.h"
#include "pqexpbuffer.h"

/*
 * The shared code (../common) this header's declarations use: parsed
 * files, the merged graph, the errors report_pgmig_error prints, and the
 * state of a revision's row.
 */
#include "pgmig_diff.h"
#include "pgmig_format.h"
#include "pgmig_graph.h"
#include "pgmig_message.h"
#include "pgmig_state.h"

#ifndef PGMIG_VERSION
#error "PGMIG_VERSION must be defined (cli/Makefile passes it)"
#endif

/*
 * What --help ends with, as PostgreSQL's PACKAGE_NAME and PACKAGE_URL: the
 * project's page on PGXN, where its META.json publishes it.  There is no
 * address for bug reports, so no "Report bugs to" line.  A packager may
 * define PGMIG_PACKAGE_URL (in CPPFLAGS) to point elsewhere.
 */
#define PGMIG_PACKAGE_NAME "pgmig"
#ifndef PGMIG_PACKAGE_URL
#define PGMIG_PACKAGE_URL "https://pgxn.org/dist/pgmig/"
#endif

/*
 * Logging helpers that PostgreSQL 15 added.  Older releases get stand-ins
 * that print what PostgreSQL 15 prints ("pgmig: detail: ..."), so that the
 * output is the same whatever release the client is built against.
 */
#if PG_VERSION_NUM < 150000
#define pgmig_log_part(part, ...) \
	do { fprintf(stderr, "%s: %s: ", progname, (part)); \
		 fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } while (0)
#define pg_log_warning_detail(...) pgmig_log_part("detail", __VA_ARGS__)
#define pg_log_warning_hint(...) pgmig_log_part("hint", __VA_ARGS__)
#endif

/*
 * Every error the client reports goes through log_error_part (report.c),
 * which prints it as pg_log_error and its friends do and, under --json,
 * keeps the first one for the error document that a failed run prints on
 * stdout.
 */
typedef enum ErrorPart
{
	ERROR_PRIMARY,
	ERROR_DETAIL,
	ERROR_HINT
} ErrorPart;

extern void log_error_part(ErrorPart part, const char *fmt,...) pg_attribute_printf(2, 3);

#undef pg_log_error
#undef pg_log_error_detail
#undef pg_log_error_hint
#define pg_log_error(...) log_error_part(ERROR_PRIMARY, __VA_ARGS__)
#define pg_log_error_detail(...) log_error_part(ERROR_DETAIL, __VA_ARGS__)
#define pg_log_error_hint(...) log_error_part(ERROR_HINT, __VA_ARGS__)

/*
 * pg_fatal exits with error_exit_status, which "pgmig diff" sets to 2 so
 * that every error it meets exits as diff(1) does on trouble.
 */
#undef pg_fatal
#define pg_fatal(...) \
	do { pg_log_error(__VA_ARGS__); exit(error_exit_status); } while (0)

/*
 * SQL of the client's own queries, safe under any search_path (operators
 * named with their schema too): a timestamptz as ISO 8601 in UTC, whatever
 * the session's DateStyle, and an interval in milliseconds.
 */
#define ISO_TIME(col) \
	"pg_catalog.to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define MILLISECONDS(col) \
	"(pg_catalog.date_part('epoch', " col ") OPERATOR(pg_catalog.*) 1000::pg_catalog.float8)"

/* Exit statuses. */
#define EXIT_OK		0
#define EXIT_ERROR	1
#define EXIT_USAGE	2

typedef enum Command
{
	CMD_NONE = 0,
	CMD_HELP,
	CMD_INIT,
	CMD_NEW,
	CMD_UP,
	CMD_DOWN,
	CMD_REDO,
	CMD_STATUS,
	CMD_CURRENT,
	CMD_HEADS,
	CMD_HISTORY,
	CMD_SHOW,
	CMD_STAMP,
	CMD_IMPORT,
	CMD_MERGE,
	CMD_CHECK,
	CMD_VERIFY,
	CMD_DIFF
} Command;

/* Options, as bits, so that each command can say which ones it takes. */
#define OPT_CONN		(1 << 0)	/* -d -h -p -U -w -W */
#define OPT_SQL			(1 << 1)
#define OPT_DRY_RUN		(1 << 2)
#define OPT_COMMIT_EACH	(1 << 3)
#define OPT_JSON		(1 << 4)
#define OPT_CONFIRM		(1 << 5)
#define OPT_MESSAGE		(1 << 6)
#define OPT_REVISION	(1 << 7)
#define OPT_VERBOSE		(1 << 8)
#define OPT_OFFLINE		(1 << 9)
#define OPT_DRIFT		(1 << 10)
#define OPT_LOCK		(1 << 11)	/* --lock-timeout --lock-retries */
#define OPT_AUTOGEN		(1 << 12)	/* --autogenerate */
#define OPT_SCHEMA		(1 << 13)	/* --schema */
#define OPT_SHADOW		(1 << 14)	/* --shadow-url */
#define OPT_PRIVILEGES	(1 << 15)
#define OPT_CONCURRENTLY (1 << 16)
#define OPT_FROM_DB		(1 << 17)	/* --from-database */
#define OPT_DOWN		(1 << 18)
#define OPT_FORCE		(1 << 19)	/* up --force */
#define OPT_DROP		(1 << 20)	/* import --drop */
#define OPT_REPLICAS	(1 << 21)	/* --wait-for-replicas */
#define OPT_FLEET		(1 << 22)	/* --databases --all-databases --jobs
									 * --fail-fast */
#define OPT_LAST		OPT_FLEET

/* The options of autogenerate, which "new" takes only with --autogenerate. */
#define OPT_AUTOGEN_ONLY \
	(OPT_CONN | OPT_SCHEMA | OPT_SHADOW | OPT_PRIVILEGES | \
	 OPT_CONCURRENTLY | OPT_FROM_DB | OPT_CONFIRM | OPT_VERBOSE)

/* One command of the command line: name, arguments, options, help. */
typedef struct CommandInfo
{
	const char *name;
	Command		cmd;
	int			min_args;
	int			max_args;
	int			options;		/* OPT_* bits it accepts */
	const char *synopsis;		/* arguments and options, for usage */
	const char *summary;		/* one line, for --help */
	const char *help;			/* paragraphs, for "pgmig help CMD" */
} CommandInfo;

/* The parsed command line. */
/* How a run shows its progress on standard error (progress.c). */
typedef enum ProgressMode
{
	PROGRESS_OFF,
	PROGRESS_LINES,				/* a line as each revision starts and ends */
	PROGRESS_LIVE				/* a line rewritten in place, on a terminal */
} ProgressMode;

typedef struct Options
{
	const CommandInfo *command;
	int			nargs;
	char	  **args;			/* positional arguments after the command */
	char	  **positional;		/* all of them, the command first */

	/* connection */
	const char *dbname;
	const char *host;
	const char *port;
	const char *username;
	enum trivalue prompt_password;

	/* project */
	const char *dir;			/* --dir: the migrations folder */
	const char *format;			/* --format: the folder's layout, or NULL */

	/* behaviour */
	bool		sql;
	bool		dry_run;
	bool		commit_each;
	bool		quiet;
	ProgressMode progress;		/* from PGMIG_PROGRESS, -q and stderr */
	bool		json;
	bool		confirm;
	bool		force;			/* up: accept edited applied files */
	bool		drop;			/* import: drop the other tool's table */
	const char *replicas;		/* --wait-for-replicas: standby names */
	bool		verbose;
	bool		offline;
	bool		drift;
	const char *lock_timeout;	/* --lock-timeout, or NULL */
	const char *lock_retries;	/* --lock-retries, or NULL */
	const char *message;
	int			nrevisions;
	const char **revisions;		/* merge -r */

	/* autogenerate: new --autogenerate, diff */
	bool		autogenerate;
	const char *schema;			/* --schema, or NULL */
	const char *shadow_url;		/* --shadow-url, or NULL */
	bool		privileges;
	bool		concurrently;
	bool		from_database;
	bool		down;			/* diff --down */

	/* fleets (fleet.c): one command over many databases */
	const char *databases;		/* --databases FILE, or NULL */
	bool		all_databases;
	int			jobs;			/* --jobs: databases run at a time */
	bool		fail_fast;
} Options;

/* One migration file, parsed and checksummed. */
typedef struct MigFile
{
	char	   *path;			/* path as shown to the user: control
								 * characters escaped, not for open() */
	char	   *content;		/* normalized text, as it is registered */
	char	   *down_content;	/* golang-migrate's and Diesel's layouts: the
								 * down file's text, or NULL (content is the
								 * up file's) */
	char	   *meta_content;	/* Diesel's metadata.toml, Sqitch's verify
								 * script, or NULL */
	PgmigScript script;
} MigFile;

/* The project: where its migrations are, and the files found there. */
typedef struct Project
{
	char	   *root;			/* folder holding migrations/ or pgmig.conf */
	char	   *dir;			/* the migrations folder */
	char	   *schema;			/* pgmig.conf's "schema", joined to the
								 * root, or NULL */
	char	   *shadow_url;		/* pgmig.conf's "shadow", or NULL */
	bool		found;			/* false: nothing found, defaults used */
	bool		inspecting;	/* status, show, check: hash the up and
								 * down scripts, read the whole catalog */
	bool		checking;		/* check: scan the scripts as the server
								 * will */
	const char *format;			/* the folder's layout: "dbmate",
								 * "golang-migrate", "diesel" or "sqitch" */
	const char *want_format;	/* pgmig.conf's "format", or NULL: told by
								 * the names */
	char	   *sqitch_plan;	/* Sqitch's layout: the plan's text, as
								 * registered with the scripts, or NULL */
	int			nfiles;
	MigFile    *files;			/* sorted by version */
	int			nrepeatables;
	MigFile    *repeatables;	/* Flyway's R__<description>.sql, by name;
								 * no revisions */
} Project;

/* What the database knows about one revision. */
typedef struct DbRev
{
	char	   *id;
	bool		registered;		/* has a pgmig.revisions row */
	bool		applied;		/* has a pgmig.schema_migrations row */
	bool		has_file;		/* a local file has this id */
	char	   *description;
	char	   *file_checksum;
	char	   *up_checksum;
	char	   *source_file;
	bool		parents_explicit;
	int			nparents;
	char	  **parents;
	int			nlabels;
	char	  **labels;
	bool		transactional;
	char	   *applied_checksum;	/* up script's checksum as applied */
	char	   *state;			/* complete, running, failed */
	char	   *applied_at;
	char	   *applied_by;
	char	   *method;			/* applied, stamped */
	char	   *duration;		/* milliseconds as text, or NULL */
	int			statements_done;	/* -1: NULL */
	char	   *sortkey;		/* as registered, if not the id itself */
} DbRev;

/* The catalog as read in one query, sorted by id. */
typedef struct Catalog
{
	int			n;
	DbRev	   *revs;
} Catalog;

/* A revision of the merged view: a file, a catalog row, or both. */
typedef struct Rev
{
	const char *id;
	const char *description;
	MigFile    *file;			/* NULL: the file is gone */
	DbRev	   *db;				/* NULL: unknown to the database */
} Rev;

/* The merged revision graph; node->data points at a Rev. */
typedef struct View
{
	PgmigGraph	graph;
	Rev		   *revs;
} View;

/* A connection with what the handshake learned. */
typedef struct Conn
{
	PGconn	   *conn;
	char	   *extschema;		/* quoted schema of the mig_* functions */
	const Options *opts;
	bool		locked;			/* holds the session advisory lock */
	int			server_pid;		/* pg_backend_pid() at handshake */
	bool		pooled;			/* behind a pooler (pooler.c) */
} Conn;

/* What a revision is, from its file and the catalog (inspect.c). */
typedef struct RevFacts
{
	Rev		   *rev;
	const PgmigNode *node;
	bool		applied;		/* has a schema_migrations row */
	bool		complete;		/* applied and not half-done */
	bool		changed;		/* file differs from the script as applied */
	bool		missing;		/* no file */
	bool		head;			/* no child */
	bool		out_of_order;	/* pending, older than an applied one */
	bool		current;		/* applied, no applied child */
	const char *state;			/* of an applied one: NULL or complete,
								 * running, failed, reverting, ... */
} RevFacts;

/* How many revisions are in each state. */
typedef struct RevCounts
{
	int			napplied;		/* half-done ones included */
	int			npending;
	int			nchanged;
	int			nhalf;
	int			nooo;
	int			nmissing;
} RevCounts;

/* What the read-only commands look at, and what they learn (inspect.c). */
typedef struct Inspect
{
	const Options *opts;
	Project		project;
	bool		online;
	Conn		c;
	Catalog		cat;
	View		view;
	RevFacts   *facts;			/* by node */
	RevCounts	counts;
} Inspect;

/* Changes of the schema made outside migrations since the last run. */
typedef struct Drift
{
	bool		tracked;		/* pgmig.track_drift is on */
	int			n;				/* objects changed */
	PGresult   *rows;			/* change, object, since (ISO 8601); NULL if
								 * not tracked */
} Drift;

#define DRIFT_CHANGE(drift, i)	PQgetvalue((drift)->rows, (i), 0)
#define DRIFT_OBJECT(drift, i)	PQgetvalue((drift)->rows, (i), 1)
#define DRIFT_SINCE(drift)		PQgetvalue((drift)->rows, 0, 2)

/* One step of a run: a revision to apply or revert. */
typedef struct Step
{
	char	   *id;
	char	   *description;
	char	   *source_file;
	bool		transactional;
	bool		revert;
	bool		repeatable;		/* a Flyway repeatable migration (R__) */
	char	   *call_target;	/* target passed to pgmig.apply/revert */
} Step;

/* State of one run (run.c). */
typedef struct Run
{
	Conn	   *c;
	Project    *project;
	const Options *opts;
	bool		in_tx;			/* a transaction is open */
	bool		rollback;		/* end with ROLLBACK (--dry-run) */
	bool		engine_dry_run; /* pass dry_run to pgmig.apply/revert */
	bool		commit_each;
	int			nrun;			/* revisions run so far */
	int			ncommitted;		/* of which committed */
	bool		nothing_to_do;	/* the catalog read under the lock says so */
	bool		noted;			/* pgmig.runs has this run (note_run_start) */
	bool		repeatables;	/* run_steps ends with the repeatable
								 * migrations that changed */
} Run;

/* One file of the schema wanted (schemafile.c). */
typedef struct SchemaFile
{
	char	   *name;			/* relative to the project root, as the
								 * server's errors name it */
	char	   *content;		/* checked, line ends normalized */
} SchemaFile;

/* The schema wanted: a schema file, or a folder of them. */
typedef struct SchemaSource
{
	char	   *label;			/* for messages: "schema.sql", "schema/" */
	int			nfiles;
	SchemaFile *files;
} SchemaSource;

/* What autogenerate works on (autogen.c, newrev.c). */
typedef struct Autogen
{
	const Options *opts;
	Project		project;
	int			nheads;
	char	  **heads;			/* ids of the heads of the files' graph */
	SchemaSource schema;		/* the schema file, unless --from-database */
	Options		shadow_opts;	/* what runs in shadows: quiet */
	Conn		user;			/* --from-database: the user's database */
	Catalog		cat;			/* its catalog, to check it is at head */
	View		dbview;
	Conn		head;			/* shadow: the migrations' head */
	Conn		want;			/* shadow: the schema file */
	char	   *want_label;		/* "schema.sql", "database \"app\"" */
	PgmigSchema head_desc;
	PgmigSchema want_desc;
	PgmigDiff	up;				/* head to wanted */
	PgmigDiff	down;			/* wanted to head */
} Autogen;

extern const char *progname;
extern int	error_exit_status;

/* help.c */
extern const CommandInfo *find_command(const char *name);
extern void usage(void);
extern void command_usage(const CommandInfo *cmd);
extern const char *option_name(int opt);

/* project.c */
extern bool find_project(const Options *opts, bool must_exist, Project *project);
extern const char *display_path(const char *path);
extern char *join_path(const char *head, const char *tail);

/* files.c */
extern bool load_files(Project *project);
extern bool check_duplicates(const Project *project);
extern void free_script(PgmigScript *script);
extern void free_project(Project *project);
extern char *new_version(const Project *project);
extern char *make_slug(const char *message);
extern bool write_migration(const Project *project, const char *version,
							const char *slug, int nparents,
							const char *const *parents, const char *comment,
							bool quiet);
extern bool write_new_file(const Project *project, const char *name,
						   const char *text, bool quiet);
extern char *read_whole_file(const char *path, const char *display, size_t *len);
extern bool check_file_scripts(const MigFile *f);

/* alembic.c */
extern const char **alembic_applied(Conn *c, Project *project, const char *table, int *n);

/* sqitch.c */
extern bool is_sqitch_project(const char *dir);
extern bool load_sqitch(Project *project);
extern const char **sqitch_deployed(Conn *c, Project *project, int *n);
extern bool sqitch_has_deployed(Conn *c, const Project *project, bool *deployed);

/* import.c */
extern bool check_other_tool(Conn *c, const Project *project, const Catalog *cat);
extern bool import_history(Conn *c, Project *project);
extern MigFile *file_of_sortkey(const Project *project, const char *key);
extern MigFile *file_of_version(const Project *project, const char *version);
extern void add_listed(PQExpBuffer list, int *n, const char *item);

/* import_flyway.c */
extern const char **flyway_match_history(Conn *c, Project *project,
										 const char *table, int *n,
										 const char ***reps, int *nreps);
extern bool flyway_import_repeatables(Conn *c, const char **reps, int n,
									  const char *source);

/* replicas.c */
extern bool wait_for_replicas(Conn *c, const char *names);

/* pooler.c */
extern bool require_session(Conn *c);
extern void report_session_moved(Conn *c, int now);
extern bool begin_tx(Conn *c);

/* conninfo.c */
extern char *libpq_conninfo(const char *s);
extern char *masked_conninfo(const char *s);

/* connection.c */
extern char *prompt_password(void);
extern void connect_db(const Options *opts, Conn *c);
extern char *conninfo_like(PGconn *conn, const char *dbname);
extern PGconn *connect_like(PGconn *conn, const char *dbname);
extern bool handshake(Conn *c, bool create);
extern void report_error(const PGresult *res, PGconn *conn,
						 const char *context);
extern PGresult *query(Conn *c, const char *sql, int nparams,
					   const char *const *values);
extern char *text_array_binary(int n, const char *const *items, int *len);
extern char *text_array_literal(int n, const char *const *items);
extern bool command(Conn *c, const char *sql);
extern void take_lock(Conn *c);
extern bool set_session_options(Conn *c);
extern void disconnect_db(Conn *c);

/* catalog.c */
extern bool read_catalog(Conn *c, Project *project, Catalog *cat);
extern DbRev *catalog_find(const Catalog *cat, const char *id);
extern MigFile *project_file(Project *project, const char *id);
extern bool sync_catalog(Conn *c, Project *project, Catalog *cat);
extern bool build_view(Project *project, Catalog *cat, View *view);
extern Rev *view_rev(const View *view, int node);
extern void free_catalog(Catalog *cat);
extern void free_view(View *view);

/* nontx.c */
extern bool run_nontx(Conn *c, Step *step, double *ms, int *nstatements);

/* run.c */
extern const char *chunk_target(const char *target, bool revert);
extern bool start_run(Run *run, Conn *c, Project *project, bool dry_run,
					  const char *target, bool revert);
extern bool note_run_start(Run *run, const char *action, const char *target);
extern void note_run_end(Run *run);
extern bool get_plan(Run *run, const char *target, bool revert, Step **steps,
					 int *n);
extern void free_steps(Step *steps, int n);
extern bool run_steps(Run *run, Step *steps, int n);
extern bool end_tx(Run *run);
extern void abort_tx(Run *run);
extern int	run_plan(Conn *c, Project *project, const char *target,
					 bool revert);

/* verify.c */
extern int	run_redo(Conn *c, Project *project, const char *target);
extern int	run_verify(Conn *c, Project *project, const char *target);

/* fleet.c */
extern bool is_fleet(const Options *opts);
extern int	run_fleet(const Options *opts, int (*run_one) (const Options *opts));

/* commands.c */
extern int	cmd_init(const Options *opts);
extern int	cmd_new(const Options *opts);
extern int	cmd_merge(const Options *opts);
extern int	cmd_up(const Options *opts);
extern int	cmd_down(const Options *opts);
extern int	cmd_redo(const Options *opts);
extern int	cmd_stamp(const Options *opts);
extern int	cmd_import(const Options *opts);
extern int	cmd_verify(const Options *opts);
extern bool stamp_revision(Conn *c, Project *project, const char *target);

/* inspect.c */
extern Inspect *inspect_open(const Options *opts, bool online);
extern void inspect_close(Inspect *in);
extern void inspect_fail(Inspect *in) pg_attribute_noreturn();
extern char *head_list(const Inspect *in, int *nheads);
extern void read_drift(Inspect *in, Drift *drift);
extern void free_drift(Drift *drift);

/* status.c */
extern int	cmd_status(const Options *opts);
extern void json_id_list(PQExpBuffer buf, const Inspect *in, bool current);
extern void json_drift(PQExpBuffer buf, const Drift *drift);
extern int	cmd_current(const Options *opts);
extern int	cmd_heads(const Options *opts);

/* history.c */
extern int	cmd_history(const Options *opts);
extern int	cmd_show(const Options *opts);

/* check.c */
extern int	cmd_check(const Options *opts);

/* sqlscript.c */
extern int	print_sql_script(const Options *opts, Project *project,
							 const char *target, bool revert);

/* schemafile.c */
extern bool read_schema(const Options *opts, const Project *project,
						SchemaSource *src);
extern bool load_schema_send(Conn *c, const SchemaSource *src, bool privileges);
extern bool load_schema_wait(Conn *c);
extern void free_schema_source(SchemaSource *src);

/* shadow.c */
extern void shadow_server_open(const Options *opts, const Project *project);
extern bool shadow_create(const char *what, const Options *opts, Conn *c);
extern bool shadow_drop_all(void);

/* describe.c */
extern bool parse_text_array(const char *text, int *n, char ***items);
extern bool describe_database(Conn *c, bool privileges, PgmigSchema *schema);
extern void free_description(PgmigSchema *schema);

/* autogen.c */
extern void autogen_fail(void) pg_attribute_noreturn();
extern void autogen_check_canceled(void);
extern void autogen_timing(instr_time *start, const char *fmt,...) pg_attribute_printf(2, 3);
extern void autogen_diff(const PgmigSchema *from, const PgmigSchema *to,
						 bool concurrently, PgmigDiff *diff);
extern void append_script(PQExpBuffer buf, const PgmigDiff *diff, bool online);
extern void append_revert(PQExpBuffer buf, const PgmigDiff *diff);
extern int	count_steps(const PgmigDiff *diff, bool online);
extern int	cmd_diff(const Options *opts);
extern int	cmd_new_autogenerate(const Options *opts);

/* newrev.c */
extern bool write_revisions(Autogen *ag);

/* report.c */
extern void json_start(void);
extern void json_stop(void);
extern FILE *progress_stream(void);
extern void note_error(const char *message, const char *detail,
					   const char *hint, const char *sqlstate,
					   const char *context);
extern void json_print(PQExpBuffer buf);
extern void report_step(const Step *step, double ms, int nstatements);
extern void report_steps_end(bool committed);
extern void report_steps_drop(void);
extern void json_append_steps(PQExpBuffer buf);
extern PGresult *query_current(PGconn *conn, const char *extschema);
extern void json_append_current(PQExpBuffer buf, Conn *c);
extern void json_run_begin(Conn *c);
extern void print_run_json(Conn *c, const char *target);
extern void print_stamp_json(Conn *c, const char *target, const PGresult *res);
extern void print_import_json(const char *tool, const char *table, bool dropped,
							  const PGresult *res);
/* progress.c */
extern bool progress_mode(bool quiet, ProgressMode *mode);
extern const char *progress_setting(ProgressMode mode);
extern void progress_attach(PGconn *conn);
extern void progress_begin(ProgressMode mode, PGconn *conn, const Step *steps,
						   int n, bool dry_run);
extern void progress_end(void);
extern void progress_chunk(int first);
extern void progress_step_start(int i);
extern void progress_step_end(int i, double ms, const char *extra);
extern void progress_statement(int stmt, int nstmts, int line);
extern void progress_report(const char *msg, const char *detail);
extern void progress_clear(void);
extern PGresult *progress_exec(PGconn *conn, const char *sql, int nparams,
							   const char *const *values);

/* output.c */
extern const char *shown(const char *text);
extern void report_statement_error(const char *message, const char *detail,
								   const char *hint, const char *context);
extern void report_pgmig_error(PgmigError *err);
extern void json_string(PQExpBuffer buf, const char *s);
extern void json_key(PQExpBuffer buf, bool *first, const char *key);
extern void json_open_document(PQExpBuffer buf, bool *first,
							   const char *command, const char *target);
extern void json_bool(PQExpBuffer buf, bool *first, const char *key,
					  bool value);
extern void json_int(PQExpBuffer buf, bool *first, const char *key, int value);
extern void json_count(PQExpBuffer buf, bool *first, const char *key, int value);
extern void json_string_array(PQExpBuffer buf, int n, char *const *items);
extern const char *json_rev_state(const RevFacts *f);
extern void json_open_revision(PQExpBuffer buf, bool *first, const Rev *rev);
extern char *format_ms(const char *ms);
extern double elapsed_ms(instr_time start);
extern char *ms_interval(double ms);
extern void info(const Options *opts, const char *fmt,...) pg_attribute_printf(2, 3);

#endif							/* PGMIG_CLIENT_H */
