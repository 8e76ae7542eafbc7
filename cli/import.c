/*-------------------------------------------------------------------------
 *
 * import.c
 *	  Databases another migration tool migrated: finding its catalog, and
 *	  "pgmig import", which takes its history over.
 *
 * dbmate records each applied version in a table schema_migrations
 * (version text) on the search_path, DBMATE_MIGRATIONS_TABLE if set;
 * golang-migrate keeps one row in a table of the same name (version
 * bigint, dirty boolean): the last version applied, every one before it
 * being applied too; Diesel keeps every version applied in
 * __diesel_schema_migrations; Sqitch deploys the changes of sqitch.plan
 * and records them in sqitch.changes (sqitch.c), Alembic its heads in
 * alembic_version (alembic.c), node-pg-migrate each migration it ran by
 * name (the file name without its extension) in pgmigrations.  "pgmig
 * import" reads that table, matches each version to a file of the folder
 * by version (leading zeros aside), or each name to a file by name, and
 * has the server record those revisions as applied without running them
 * (pgmig.import).  A version without a file, or a golang-migrate version
 * left dirty by a failed run, is reported and nothing is imported: the
 * history is taken whole or not at all.  The other tool's table is left as
 * it is, unless --drop drops it in the same transaction.
 *
 * "pgmig up" on a database whose pgmig history is empty while such a
 * table has rows refuses before running anything and says to import:
 * running every revision again would fail on the objects they made, or
 * worse, succeed halfway.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "pgmig_version.h"

/* The other tool's catalog found in the database. */
typedef struct OtherTool
{
	char	   *tool;			/* as messages name it; NULL: none */
	char	   *table;			/* schema-qualified, quoted as needed */
} OtherTool;

/*
 * Find another tool's catalog with at least one row; t->tool NULL if there
 * is none.  The catalogs are the tools' default tables, as their
 * documentation defines them: dbmate's and golang-migrate's
 * schema_migrations (version; golang-migrate's has "dirty"), Diesel's
 * __diesel_schema_migrations, Flyway's flyway_schema_history, Sqitch's
 * sqitch.changes, Alembic's alembic_version, node-pg-migrate's
 * pgmigrations; each on the search_path but Sqitch's.  False (reported)
 * on error.
 */
static bool
find_other_tool(Conn *c, OtherTool *t)
{
	const char *name = getenv("DBMATE_MIGRATIONS_TABLE");
	const char *values[1];
	PGresult   *res;
	int			i;
	bool		ok = true;

	memset(t, 0, sizeof(*t));
	values[0] = name != NULL && name[0] != '\0' ? name : "schema_migrations";
	res = query(c,
				"SELECT k.tool, pg_catalog.format('%I.%I', n.nspname, c.relname),"
				" EXISTS (SELECT FROM pg_catalog.pg_attribute a"
				"         WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid"
				"           AND a.attname OPERATOR(pg_catalog.=) 'dirty' AND NOT a.attisdropped)"
				" FROM (VALUES (1, 'dbmate', $1, NULL, 'version'),"
				"              (2, 'Diesel', '__diesel_schema_migrations', NULL, 'version'),"
				"              (3, 'Flyway', 'flyway_schema_history', NULL, 'installed_rank'),"
				"              (4, 'Sqitch', 'changes', 'sqitch', 'change_id'),"
				"              (5, 'Alembic', 'alembic_version', NULL, 'version_num'),"
				"              (6, 'node-pg-migrate', 'pgmigrations', NULL, 'run_on'))"
				"      AS k(ord, tool, relname, nspname, col)"
				" JOIN pg_catalog.pg_class c ON c.relname OPERATOR(pg_catalog.=) k.relname"
				" JOIN pg_catalog.pg_namespace n ON n.oid OPERATOR(pg_catalog.=) c.relnamespace"
				" WHERE c.relkind OPERATOR(pg_catalog.=) ANY (ARRAY['r', 'p']::pg_catalog.\"char\"[])"
				"   AND n.nspname OPERATOR(pg_catalog.<>) 'pgmig'"
				"   AND CASE WHEN k.nspname IS NULL THEN pg_catalog.pg_table_is_visible(c.oid)"
				"            ELSE n.nspname OPERATOR(pg_catalog.=) k.nspname END"
				"   AND pg_catalog.has_table_privilege(c.oid, 'SELECT')"
				"   AND EXISTS (SELECT FROM pg_catalog.pg_attribute a"
				"               WHERE a.attrelid OPERATOR(pg_catalog.=) c.oid"
				"                 AND a.attname OPERATOR(pg_catalog.=) k.col AND NOT a.attisdropped)"
				" ORDER BY k.ord",
				1, values);
	if (res == NULL)
		return false;
	/* the first that has rows: an empty one is no history */
	for (i = 0; ok && t->tool == NULL && i < PQntuples(res); i++)
	{
		char	   *sql = psprintf("SELECT EXISTS (SELECT FROM %s)", PQgetvalue(res, i, 1));
		PGresult   *rows = query(c, sql, 0, NULL);

		pfree(sql);
		ok = rows != NULL;
		if (ok && strcmp(PQgetvalue(rows, 0, 0), "t") == 0)
		{
			bool		golang = strcmp(PQgetvalue(res, i, 2), "t") == 0;

			t->tool = pg_strdup(golang ? "golang-migrate" : PQgetvalue(res, i, 0));
			t->table = pg_strdup(PQgetvalue(res, i, 1));
		}
		if (rows)
			PQclear(rows);
	}
	PQclear(res);
	return ok;
}

