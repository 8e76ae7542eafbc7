/*-------------------------------------------------------------------------
 *
 * schemaload.c
 *	  pgmig.load_schema: load a schema file into the current database.
 *
 * Autogenerate compares the schema a database has with the one a schema
 * file describes; the file is loaded into a shadow database first, and
 * pgmig.describe() reads it there.  A schema file is a script of DDL as
 * pg_dump --schema-only writes it (SET lines, set_config, COMMENT ON
 * EXTENSION, CREATE EXTENSION IF NOT EXISTS, "\restrict" lines, ...) or as
 * a person does.  It is split, checked and run as a migration script is
 * (script.c), statement by statement in the caller's transaction, with the
 * caller's rights and search_path; errors name the file and the line.
 * What it sets (search_path, check_function_bodies, ...) ends with it.
 *
 * The shadow database may live on a server without the roles the file
 * names, so ownership and privileges (ALTER ... OWNER TO, GRANT, REVOKE,
 * SET ROLE, ...) are skipped unless the caller asks for them.
 *
 * CALL pgmig.load_schema_each() loads the files of a schema in order and
 * commits after each statement, as psql runs a file.  A transaction then
 * holds the locks of one statement, not of the whole schema, so the
 * client can load a schema of thousands of tables into one shadow while
 * it applies the migrations in another, and the two do not exhaust the
 * server's lock table between them.  Settings a file makes end with RESET
 * ALL after it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"

#include "pgmig.h"

PG_FUNCTION_INFO_V1(pgmig_load_schema);

/*
 * pgmig.load_schema(file_name, script, privileges): run the schema file's
 * statements; returns how many ran.
 */
Datum
pgmig_load_schema(PG_FUNCTION_ARGS)
{
	char	   *file = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *sql = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		privileges = PG_GETARG_BOOL(2);
	char	   *search_path = mig_caller_search_path();
	MigScript  *script;
	int			nrun;

	script = mig_split_schema_file(file, sql);
	if (!privileges)
		script->skip_flags = MIG_STMT_PRIVILEGES;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	nrun = mig_run_script(script, search_path);
	SPI_finish();

	PG_RETURN_INT32(nrun);
}

PG_FUNCTION_INFO_V1(pgmig_load_schema_each);

/*
 * CALL pgmig.load_schema_each(file_names, scripts, privileges): run the
 * files' statements in order, committing after each one, with RESET ALL
 * after each file.
 */
Datum
pgmig_load_schema_each(PG_FUNCTION_ARGS)
{
	Datum	   *names;
	Datum	   *texts;
	int			nfiles;
	bool		privileges;
	char	   *search_path;
	int			i;

	mig_require_nonatomic(fcinfo, "pgmig.load_schema_each()",
						  "Inside a transaction, use SELECT pgmig.load_schema() for each file.");
	if (SPI_connect_ext(SPI_OPT_NONATOMIC) != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* what is allocated from here on lives in the procedure's context */
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("file_names and scripts must not be null")));
	nfiles = mig_text_array_arg(PG_GETARG_ARRAYTYPE_P(0), "file_names", &names);
	if (mig_text_array_arg(PG_GETARG_ARRAYTYPE_P(1), "scripts", &texts) != nfiles)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("file_names and scripts must have the same number of elements")));
	privileges = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	search_path = mig_caller_search_path();

	for (i = 0; i < nfiles; i++)
	{
		MigScript  *script = mig_split_schema_file(TextDatumGetCString(names[i]),
												   TextDatumGetCString(texts[i]));

		if (!privileges)
			script->skip_flags = MIG_STMT_PRIVILEGES;
		script->commit_each = true;
		(void) mig_run_script(script, search_path);
		if (SPI_execute("RESET ALL", false, 0) != SPI_OK_UTILITY)
			elog(ERROR, "RESET ALL failed");
		SPI_commit();
	}
	SPI_finish();
	PG_RETURN_VOID();
}
