/*-------------------------------------------------------------------------
 *
 * import_flyway.c
 *	  "pgmig import" from Flyway's flyway_schema_history.
 *
 * Flyway records every run of a migration as a row (installed_rank,
 * version, description, type, script, checksum, installed_by,
 * installed_on, execution_time, success).  Read in installed_rank order,
 * a successful versioned row ("SQL", with a version) applies its version;
 * an "UNDO_SQL" row (Flyway's undo) or a "DELETE" row (what "flyway
 * repair" writes for a migration it forgets) takes it back; a "BASELINE"
 * row stands for every version up to its own, which Flyway then ignores
 * the files of; "SCHEMA" (the schemas Flyway created) means nothing here.
 * A repeatable migration ("SQL" without a version; "DELETE" forgets it) is
 * matched to its file by description, as Flyway matches it: its last run is
 * recorded as applied if the file's checksum is the one recorded, and left
 * to "pgmig up" otherwise, as Flyway would run it again.  A failed row, any other
 * type (Java migrations, scripts), a version or repeatable migration with
 * no file, and a versioned file whose Flyway checksum differs from the one
 * recorded are reported, and nothing is imported: the history is taken
 * whole or not at all.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "pgmig_flyway.h"

/* What the history says of one version, in the end. */
typedef struct FlywayVersion
{
	char	   *key;			/* pgmig_flyway_sortkey of the version */
	char	   *version;		/* as Flyway recorded it */
	char	   *script;			/* the file name Flyway recorded */
	char	   *checksum;		/* as recorded (an integer), or NULL */
	bool		applied;
} FlywayVersion;

/* The last run of a repeatable migration. */
typedef struct FlywayRepeatable
{
	char	   *description;
	char	   *script;
	char	   *checksum;		/* as recorded, or NULL */
	bool		deleted;		/* "flyway repair" forgot it since */
} FlywayRepeatable;

/* What reading the history found wrong; each list holds up to 10. */
typedef struct FlywayProblems
{
	PQExpBufferData failed;
	int			nfailed;
	PQExpBufferData unsupported;
	int			nunsupported;
	PQExpBufferData missing;
	int			nmissing;
	PQExpBufferData changed;
	int			nchanged;
} FlywayProblems;

/* The entry of version key "key" in "vs", added if new. */
static FlywayVersion *
version_entry(FlywayVersion *vs, int *nvs, const char *key)
{
	int			i;

	for (i = 0; i < *nvs; i++)
		if (strcmp(vs[i].key, key) == 0)
			return &vs[i];
	memset(&vs[*nvs], 0, sizeof(FlywayVersion));
	vs[*nvs].key = pg_strdup(key);
	return &vs[(*nvs)++];
}

/*
 * Read the rows of Flyway's history into the final state of each version
 * (*nvs of them) and *baseline (the key of the last baseline, or NULL).
 * Rows that cannot be taken over are noted in *p.  False (reported) if the
 * table cannot be read.
 */
static bool
read_flyway_history(Conn *c, const char *table, FlywayVersion **vsp, int *nvs,
					FlywayRepeatable **rsp, int *nrs, char **baseline,
					FlywayProblems *p)
{
	char	   *sql = psprintf("SELECT installed_rank, version, type, script,"
							   " checksum::pg_catalog.text, success, description"
							   " FROM %s ORDER BY installed_rank", table);
	FlywayRepeatable *rs;
	PGresult   *res = query(c, sql, 0, NULL);
	FlywayVersion *vs;
	int			i;

	pfree(sql);
	*nvs = 0;
	*baseline = NULL;
	if (res == NULL)
		return false;
	vs = pg_malloc((PQntuples(res) + 1) * sizeof(FlywayVersion));
	rs = pg_malloc((PQntuples(res) + 1) * sizeof(FlywayRepeatable));
	*nrs = 0;
	for (i = 0; i < PQntuples(res); i++)
	{
		const char *rank = PQgetvalue(res, i, 0);
		const char *version = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
		const char *type = PQgetvalue(res, i, 2);
		const char *script = PQgetvalue(res, i, 3);
		bool		success = strcmp(PQgetvalue(res, i, 5), "t") == 0;
		char	   *key = version ? pgmig_flyway_sortkey(version) : NULL;
		char	   *item;
		FlywayVersion *v;

		if (strcmp(type, "SCHEMA") == 0)
		{
			pg_free(key);
			continue;
		}
		if (!success)
		{
			item = psprintf("%s (rank %s)", shown(script), rank);
			add_listed(&p->failed, &p->nfailed, item);
			pfree(item);
		}
		else if (strcmp(type, "BASELINE") == 0 && key != NULL)
		{
			pg_free(*baseline);
			*baseline = key;
			key = NULL;
		}
		else if (key != NULL && (strcmp(type, "SQL") == 0 ||
								 strcmp(type, "UNDO_SQL") == 0 ||
								 strcmp(type, "DELETE") == 0))
		{
			v = version_entry(vs, nvs, key);
			v->applied = strcmp(type, "SQL") == 0;
			pg_free(v->version);
			pg_free(v->script);
			pg_free(v->checksum);
			v->version = pg_strdup(version);
			v->script = pg_strdup(script);
			v->checksum = PQgetisnull(res, i, 4) ? NULL : pg_strdup(PQgetvalue(res, i, 4));
		}
		else if (version == NULL && (strcmp(type, "SQL") == 0 || strcmp(type, "DELETE") == 0))
		{
			/* a repeatable migration: its last run counts, or its deletion */
			const char *desc = PQgetvalue(res, i, 6);
			int			j;

			for (j = 0; j < *nrs && strcmp(rs[j].description, desc) != 0; j++)
				;
			if (j == *nrs)
			{
				memset(&rs[j], 0, sizeof(FlywayRepeatable));
				rs[j].description = pg_strdup(desc);
				(*nrs)++;
			}
			else
			{
				pg_free(rs[j].script);
				pg_free(rs[j].checksum);
			}
			rs[j].deleted = strcmp(type, "DELETE") == 0;
			rs[j].script = pg_strdup(script);
			rs[j].checksum = PQgetisnull(res, i, 4) ? NULL : pg_strdup(PQgetvalue(res, i, 4));
		}
		else
		{
			/* Java, a script, or a version pgmig cannot order */
			item = psprintf("%s (rank %s, type %s)", shown(script), rank, shown(type));
			add_listed(&p->unsupported, &p->nunsupported, item);
			pfree(item);
		}
		pg_free(key);
	}
	PQclear(res);
	*vsp = vs;
	*rsp = rs;
	return true;
}