/* Does the catalog record any revision as applied (or half-done)? */
static bool
has_history(const Catalog *cat)
{
	int			i;

	for (i = 0; i < cat->n; i++)
		if (cat->revs[i].applied)
			return true;
	return false;
}

/*
 * For "pgmig up": refuse a database another tool migrated that pgmig's
 * history does not know yet.  Sqitch's registry counts only if it holds
 * changes of the project's plan: several projects may share it.  False
 * (reported) if it must refuse, or on error.
 */
bool
check_other_tool(Conn *c, const Project *project, const Catalog *cat)
{
	OtherTool	t;
	bool		deployed;

	if (has_history(cat))
		return true;
	if (!find_other_tool(c, &t))
		return false;
	if (t.tool == NULL)
		return true;
	/* Sqitch's registry may hold only other projects' changes */
	if (strcmp(t.tool, "Sqitch") == 0 &&
		(!sqitch_has_deployed(c, project, &deployed) || !deployed))
	{
		pg_free(t.tool);
		pg_free(t.table);
		return !deployed;
	}
	pg_log_error("database \"%s\" was migrated by %s, and pgmig has no history of it",
				 PQdb(c->conn), t.tool);
	pg_log_error_detail("Table %s records what %s applied; running it again would fail on what it made.",
						shown(t.table), t.tool);
	pg_log_error_hint("Run \"%s import\" first: it records the revisions %s applied, without running them.",
					  progname, t.tool);
	pg_free(t.tool);
	pg_free(t.table);
	return false;
}

/* Compare a sort key with a file's, for bsearch. */
static int
sortkey_file_cmp(const void *key, const void *file)
{
	return pgmig_sortkey_cmp((const char *) key, ((const MigFile *) file)->script.sortkey);
}

/*
 * The file of sort key "key", or NULL: the files are in version order,
 * without duplicates (load_files, check_duplicates).
 */
MigFile *
file_of_sortkey(const Project *project, const char *key)
{
	return bsearch(key, project->files, project->nfiles, sizeof(MigFile), sortkey_file_cmp);
}

/* The file of version "version" (by sort key), or NULL. */
MigFile *
file_of_version(const Project *project, const char *version)
{
	char	   *key = pgmig_sortkey(version);
	MigFile    *found;

	if (key == NULL)
		return NULL;
	found = file_of_sortkey(project, key);
	pfree(key);
	return found;
}

/* Add "item" to a list that shows at most ten, counting it. */
void
add_listed(PQExpBuffer list, int *n, const char *item)
{
	if (*n < 10)
		appendPQExpBuffer(list, "%s%s", *n > 0 ? ", " : "", item);
	(*n)++;
}

/*
 * "ids" if no version (or name, "names") the other tool applied is
 * missing from the folder; else report the missing ones and NULL.  Frees
 * "missing", and "ids" if it reports.
 */
