/*-------------------------------------------------------------------------
 *
 * script.c
 *	  Splitting, checking and running a migration script.
 *
 * A script is split into statements with PostgreSQL's own scanner (the
 * same rule psql uses: a semicolon outside parentheses ends a statement,
 * except inside the BEGIN ... END body of a SQL-standard routine).  Every
 * statement is then parsed once before anything runs, so syntax errors,
 * transaction control, psql meta-commands and statements that cannot run
 * in a transaction block are reported first.  Parse trees are thrown away
 * as soon as they are checked: only the statement boundaries are kept, so
 * a script of a million statements costs memory in proportion to its text.
 *
 * Running re-parses one statement at a time through SPI.  Errors keep
 * PostgreSQL's message, detail, hint and SQLSTATE; a context line names the
 * revision, its file and the line of the failing statement in that file.
 *
 * Schema files (pgmig.load_schema) are split, checked and run the same
 * way, with rules of their own: pg_dump's \restrict lines are blank, what
 * cannot run in the caller's transaction or reaches beyond its database
 * (roles, databases, tablespaces) is refused, and statements that only
 * change ownership or privileges are flagged, to be skipped.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/defrem.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/dest.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "pgmig.h"
#include "pgmig_format.h"

/* What the error context callback knows. */
typedef struct ScriptErrorContext
{
	MigScript  *script;
	int			stmt;			/* statement index, or -1 */
	const char *stmt_text;		/* its NUL-terminated text */
	bool		own_parse;		/* error position is ours to convert */
} ScriptErrorContext;

/* Byte offset of character position "charpos" (0-based) in "s". */
static int
char_to_byte(const char *s, int charpos)
{
	int			b = 0;

	while (charpos-- > 0 && s[b] != '\0')
		b += pg_mblen(s + b);
	return b;
}

/*
 * The file line of the last error (not notice or warning) raised in a
 * script, for callers that report it in a column of their own; 0 if none
 * since mig_forget_script_error().
 */
static int	last_error_line = 0;

/* The file line of the last error in a script (see last_error_line). */
int
mig_script_error_line(void)
{
	return last_error_line;
}

/* Forget it, before running a script whose errors are to be reported. */
void
mig_forget_script_error(void)
{
	last_error_line = 0;
}

/* Context line for errors in a script: revision, file, line. */
static void
script_error_callback(void *arg)
{
	ScriptErrorContext *ctx = (ScriptErrorContext *) arg;
	MigScript  *script = ctx->script;
	int			line = script->first_line;

	if (ctx->stmt >= 0)
	{
		int			pos;

		line = pgmig_line_at(script->text, script->stmts[ctx->stmt].offset,
							 script->first_line);
		if (ctx->own_parse && (pos = geterrposition()) > 0)
		{
			errposition(0);
			internalerrposition(pos);
			internalerrquery(ctx->stmt_text);
		}
		pos = getinternalerrposition();
		if (pos > 0)
			line = pgmig_line_at(ctx->stmt_text,
								 char_to_byte(ctx->stmt_text, pos - 1), line);
	}
	else
	{
		int			pos = geterrposition();

		/* a scanner error: its position is in the whole script */
		if (pos > 0)
		{
			line = pgmig_line_at(script->text,
								 char_to_byte(script->text, pos - 1),
								 script->first_line);
			errposition(0);
		}
	}
	/* not for a notice or a warning (classes 00, 01, 02) */
	if (ERRCODE_TO_CATEGORY(geterrcode()) != ERRCODE_SUCCESSFUL_COMPLETION &&
		ERRCODE_TO_CATEGORY(geterrcode()) != ERRCODE_WARNING &&
		ERRCODE_TO_CATEGORY(geterrcode()) != ERRCODE_NO_DATA)
		last_error_line = line;
	if (script->schema_file)
		errcontext(PGMIG_SCHEMA_CONTEXT, pgmig_escape(script->file), line);
	else
		errcontext(PGMIG_SCRIPT_CONTEXT, script->revert ? "down" : "up",
				   script->revision, script->file ? script->file : "(none)", line);
}

/* File line where statement "stmt" of a script starts. */
int
mig_statement_line(MigScript *script, int stmt)
{
	return pgmig_line_at(script->text, script->stmts[stmt].offset,
						 script->first_line);
}

/* Install the error context callback for a script. */
static void
push_script_context(ScriptErrorContext *ctx, ErrorContextCallback *errcb,
					MigScript *script)
{
	ctx->script = script;
	ctx->stmt = -1;
	ctx->stmt_text = NULL;
	ctx->own_parse = false;
	errcb->callback = script_error_callback;
	errcb->arg = ctx;
	errcb->previous = error_context_stack;
	error_context_stack = errcb;
}