/*
 * Match the repeatable migrations Flyway ran to the files, by description:
 * those whose file is as Flyway last ran it go into *reps (*nreps); one
 * without a file is noted in *p.
 */
static void
match_repeatables(Project *project, FlywayRepeatable *rs, int nrs,
				  const char **reps, int *nreps, FlywayProblems *p)
{
	int			i,
				j;

	*nreps = 0;
	for (i = 0; i < nrs; i++)
	{
		MigFile    *f = NULL;
		char		sum[16];

		if (rs[i].deleted)
			continue;
		for (j = 0; j < project->nrepeatables && f == NULL; j++)
			if (strcmp(project->repeatables[j].script.description, rs[i].description) == 0)
				f = &project->repeatables[j];
		if (f == NULL)
		{
			add_listed(&p->missing, &p->nmissing, shown(rs[i].script));
			continue;
		}
		snprintf(sum, sizeof(sum), "%d",
				 (int) pgmig_flyway_checksum(f->content, strlen(f->content)));
		/* a file Flyway would run again is pgmig up's to run */
		if (rs[i].checksum != NULL && strcmp(rs[i].checksum, sum) == 0)
			reps[(*nreps)++] = f->script.file_name;
	}
}

/*
 * Match the versions Flyway applied to the files: their ids (*n), or NULL
 * (reported) if the history cannot be taken as it is.
 */