static const char **
missing_files(const Project *project, const char *tool, bool names,
			  PQExpBuffer missing, int nmissing, const char **ids)
{
	if (nmissing > 0)
	{
		pg_log_error("%d %s%s that %s %s %s no file in \"%s\"",
					 nmissing, names ? "migration" : "version", nmissing == 1 ? "" : "s",
					 tool, names ? "ran" : "applied",
					 nmissing == 1 ? "has" : "have", display_path(project->dir));
		pg_log_error_detail("%s without a file: %s%s. Nothing was imported.",
							names ? "Names" : "Versions", missing->data,
							nmissing > 10 ? ", ..." : "");
		pg_log_error_hint("Put their files back in the folder: pgmig records only revisions it has the scripts of.");
		pg_free(ids);
		ids = NULL;
	}
	termPQExpBuffer(missing);
	return ids;
}

/*
 * The ids of the revisions node-pg-migrate ran, each name of table
 * "table" matched to the file of that name without its extension; *n gets
 * the count.  NULL (reported, listing them) if a name has no file.
 */
static const char **
node_applied(Conn *c, Project *project, const char *table, int *n)
{
	char	   *sql = psprintf("SELECT name FROM %s ORDER BY run_on, id", table);
	PGresult   *res = query(c, sql, 0, NULL);
	const char **ids;
	PQExpBufferData missing;
	int			nmissing = 0;
	int			i,
				j;

	pfree(sql);
	*n = 0;
	if (res == NULL)
		return NULL;
	ids = pg_malloc((PQntuples(res) + 1) * sizeof(char *));
	initPQExpBuffer(&missing);
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *name = PQgetvalue(res, i, 0);
		size_t		len = strlen(name);
		MigFile    *f = NULL;

		for (j = 0; j < project->nfiles && f == NULL; j++)
		{
			const char *file = project->files[j].script.file_name;
			const char *dot = strrchr(file, '.');

			if (dot != NULL && (size_t) (dot - file) == len &&
				strncmp(file, name, len) == 0)
				f = &project->files[j];
		}
		if (f != NULL)
			ids[(*n)++] = f->script.id;
		else
			add_listed(&missing, &nmissing, shown(name));
	}
	PQclear(res);
	return missing_files(project, "node-pg-migrate", true, &missing, nmissing, ids);
}

/*
 * The ids of the revisions the other tool applied, matched to the files;
 * *n gets the count.  NULL (reported) if a version has no file, or the
 * history cannot be taken as it is.
 */
static const char **
match_versions(Conn *c, Project *project, const OtherTool *t, int *n)
{
	bool		golang = strcmp(t->tool, "golang-migrate") == 0;
	char	   *sql;
	PGresult   *res;
	const char **ids;
	PQExpBufferData missing;
	int			nmissing = 0;
	int			i;

	/* Sqitch's registry: changes by name, in plan order (sqitch.c) */
	if (strcmp(t->tool, "Sqitch") == 0)
		return sqitch_deployed(c, project, n);
	/* Alembic's heads: the files naming them, and their ancestors (alembic.c) */
	if (strcmp(t->tool, "Alembic") == 0)
		return alembic_applied(c, project, t->table, n);
	/* node-pg-migrate's migrations: by name */
	if (strcmp(t->tool, "node-pg-migrate") == 0)
		return node_applied(c, project, t->table, n);
	sql = golang ?
		psprintf("SELECT version::pg_catalog.text, dirty FROM %s", t->table) :
		psprintf("SELECT version::pg_catalog.text, false FROM %s ORDER BY 1", t->table);
	res = query(c, sql, 0, NULL);

	pfree(sql);
	*n = 0;
	if (res == NULL)
		return NULL;
	ids = pg_malloc((project->nfiles + 1) * sizeof(char *));
	initPQExpBuffer(&missing);
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *version = PQgetvalue(res, i, 0);
		MigFile    *f = file_of_version(project, version);

		if (strcmp(PQgetvalue(res, i, 1), "t") == 0)
		{
			pg_log_error("%s left version %s dirty in %s", t->tool, shown(version), shown(t->table));
			pg_log_error_detail("A migration failed halfway under %s; nothing was imported.", t->tool);
			pg_log_error_hint("Repair the database and mark the version clean with \"migrate force VERSION\", then import.");
			PQclear(res);
			pg_free(ids);
			termPQExpBuffer(&missing);
			return NULL;
		}
		if (f == NULL)
		{
			add_listed(&missing, &nmissing, shown(version));
			continue;
		}
		if (!golang)
		{
			ids[(*n)++] = f->script.id;
			continue;
		}
		/* golang-migrate: that version and every one before it */
		{
			int			j;

			for (j = 0; j < project->nfiles; j++)
				if (pgmig_sortkey_cmp(project->files[j].script.sortkey, f->script.sortkey) <= 0)
					ids[(*n)++] = project->files[j].script.id;
		}
	}
	PQclear(res);
	return missing_files(project, t->tool, false, &missing, nmissing, ids);
}