/* Name of a statement that cannot run in a transaction block, or NULL. */
static const char *
needs_top_level(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_VacuumStmt:
			if (((VacuumStmt *) stmt)->is_vacuumcmd)
				return "VACUUM";
			break;
		case T_IndexStmt:
			if (((IndexStmt *) stmt)->concurrent)
				return "CREATE INDEX CONCURRENTLY";
			break;
		case T_ReindexStmt:
			{
				ReindexStmt *r = (ReindexStmt *) stmt;

				if (r->kind != REINDEX_OBJECT_INDEX &&
					r->kind != REINDEX_OBJECT_TABLE)
					return "REINDEX SCHEMA, SYSTEM or DATABASE";
#if PG_VERSION_NUM >= 140000
				{
					ListCell   *lc;

					foreach(lc, r->params)
					{
						DefElem    *opt = (DefElem *) lfirst(lc);

						if (strcmp(opt->defname, "concurrently") == 0 &&
							defGetBoolean(opt))
							return "REINDEX CONCURRENTLY";
					}
				}
#else
				if (r->concurrent)
					return "REINDEX CONCURRENTLY";
#endif
				break;
			}
		case T_DropStmt:
			if (((DropStmt *) stmt)->concurrent)
				return "DROP INDEX CONCURRENTLY";
			break;
		case T_CreatedbStmt:
			return "CREATE DATABASE";
		case T_DropdbStmt:
			return "DROP DATABASE";
		case T_CreateTableSpaceStmt:
			return "CREATE TABLESPACE";
		case T_DropTableSpaceStmt:
			return "DROP TABLESPACE";
		case T_AlterSystemStmt:
			return "ALTER SYSTEM";
		case T_CreateSubscriptionStmt:
			return "CREATE SUBSCRIPTION";
		case T_DropSubscriptionStmt:
			return "DROP SUBSCRIPTION";
		case T_ClusterStmt:
			if (((ClusterStmt *) stmt)->relation == NULL)
				return "CLUSTER without a table";
			break;
		case T_DiscardStmt:
			if (((DiscardStmt *) stmt)->target == DISCARD_ALL)
				return "DISCARD ALL";
			break;
		case T_AlterDatabaseStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterDatabaseStmt *) stmt)->options)
					if (strcmp(((DefElem *) lfirst(lc))->defname, "tablespace") == 0)
						return "ALTER DATABASE SET TABLESPACE";
				break;
			}
#if PG_VERSION_NUM >= 140000
		case T_AlterTableStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *cmd = (AlterTableCmd *) lfirst(lc);

					if (cmd->subtype == AT_DetachPartition &&
						((PartitionCmd *) cmd->def)->concurrent)
						return "ALTER TABLE ... DETACH PARTITION CONCURRENTLY";
				}
				break;
			}
#endif
		default:
			break;
	}
	return NULL;
}

/* Does the statement change nothing but ownership or privileges? */
static bool
privileges_only(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_GrantStmt:
		case T_GrantRoleStmt:
		case T_AlterDefaultPrivilegesStmt:
		case T_AlterOwnerStmt:
		case T_ReassignOwnedStmt:
			return true;
		case T_AlterTableStmt:
			{
				/* ALTER TABLE, SEQUENCE, VIEW, ... OWNER TO */
				List	   *cmds = ((AlterTableStmt *) stmt)->cmds;
				ListCell   *lc;

				foreach(lc, cmds)
					if (((AlterTableCmd *) lfirst(lc))->subtype != AT_ChangeOwner)
						return false;
				return cmds != NIL;
			}
		case T_VariableSetStmt:
			{
				/* SET ROLE, SET SESSION AUTHORIZATION and their RESET */
				const char *name = ((VariableSetStmt *) stmt)->name;

				return name != NULL && (strcmp(name, "role") == 0 ||
										strcmp(name, "session_authorization") == 0);
			}
		default:
			return false;
	}
}

/*
 * Name of a statement that changes the server beyond the database it runs
 * in (roles, databases, tablespaces), or NULL.  Those that cannot run in a
 * transaction block (CREATE DATABASE, ...) are needs_top_level()'s.
 */
