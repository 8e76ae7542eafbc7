/*-------------------------------------------------------------------------
 *
 * help.c
 *	  The command table of the pgmig client and its help texts.
 *
 * Each command says how many arguments it takes and which options apply,
 * so that main.c can refuse a misplaced option with a usage error, and
 * "pgmig help CMD" / "pgmig CMD --help" can explain one command.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#define CONN_HELP \
"Connection options:\n" \
"  -d, --dbname=DBNAME       database name or connection string (conninfo or URL)\n" \
"  -h, --host=HOSTNAME       database server host or socket directory\n" \
"  -p, --port=PORT           database server port\n" \
"  -U, --username=USERNAME   user name to connect as\n" \
"  -w, --no-password         never prompt for password\n" \
"  -W, --password            force password prompt\n" \
"Without -d, PGDATABASE and the other PG* variables apply; when neither -d\n" \
"nor PGDATABASE is set, DATABASE_URL is used as the connection string.\n"

#define LOCK_HELP \
"      --lock-timeout=DURATION  longest wait for a lock by a statement, e.g. 5s\n" \
"                            (pgmig.lock_timeout; 0 waits indefinitely, -1 keeps\n" \
"                            the session's lock_timeout; a file's\n" \
"                            \"-- pgmig:lock_timeout\" comes first)\n" \
"      --lock-retries=N      times a revision that timed out waiting for a lock\n" \
"                            is tried again, after a pause that doubles each\n" \
"                            time (pgmig.lock_retries, pgmig.lock_retry_delay)\n"

static const CommandInfo commands[] = {
	{"init", CMD_INIT, 0, 0, OPT_CONN,
		"[OPTION]...",
		"create the migrations folder and the pgmig extension",
		"Creates the migrations folder (migrations/ in the current directory, or\n"
		"--dir) if it is missing, connects to the database and creates the pgmig\n"
		"extension there if it is not installed yet.  Running it again is harmless.\n"},
	{"new", CMD_NEW, 0, 0, OPT_MESSAGE,
		"-m MESSAGE [OPTION]...",
		"write a new migration file",
		"Writes migrations/<version>_<slug>.sql with empty up and down sections.\n"
		"Its parents (\"-- pgmig:revises\") are the current heads of the folder.\n"
		"The version continues the project's numbering (001, 002, ...) or is a\n"
		"UTC timestamp (YYYYMMDDHHMMSS), always greater than every existing one.\n"
		"No database is needed.\n"
		"\n"
		"  -m, --message=MESSAGE     description; it becomes the file's slug\n"},
	{"up", CMD_UP, 0, 1, OPT_CONN | OPT_SQL | OPT_DRY_RUN | OPT_COMMIT_EACH | OPT_CONFIRM | OPT_LOCK | OPT_VERBOSE,
		"[TARGET] [OPTION]...",
		"apply pending revisions up to TARGET (default: head)",
		"Registers new and changed migration files with the database, then applies\n"
		"every pending revision that TARGET needs, parents before children, in one\n"
		"transaction: all or nothing.  A no-transaction revision (transaction:false)\n"
		"splits the run: what came before it is committed, its statements run one\n"
		"by one outside a transaction, then the run goes on.\n"
		"\n"
		"TARGET is head (the default; an error if there are several heads), heads,\n"
		"a revision id or unique prefix, +N (the next N revisions) or LABEL@head.\n"
		"\n"
		"With --sql nothing connects: the output is a script for\n"
		"\"psql -v ON_ERROR_STOP=1 -f FILE\" that registers every file and calls\n"
		"mig_apply(TARGET) in one transaction; when a no-transaction revision may\n"
		"be involved, it has the server plan the run and runs it step by step with\n"
		"psql's \\gexec, splitting it as this command does.\n"
		"\n"
		"A statement waits for a lock at most the lock timeout (default 5s).  When\n"
		"it times out, its revision is rolled back and tried again after a pause,\n"
		"so that application queries are not stuck behind it; a no-transaction\n"
		"revision tries the statement again.\n"
		"\n"
		"      --commit-each         commit after each revision\n"
		"      --dry-run             run the migrations, then roll everything back\n"
		"      --sql                 print the SQL for psql instead of connecting\n"
		"      --confirm             confirm a run on a production database\n"
		"                            (also PGMIG_CONFIRM=yes)\n"
		LOCK_HELP
		"  -v, --verbose             list the files registered (new, updated)\n"},
	{"down", CMD_DOWN, 1, 1, OPT_CONN | OPT_SQL | OPT_DRY_RUN | OPT_COMMIT_EACH | OPT_CONFIRM | OPT_LOCK | OPT_VERBOSE,
		"TARGET [OPTION]...",
		"revert applied revisions down to TARGET",
		"Reverts, children before parents, every applied revision that is not an\n"
		"ancestor of TARGET, in one transaction.  TARGET is a revision id or unique\n"
		"prefix, -N (the last N revisions), LABEL@head, or base (revert everything).\n"
		"\n"
		"      --commit-each         commit after each revision\n"
		"      --dry-run             run the down scripts, then roll everything back\n"
		"      --sql                 print the SQL for psql instead of connecting\n"
		"      --confirm             confirm a run on a production database\n"
		LOCK_HELP
		"  -v, --verbose             list the files registered (new, updated)\n"},
	{"redo", CMD_REDO, 0, 1, OPT_CONN | OPT_DRY_RUN | OPT_CONFIRM | OPT_LOCK | OPT_VERBOSE,
		"[TARGET] [OPTION]...",
		"revert to TARGET (default: -1), then apply the same revisions again",
		"Reverts the revisions that \"pgmig down TARGET\" would revert and applies\n"
		"them again, in one transaction: this proves that their down scripts work.\n"
		"TARGET defaults to -1, the last applied revision.\n"
		"\n"
		"First it checks the round trip as \"pgmig verify\" does, in a transaction\n"
		"that is rolled back: it takes the revisions down, then runs up, down, up\n"
		"of each, comparing the schema.  If a down script fails or does not restore\n"
		"the schema, redo refuses and changes nothing.  No-transaction revisions\n"
		"cannot be checked in advance.\n"
		"\n"
		"      --dry-run             check, run it, then roll everything back\n"
		"      --confirm             confirm a run on a production database\n"
		LOCK_HELP
		"  -v, --verbose             list the files registered and the check's results\n"},
	{"verify", CMD_VERIFY, 0, 1, OPT_CONN | OPT_LOCK | OPT_VERBOSE,
		"[TARGET] [OPTION]...",
		"prove the down scripts of pending revisions, changing nothing",
		"Registers the migration files as \"pgmig up\" does, then, for each pending\n"
		"revision up to TARGET, parents first, runs its up script, its down script\n"
		"and its up script again, comparing a fingerprint of the schema: after down\n"
		"it must be as before up, and the second up must give what the first gave.\n"
		"Everything runs in one transaction that is rolled back at the end: nothing\n"
		"is changed, not even the registration.\n"
		"\n"
		"Prints one line per revision: ok, irreversible (no down script), up failed,\n"
		"down failed, down differs, up differs, or not checked (no-transaction\n"
		"revisions, which cannot run inside the check, and those after them or\n"
		"after a failure).  Exits 1 if a revision failed, with the error, its file\n"
		"and line, or the objects that differ; revisions not checked only warn.\n"
		"TARGET is as for \"pgmig up\"; the default, heads, checks every\n"
		"pending revision.\n"
		"\n"
		LOCK_HELP
		"  -v, --verbose             list the files registered (new, updated)\n"},
	{"status", CMD_STATUS, 0, 0, OPT_CONN | OPT_JSON,
		"[OPTION]...",
		"list revisions: applied, pending, changed, half-done",
		"Lists every revision of the folder and of the database with its state:\n"
		"[X] applied, [ ] pending, [!] failed or running no-transaction revision,\n"
		"then counts, heads and warnings (several heads, out-of-order revisions,\n"
		"files changed after they were applied, files missing), and drift: objects\n"
		"of the schema changed outside migrations since the last run.  Read only.\n"
		"\n"
		"      --json                print JSON instead\n"},
	{"current", CMD_CURRENT, 0, 0, OPT_CONN,
		"[OPTION]...",
		"print the applied head revision(s) of the database",
		"Prints the revisions the database is at: the applied revisions that have no\n"
		"applied child.  Prints nothing for an empty database.\n"},
	{"heads", CMD_HEADS, 0, 0, OPT_CONN | OPT_OFFLINE,
		"[OPTION]...",
		"print the head revision(s) of the revision graph",
		"Prints the revisions that have no child.  More than one head means the\n"
		"history has branched; join the branches with \"pgmig merge\".\n"
		"\n"
		"      --offline             read the folder only, do not connect\n"},
	{"history", CMD_HISTORY, 0, 0, OPT_CONN | OPT_OFFLINE | OPT_VERBOSE | OPT_JSON,
		"[OPTION]...",
		"list the revisions, newest first, with their parents",
		"Lists the revisions from newest to oldest as \"PARENTS -> REVISION, description\",\n"
		"marking heads, branch points, merge points and the current revision(s).\n"
		"\n"
		"  -v, --verbose             one block per revision, with file, state and\n"
		"                            its audit log (applies, reverts, failures)\n"
		"      --json                print JSON instead\n"
		"      --offline             read the folder only, do not connect\n"},
	{"show", CMD_SHOW, 1, 1, OPT_CONN | OPT_OFFLINE,
		"REV [OPTION]...",
		"show one revision: file, parents, state, scripts",
		"Shows a revision, named by id or unique prefix: its file, parents,\n"
		"children, labels, state in the database, checksums and its scripts.\n"
		"\n"
		"      --offline             read the folder only, do not connect\n"},
	{"stamp", CMD_STAMP, 1, 1, OPT_CONN | OPT_CONFIRM | OPT_VERBOSE,
		"REV [OPTION]...",
		"mark the database as being at REV without running scripts",
		"Registers the files, then records REV and its ancestors as applied (or,\n"
		"for base, forgets applied revisions) without running any script.\n"
		"\n"
		"      --confirm             confirm on a production database\n"
		"  -v, --verbose             list the files registered (new, updated)\n"},
	{"merge", CMD_MERGE, 0, 0, OPT_MESSAGE | OPT_REVISION,
		"-m MESSAGE [-r REV]... [OPTION]...",
		"write a revision that joins several heads",
		"Writes a new migration file whose parents are the given revisions, or all\n"
		"heads when no -r is given.  Its up and down sections are empty; add\n"
		"statements if the branches need reconciling.  No database is needed.\n"
		"\n"
		"  -m, --message=MESSAGE     description; it becomes the file's slug\n"
		"  -r, --revision=REV        a revision to join (repeat it)\n"},
	{"check", CMD_CHECK, 0, 0, OPT_CONN | OPT_OFFLINE | OPT_DRIFT,
		"[OPTION]...",
		"validate the folder and its agreement with the database",
		"Parses every file, scans its scripts as the server will (unterminated\n"
		"quotes or comments, psql meta-commands) and builds the revision graph\n"
		"(duplicate versions, unknown parents, cycles, several heads).  Unless\n"
		"--offline, it also compares the folder with the database: files changed\n"
		"after they were applied, applied revisions whose file is missing,\n"
		"out-of-order and half-done revisions.  Exits 1 if it finds a problem.\n"
		"\n"
		"      --drift               also list the objects of the schema changed outside\n"
		"                            migrations since the last run (a problem too)\n"
		"      --offline             read the folder only, do not connect\n"},
	{"help", CMD_HELP, 0, 1, 0,
		"[COMMAND]",
		"show help for a command",
		"Shows the help of COMMAND, or the list of commands.\n"},
	{NULL}
};

/* The command named "name", or NULL. */
const CommandInfo *
find_command(const char *name)
{
	const CommandInfo *cmd;

	for (cmd = commands; cmd->name; cmd++)
		if (strcmp(cmd->name, name) == 0)
			return cmd;
	return NULL;
}