/*
 * pgmig import: register the files, then record what the other tool
 * applied, in one transaction; the caller holds the migration lock.  False
 * (reported) on error.
 */
bool
import_history(Conn *c, Project *project)
{
	Catalog		cat;
	OtherTool	t;
	const char **ids = NULL;
	const char **reps = NULL;	/* Flyway's repeatable migrations */
	int			nreps = 0;
	int			n = 0;
	bool		ok;
	int			i;

	memset(&cat, 0, sizeof(cat));
	memset(&t, 0, sizeof(t));
	ok = begin_tx(c) && read_catalog(c, project, &cat) &&
		find_other_tool(c, &t);
	if (ok && t.tool == NULL)
	{
		pg_log_error("no history of another migration tool in database \"%s\"", PQdb(c->conn));
		pg_log_error_detail("pgmig reads dbmate's and golang-migrate's table schema_migrations (or DBMATE_MIGRATIONS_TABLE), Diesel's __diesel_schema_migrations, Flyway's flyway_schema_history, Alembic's alembic_version and node-pg-migrate's pgmigrations on the search_path, and Sqitch's sqitch.changes; none has rows.");
		ok = false;
	}
	if (ok && c->opts->drop && strcmp(t.tool, "Sqitch") == 0)
	{
		pg_log_error("import --drop does not drop Sqitch's registry");
		pg_log_error_detail("Schema sqitch holds the registry of every Sqitch project deployed to the database, in several tables.");
		pg_log_error_hint("Import without --drop, and drop the schema with \"DROP SCHEMA sqitch CASCADE\" once no Sqitch run needs it.");
		ok = false;
	}
	if (ok && has_history(&cat))
	{
		pg_log_error("database \"%s\" already has pgmig history", PQdb(c->conn));
		pg_log_error_detail("An import takes over %s's history before pgmig records any; nothing was imported.", t.tool);
		pg_log_error_hint("To change what pgmig recorded, use \"%s stamp\".", progname);
		ok = false;
	}
	ok = ok && sync_catalog(c, project, &cat) &&
		(ids = strcmp(t.tool, "Flyway") == 0 ?
		 flyway_match_history(c, project, t.table, &n, &reps, &nreps) :
		 match_versions(c, project, &t, &n)) != NULL;
	/* --drop: in the same transaction, so that it goes only with the import */
	if (ok && c->opts->drop)
	{
		char	   *sql = psprintf("DROP TABLE %s", t.table);

		ok = command(c, sql);
		pfree(sql);
	}
	if (ok)
	{
		char	   *sql = psprintf("SELECT revision, action FROM pgmig.import($1::pg_catalog.text[], $2)");
		char	   *id_array = text_array_literal(n, ids);
		char	   *source = psprintf("%s (%s)", t.tool, t.table);
		const char *values[2] = {id_array, source};
		PGresult   *res = query(c, sql, 2, values);

		pfree(sql);
		pg_free(id_array);
		ok = res != NULL &&
			(nreps == 0 || flyway_import_repeatables(c, reps, nreps, source)) &&
			command(c, "COMMIT");
		if (ok)
		{
			if (c->opts->json)
				print_import_json(t.tool, t.table, c->opts->drop, res);
			if (c->opts->verbose)
				for (i = 0; i < PQntuples(res); i++)
					info(c->opts, "%s %s", PQgetvalue(res, i, 1), PQgetvalue(res, i, 0));
			info(c->opts, "imported %d revision%s from %s",
				 PQntuples(res), PQntuples(res) == 1 ? "" : "s", shown(source));
			if (c->opts->drop)
				info(c->opts, "dropped %s", shown(t.table));
			else
				info(c->opts, "%s is left as it is: drop it once no %s run needs it (or import with --drop)",
					 shown(t.table), t.tool);
		}
		if (res)
			PQclear(res);
		pfree(source);
	}
	if (!ok && PQtransactionStatus(c->conn) != PQTRANS_IDLE)
		PQclear(PQexec(c->conn, "ROLLBACK"));
	pg_free(ids);
	pg_free(reps);
	pg_free(t.tool);
	pg_free(t.table);
	free_catalog(&cat);
	return ok;
}