static const char *
beyond_database(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_CreateRoleStmt:
			return "CREATE ROLE";
		case T_AlterRoleStmt:
		case T_AlterRoleSetStmt:
			return "ALTER ROLE";
		case T_DropRoleStmt:
			return "DROP ROLE";
		case T_AlterDatabaseStmt:
		case T_AlterDatabaseSetStmt:
			return "ALTER DATABASE";
		case T_AlterTableSpaceOptionsStmt:
			return "ALTER TABLESPACE";
		case T_RenameStmt:
			switch (((RenameStmt *) stmt)->renameType)
			{
				case OBJECT_ROLE:
					return "ALTER ROLE ... RENAME";
				case OBJECT_DATABASE:
					return "ALTER DATABASE ... RENAME";
				case OBJECT_TABLESPACE:
					return "ALTER TABLESPACE ... RENAME";
				default:
					return NULL;
			}
		case T_CommentStmt:
			switch (((CommentStmt *) stmt)->objtype)
			{
				case OBJECT_ROLE:
					return "COMMENT ON ROLE";
				case OBJECT_DATABASE:
					return "COMMENT ON DATABASE";
				case OBJECT_TABLESPACE:
					return "COMMENT ON TABLESPACE";
				default:
					return NULL;
			}
		default:
			return NULL;
	}
}

/*
 * Refuse what a schema file may not hold: statements that cannot run in
 * the caller's transaction or that reach beyond its database.
 */
static void
check_schema_statement(Node *stmt)
{
	const char *what = needs_top_level(stmt);

	if (what != NULL && IsA(stmt, IndexStmt))
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("CREATE INDEX CONCURRENTLY cannot run in a schema file"),
				 errdetail("A schema file is loaded inside a transaction, and CREATE INDEX CONCURRENTLY cannot run inside a transaction block."),
				 errhint("Write CREATE INDEX without CONCURRENTLY: a schema file says what the index is, not how to build it.")));
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s cannot run in a schema file", what),
				 errdetail("A schema file is loaded inside a transaction, and %s cannot run inside a transaction block.",
						   what),
				 errhint("Leave the statement out of the schema file.")));
	what = beyond_database(stmt);
	if (what != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s is not allowed in a schema file", what),
				 errdetail("A schema file holds the objects of one database; roles, databases and tablespaces belong to the server it is loaded into."),
				 errhint("Leave the statement out of the schema file.")));
	if (IsA(stmt, TransactionStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
				 errmsg("transaction control statements are not allowed in schema files"),
				 errdetail("pgmig loads a schema file inside the caller's transaction."),
				 errhint("Remove BEGIN, COMMIT and ROLLBACK from the schema file.")));
	if (IsA(stmt, CopyStmt) && ((CopyStmt *) stmt)->filename == NULL &&
		!((CopyStmt *) stmt)->is_program)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("COPY FROM STDIN and COPY TO STDOUT are not supported in schema files"),
				 errhint("Leave the data out of the schema file (pg_dump --schema-only).")));
}

/* The raw parse trees of "sql" (a list of RawStmt). */
List *
mig_raw_parse(const char *sql)
{
#if PG_VERSION_NUM >= 140000
	return raw_parser(sql, RAW_PARSE_DEFAULT);
#else
	return raw_parser(sql);
#endif
}

/* The one raw statement of "sql", or NULL if it holds not exactly one. */
Node *
mig_parse_one(const char *sql)
{
	List	   *parsed = mig_raw_parse(sql);

	if (list_length(parsed) != 1)
		return NULL;
	return linitial_node(RawStmt, parsed)->stmt;
}