const char **
flyway_match_history(Conn *c, Project *project, const char *table, int *n,
					 const char ***reps, int *nreps)
{
	FlywayVersion *vs = NULL;
	int			nvs = 0;
	FlywayRepeatable *rs = NULL;
	int			nrs = 0;
	char	   *baseline = NULL;
	FlywayProblems p;
	const char **ids = NULL;
	bool	   *taken;
	int			i;

	*n = 0;
	*nreps = 0;
	*reps = NULL;
	if (project->format == NULL || strcmp(project->format, "flyway") != 0)
	{
		pg_log_error("Flyway's history is matched to Flyway's files, and folder \"%s\" is in %s's layout",
					 display_path(project->dir), project->format ? project->format : "dbmate");
		pg_log_error_hint("Run the import in the folder of Flyway's files V<version>__<description>.sql.");
		return NULL;
	}
	memset(&p, 0, sizeof(p));
	initPQExpBuffer(&p.failed);
	initPQExpBuffer(&p.unsupported);
	initPQExpBuffer(&p.missing);
	initPQExpBuffer(&p.changed);
	if (!read_flyway_history(c, table, &vs, &nvs, &rs, &nrs, &baseline, &p))
		goto done;
	*reps = pg_malloc((nrs + 1) * sizeof(char *));
	match_repeatables(project, rs, nrs, *reps, nreps, &p);

	taken = pg_malloc0((project->nfiles + 1) * sizeof(bool));
	/* a baseline stands for every version up to its own */
	for (i = 0; baseline != NULL && i < project->nfiles; i++)
		if (strcmp(project->files[i].script.sortkey, baseline) <= 0)
			taken[i] = true;
	for (i = 0; i < nvs; i++)
	{
		MigFile    *f;
		char		sum[16];

		if (!vs[i].applied)
			continue;
		f = file_of_sortkey(project, vs[i].key);
		if (f == NULL)
		{
			add_listed(&p.missing, &p.nmissing, shown(vs[i].version));
			continue;
		}
		snprintf(sum, sizeof(sum), "%d",
				 (int) pgmig_flyway_checksum(f->content, strlen(f->content)));
		if (vs[i].checksum != NULL && strcmp(vs[i].checksum, sum) != 0)
		{
			char	   *item = psprintf("%s (recorded %s, file %s)", f->path, vs[i].checksum, sum);

			add_listed(&p.changed, &p.nchanged, item);
			pfree(item);
			continue;
		}
		taken[f - project->files] = true;
	}
	if (p.nfailed > 0)
	{
		pg_log_error("Flyway recorded %d failed migration%s in %s", p.nfailed,
					 p.nfailed == 1 ? "" : "s", shown(table));
		pg_log_error_detail("Failed: %s%s. Nothing was imported.", p.failed.data,
							p.nfailed > 10 ? ", ..." : "");
		pg_log_error_hint("Repair the database and its history with Flyway (\"flyway repair\"), then import.");
	}
	if (p.nunsupported > 0)
	{
		pg_log_error("%s holds %d migration%s pgmig cannot take over", shown(table),
					 p.nunsupported, p.nunsupported == 1 ? "" : "s");
		pg_log_error_detail("pgmig takes over Flyway's versioned SQL migrations only: %s%s. Nothing was imported.",
							p.unsupported.data, p.nunsupported > 10 ? ", ..." : "");
		pg_log_error_hint("pgmig runs SQL files only; Java migrations and scripts stay Flyway's.");
	}
	if (p.nmissing > 0)
	{
		pg_log_error("%d migration%s that Flyway applied %s no file in \"%s\"", p.nmissing,
					 p.nmissing == 1 ? "" : "s", p.nmissing == 1 ? "has" : "have",
					 display_path(project->dir));
		pg_log_error_detail("Versions (or repeatable migrations) without a file: %s%s. Nothing was imported.",
							p.missing.data, p.nmissing > 10 ? ", ..." : "");
		pg_log_error_hint("Put their files back in the folder: pgmig records only revisions it has the scripts of.");
	}
	if (p.nchanged > 0)
	{
		pg_log_error("%d file%s changed since Flyway applied %s", p.nchanged,
					 p.nchanged == 1 ? "" : "s", p.nchanged == 1 ? "it" : "them");
		pg_log_error_detail("Flyway's checksums differ: %s%s. Nothing was imported.",
							p.changed.data, p.nchanged > 10 ? ", ..." : "");
		pg_log_error_hint("Put the files back as Flyway applied them, and write a new migration for the change.");
	}
	if (p.nfailed + p.nunsupported + p.nmissing + p.nchanged == 0)
	{
		ids = pg_malloc((project->nfiles + 1) * sizeof(char *));
		for (i = 0; i < project->nfiles; i++)
			if (taken[i])
				ids[(*n)++] = project->files[i].script.id;
	}
	pg_free(taken);
	if (ids == NULL)
	{
		pg_free(*reps);
		*reps = NULL;
		*nreps = 0;
	}

done:
	for (i = 0; i < nrs; i++)
	{
		pg_free(rs[i].description);
		pg_free(rs[i].script);
		pg_free(rs[i].checksum);
	}
	pg_free(rs);
	for (i = 0; i < nvs; i++)
	{
		pg_free(vs[i].key);
		pg_free(vs[i].version);
		pg_free(vs[i].script);
		pg_free(vs[i].checksum);
	}
	pg_free(vs);
	pg_free(baseline);
	termPQExpBuffer(&p.failed);
	termPQExpBuffer(&p.unsupported);
	termPQExpBuffer(&p.missing);
	termPQExpBuffer(&p.changed);
	return ids;
}

/*
 * Record the repeatable migrations Flyway ran as they are registered, in
 * the import's transaction.  False (reported) on error.
 */
bool
flyway_import_repeatables(Conn *c, const char **reps, int n, const char *source)
{
	char	   *names = text_array_literal(n, reps);
	const char *values[2] = {names, source};
	PGresult   *res = query(c, "SELECT file_name FROM pgmig.import_repeatables($1::pg_catalog.text[], $2)",
							2, values);

	pg_free(names);
	if (res == NULL)
		return false;
	info(c->opts, "imported %d repeatable migration%s as Flyway last ran them",
		 PQntuples(res), PQntuples(res) == 1 ? "" : "s");
	PQclear(res);
	return true;
}
