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