/* Parse each statement once and refuse what cannot run here. */
static void
check_statements(MigScript *script, ScriptErrorContext *ctx)
{
	MemoryContext parsecxt = AllocSetContextCreate(CurrentMemoryContext,
												   "pgmig parse check",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt;
	int			i,
				kept = 0;

	ctx->own_parse = true;
	for (i = 0; i < script->nstmts; i++)
	{
		MigStatement *st = &script->stmts[i];
		List	   *parsed;
		char	   *buf;
		Node	   *stmt;
		const char *what;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		st->flags = 0;
		oldcxt = MemoryContextSwitchTo(parsecxt);
		buf = pnstrdup(script->text + st->offset, st->length);
		ctx->stmt = i;
		ctx->stmt_text = buf;
		parsed = mig_raw_parse(buf);
		MemoryContextSwitchTo(oldcxt);

		/* a statement of nothing but comments: drop it */
		if (parsed == NIL)
		{
			MemoryContextReset(parsecxt);
			continue;
		}

		/*
		 * The splitter follows psql's rule; where that rule cannot see a
		 * statement's end (a routine parameter named "begin" before its
		 * body, as in psql), the piece holds several statements.  Say so
		 * rather than run them as one.
		 */
		if (list_length(parsed) > 1)
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("could not tell where a statement ends"),
					 errdetail("The text from this line on holds %d statements that pgmig, splitting the script as psql does, reads as one.",
							   list_length(parsed)),
					 errhint("Look for a word that psql takes for the start of a routine body (BEGIN, CASE) and quote it, or end the statement before it differently.")));
		foreach(lc, parsed)
		{
			stmt = lfirst_node(RawStmt, lc)->stmt;

			if (script->schema_file)
				check_schema_statement(stmt);
			if (privileges_only(stmt))
				st->flags |= MIG_STMT_PRIVILEGES;
			if (IsA(stmt, TransactionStmt))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_TRANSACTION_TERMINATION),
						 errmsg("transaction control statements are not allowed in migration scripts"),
						 errdetail("pgmig runs every script inside a transaction of its own."),
						 script->schema_file || script->file == NULL ?
						 errhint("Remove BEGIN, COMMIT and ROLLBACK from the script.") :
						 errhint("Remove BEGIN, COMMIT and ROLLBACK from the script; mark it as a no-transaction revision with %s if it must not run in a transaction.",
								 pgmig_no_transaction_mark(script->file))));
			if (IsA(stmt, CopyStmt) && ((CopyStmt *) stmt)->filename == NULL &&
				!((CopyStmt *) stmt)->is_program)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("COPY FROM STDIN and COPY TO STDOUT are not supported in migration scripts"),
						 errhint("Load data with INSERT, or COPY from a file the server can read.")));
			what = needs_top_level(stmt);
			if (what != NULL)
				st->flags |= MIG_STMT_TOP_LEVEL;
			if (what != NULL && script->top_level_stmt == NULL)
			{
				script->top_level_stmt = what;
				script->top_level_line = pgmig_line_at(script->text, st->offset,
													   script->first_line);
			}
			if (IsA(stmt, VariableSetStmt) && !((VariableSetStmt *) stmt)->is_local)
				st->flags |= MIG_STMT_SESSION_SET;
			if ((IsA(stmt, ReindexStmt) && ((ReindexStmt *) stmt)->relation != NULL) ||
				(IsA(stmt, ClusterStmt) && ((ClusterStmt *) stmt)->relation != NULL))
				st->flags |= MIG_STMT_MAINTENANCE;
		}

		script->stmts[kept++] = *st;
		MemoryContextReset(parsecxt);
	}
	script->nstmts = kept;
	ctx->stmt = -1;
	ctx->own_parse = false;
	MemoryContextDelete(parsecxt);
}

/* Split and check a script whose fields are set. */
static void
split_and_check(MigScript *script)
{
	ScriptErrorContext ctx;
	ErrorContextCallback errcb;

	push_script_context(&ctx, &errcb, script);

	mig_split_statements(script);
	check_statements(script, &ctx);

	error_context_stack = errcb.previous;
}

/*
 * Split and check a script (see file header).  Errors name the revision,
 * file and line.
 */
MigScript *
mig_split_script(const char *revision, const char *file, char *text,
				 int first_line, bool revert)
{
	MigScript  *script = palloc0(sizeof(MigScript));

	script->revision = revision;
	/* golang-migrate's and Diesel's layouts: the down script is a file */
	if (revert && file != NULL && pgmig_split_up_file(file))
		file = pgmig_split_part_name(file, PGMIG_PART_DOWN);
	script->file = file;
	script->text = text;
	script->first_line = first_line;
	script->revert = revert;
	script->current = -1;
	split_and_check(script);
	return script;
}

/*
 * Split and check a schema file (pgmig.load_schema) as a script, with the
 * rules of schema files: errors name the file and line, pg_dump's
 * \restrict lines are blank (the text is changed in place), and what
 * cannot run in the caller's transaction or reaches beyond its database is
 * refused.
 */
MigScript *
mig_split_schema_file(const char *file, char *text)
{
	MigScript  *script = palloc0(sizeof(MigScript));

	script->file = file;
	script->text = text;
	script->first_line = 1;
	script->current = -1;
	script->schema_file = true;
	split_and_check(script);
	return script;
}

/*
 * Run a checked script statement by statement, with the caller's
 * search_path and the script's lock_timeout, but those with a flag of
 * script->skip_flags.  Settings the script changes end with it, unless it
 * commits after each statement (script->commit_each), which a setting's
 * nesting level cannot outlive: then they stay for the session.  Returns
 * how many statements ran.
 */