/* The long name of an OPT_* bit, for messages. */
const char *
option_name(int opt)
{
	switch (opt)
	{
		case OPT_CONN:
			return "a connection option";
		case OPT_SQL:
			return "--sql";
		case OPT_DRY_RUN:
			return "--dry-run";
		case OPT_COMMIT_EACH:
			return "--commit-each";
		case OPT_JSON:
			return "--json";
		case OPT_CONFIRM:
			return "--confirm";
		case OPT_MESSAGE:
			return "-m/--message";
		case OPT_REVISION:
			return "-r/--revision";
		case OPT_VERBOSE:
			return "-v/--verbose";
		case OPT_OFFLINE:
			return "--offline";
		case OPT_DRIFT:
			return "--drift";
		case OPT_LOCK:
			return "--lock-timeout/--lock-retries";
	}
	return "?";
}

/* The general help: every command, the common options. */
void
usage(void)
{
	const CommandInfo *cmd;

	printf("%s keeps a PostgreSQL database's schema in step with versioned SQL\n"
		   "migration files, through the pgmig extension.\n\n", progname);
	printf("Usage:\n");
	printf("  %s COMMAND [ARGUMENT]... [OPTION]...\n\n", progname);
	printf("Commands:\n");
	for (cmd = commands; cmd->name; cmd++)
		printf("  %-10s %s\n", cmd->name, cmd->summary);
	printf("\nGeneral options:\n");
	printf("      --dir=DIR             migrations folder (default: migrations/ in the\n"
		   "                            project root, found by walking up from the\n"
		   "                            current directory to a folder that holds\n"
		   "                            migrations/ or pgmig.conf)\n");
	printf("  -q, --quiet               print no progress messages\n");
	printf("  -V, --version             output version information, then exit\n");
	printf("  -?, --help                show this help (or a command's), then exit\n\n");
	printf("%s", CONN_HELP);
	printf("\nRun \"%s help COMMAND\" for the options of a command.\n", progname);
	printf("Migration files are migrations/<version>_<slug>.sql in dbmate's format:\n"
		   "\"-- migrate:up [transaction:false]\", its statements, then optionally\n"
		   "\"-- migrate:down\" and its statements.  Header lines before migrate:up:\n"
		   "\"-- pgmig:revises ID...\", \"-- pgmig:label NAME\", \"-- pgmig:lock_timeout 5s\".\n");
	printf("\nExit status: 0 success, 1 error, 2 usage error.\n");
	printf("\n%s home page: <%s>\n", PGMIG_PACKAGE_NAME, PGMIG_PACKAGE_URL);
}

/* The help of one command. */
void
command_usage(const CommandInfo *cmd)
{
	printf("%s %s: %s.\n\n", progname, cmd->name, cmd->summary);
	printf("Usage:\n  %s %s %s\n\n", progname, cmd->name, cmd->synopsis);
	printf("%s", cmd->help);
	if (cmd->options & OPT_CONN)
		printf("\n%s", CONN_HELP);
	if (cmd->cmd != CMD_HELP)
	{
		printf("\nGeneral options:\n");
		printf("      --dir=DIR             migrations folder\n");
		printf("  -q, --quiet               print no progress messages\n");
	}
}