int
mig_run_script(MigScript *script, const char *caller_search_path)
{
	MemoryContext stmtcxt = AllocSetContextCreate(CurrentMemoryContext,
												  "pgmig statement",
												  ALLOCSET_DEFAULT_SIZES);
	ScriptErrorContext ctx;
	ErrorContextCallback errcb;
	GucAction	action = script->commit_each ? GUC_ACTION_SET : GUC_ACTION_SAVE;
	int			nestlevel = script->commit_each ? 0 : NewGUCNestLevel();
	int			i,
				nrun = 0;
#if PG_VERSION_NUM >= 140000
	SPIExecuteOptions options;

	memset(&options, 0, sizeof(options));
	options.read_only = false;
	options.dest = None_Receiver;
#endif

	/* a script that failed before runs again only once reset */
	Assert(script->current == -1);

	(void) set_config_option("search_path", caller_search_path,
							 PGC_USERSET, PGC_S_SESSION,
							 action, true, 0, false);
	if (script->lock_timeout != NULL)
		(void) set_config_option("lock_timeout", script->lock_timeout,
								 PGC_USERSET, PGC_S_SESSION,
								 action, true, 0, false);

	push_script_context(&ctx, &errcb, script);

	for (i = 0; i < script->nstmts; i++)
	{
		MigStatement *st = &script->stmts[i];
		MemoryContext oldcxt;
		char	   *buf;
		int			ret;

		CHECK_FOR_INTERRUPTS();
		if (st->flags & script->skip_flags)
			continue;
		MemoryContextReset(stmtcxt);
		oldcxt = MemoryContextSwitchTo(stmtcxt);
		buf = pnstrdup(script->text + st->offset, st->length);
		ctx.stmt = i;
		ctx.stmt_text = buf;
		script->current = i;
#if PG_VERSION_NUM >= 140000
		ret = SPI_execute_extended(buf, &options);
#else
		ret = SPI_execute(buf, false, 0);
		SPI_freetuptable(SPI_tuptable);
#endif
		MemoryContextSwitchTo(oldcxt);
		if (ret < 0)
			elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
		nrun++;
		if (script->commit_each)
			SPI_commit();
	}

	error_context_stack = errcb.previous;
	MemoryContextDelete(stmtcxt);
	script->current = -1;

	/* discard whatever the script SET, SET LOCAL included */
	if (!script->commit_each)
		AtEOXact_GUC(false, nestlevel);
	return nrun;
}

/* Context line for a deferred constraint that a script violated. */
static void
deferred_error_callback(void *arg)
{
	MigScript  *script = (MigScript *) arg;

	errcontext("deferred constraints checked at the end of the %s script of revision %s, file \"%s\"",
			   script->revert ? "down" : "up", script->revision,
			   script->file ? script->file : "(none)");
}

/*
 * Fire the deferred checks pending in this transaction (SET CONSTRAINTS ALL
 * IMMEDIATE) in a subtransaction that is rolled back either way: the
 * constraints keep their own timing for what follows, and the checks,
 * marked undone again, still run at commit.  Returns the error of a
 * violation (with "script" in its context), or NULL.
 */
static ErrorData *
try_deferred_checks(MigScript *script)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ConstraintsSetStmt *stmt = makeNode(ConstraintsSetStmt);
	ErrorContextCallback errcb;
	ErrorData  *volatile edata = NULL;

	stmt->constraints = NIL;
	stmt->deferred = false;
	errcb.callback = deferred_error_callback;
	errcb.arg = script;
	errcb.previous = error_context_stack;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	if (script != NULL)
		error_context_stack = &errcb;
	PG_TRY();
	{
		AfterTriggerSetState(stmt);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	error_context_stack = errcb.previous;
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(cxt);
	CurrentResourceOwner = owner;
	return edata;
}

/*
 * Are the deferred constraints of the transaction satisfied before a run?
 * If the caller's own changes already violate one, the checks after each
 * script would blame the scripts: the run leaves them to commit.
 */
bool
mig_deferred_satisfied(void)
{
	ErrorData  *edata = try_deferred_checks(NULL);

	if (edata == NULL)
		return true;
	FreeErrorData(edata);
	return false;
}

/*
 * Check the deferred constraints after a script, as committing its own
 * transaction would, so that a violation names the revision that caused
 * it rather than surfacing at the end of the run.
 */
void
mig_check_deferred(MigScript *script)
{
	ErrorData  *edata = try_deferred_checks(script);

	if (edata != NULL)
		ReThrowError(edata);
}
