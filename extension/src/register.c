/*-------------------------------------------------------------------------
 *
 * register.c
 *	  mig_register and mig_unregister: the scripts pgmig knows.
 *
 * Files arrive whole (name and content) and are parsed here with the same
 * shared code the client uses, so a script registered from psql and one
 * sent by the client are treated alike.  A batch of any size is one call.
 * An applied revision whose up script changed is refused unless the caller
 * forces it, which is logged as an override.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/toast_internals.h"
#if PG_VERSION_NUM >= 140000
#include "access/toast_compression.h"
#endif
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "pgmig.h"
#include "pgmig_flyway.h"
#include "pgmig_sqitch.h"
#include "pgmig_version.h"

static SPIPlanPtr plan_upsert = NULL;

/* What the catalog already has for a version. */
typedef struct Existing
{
	char	   *id;
	char	   *sortkey;
	char	   *file_checksum;
	char	   *up_checksum;
	char	   *source_file;
	char	   *applied_checksum;	/* NULL when not applied */
	bool		applied;
} Existing;

static int
script_cmp(const void *a, const void *b)
{
	return pgmig_sortkey_cmp(((const PgmigScript *) a)->sortkey,
							 ((const PgmigScript *) b)->sortkey);
}

/* Read the existing registrations for the batch's versions, sorted. */
static Existing *
load_existing(PgmigScript *scripts, int n, int *nexisting)
{
	char	  **keys = palloc(n * sizeof(char *));
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		values[1];
	Existing   *ex;
	uint64		i;

	for (i = 0; i < (uint64) n; i++)
		keys[i] = scripts[i].sortkey;
	values[0] = mig_text_array(keys, n);
	if (SPI_execute_with_args("SELECT r.id, r.sortkey, r.file_checksum, r.up_checksum,"
							  " r.source_file, m.checksum, m.state"
							  " FROM pgmig.revisions r"
							  " LEFT JOIN pgmig.schema_migrations m ON m.id = r.id"
							  " WHERE r.sortkey = ANY ($1)",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not read registered revisions");

	ex = palloc(SPI_processed * sizeof(Existing));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		ex[i].id = SPI_getvalue(tup, desc, 1);
		ex[i].sortkey = SPI_getvalue(tup, desc, 2);
		ex[i].file_checksum = SPI_getvalue(tup, desc, 3);
		ex[i].up_checksum = SPI_getvalue(tup, desc, 4);
		ex[i].source_file = SPI_getvalue(tup, desc, 5);
		ex[i].applied_checksum = SPI_getvalue(tup, desc, 6);
		ex[i].applied = pgmig_state_applied(SPI_getvalue(tup, desc, 7));
	}
	*nexisting = (int) SPI_processed;
	return ex;
}

/* Scripts at least this large are compressed before they are stored. */
#define LARGE_SCRIPT (1024 * 1024)

/*
 * A script's text as the datum to store; "text" is freed.  A large one is
 * compressed here, as the toaster would compress it (the column's default
 * method), so that storing the row copies the compressed text: the
 * executor would otherwise hold the text twice more, in the row and in the
 * compressor's output.
 */
static Datum
script_datum(char *text)
{
	Datum		d = CStringGetTextDatum(text);
	Datum		c;
	struct varlena *result;

	pfree(text);
	if (VARSIZE(DatumGetPointer(d)) < LARGE_SCRIPT)
		return d;
#if PG_VERSION_NUM >= 140000
	c = toast_compress_datum(d, default_toast_compression);
#else
	c = toast_compress_datum(d);
#endif
	if (DatumGetPointer(c) == NULL)
		return d;				/* it does not compress: the toaster agrees */
	pfree(DatumGetPointer(d));
	/* the output buffer has the input's size: keep only what it holds */
	result = palloc(VARSIZE(DatumGetPointer(c)));
	memcpy(result, DatumGetPointer(c), VARSIZE(DatumGetPointer(c)));
	pfree(DatumGetPointer(c));
	return PointerGetDatum(result);
}

/*
 * Insert or update one revision's registration.  The sections' texts move
 * into the row: s->up and s->down are freed (NULL), so that a large script
 * is not held twice while the row is stored.
 */
static void
upsert_script(PgmigScript *s)
{
	Oid			argtypes[15] = {TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID, TEXTARRAYOID,
		BOOLOID, TEXTOID, TEXTOID, INT4OID, TEXTOID, INT4OID,
	TEXTOID, TEXTOID, TEXTOID, TEXTOID};
	Datum		values[15];
	char		nulls[15];

	/*
	 * A generic plan: a custom one would copy the script texts into the plan
	 * as constants, one more copy of a large file.
	 */
	mig_kept_plan(&plan_upsert,
				  "INSERT INTO pgmig.revisions AS r"
				  " (id, sortkey, description, parents, labels,"
				  "  transactional, lock_timeout, up_script, up_line,"
				  "  down_script, down_line, up_checksum, down_checksum,"
				  "  file_checksum, source_file)"
				  " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,"
				  "  $11, $12, $13, $14, $15)"
				  " ON CONFLICT (id) DO UPDATE SET"
				  "  sortkey = excluded.sortkey,"
				  "  description = excluded.description,"
				  "  parents = excluded.parents, labels = excluded.labels,"
				  "  transactional = excluded.transactional,"
				  "  lock_timeout = excluded.lock_timeout,"
				  "  up_script = excluded.up_script, up_line = excluded.up_line,"
				  "  down_script = excluded.down_script,"
				  "  down_line = excluded.down_line,"
				  "  up_checksum = excluded.up_checksum,"
				  "  down_checksum = excluded.down_checksum,"
				  "  file_checksum = excluded.file_checksum,"
				  "  source_file = excluded.source_file,"
				  "  registered_at = now()",
				  15, argtypes, CURSOR_OPT_GENERIC_PLAN);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = CStringGetTextDatum(s->id);
	values[1] = CStringGetTextDatum(s->sortkey);
	values[2] = CStringGetTextDatum(s->description);
	if (s->parents_explicit)
		values[3] = mig_text_array(s->parents, s->nparents);
	else
		nulls[3] = 'n';
	values[4] = mig_text_array(s->labels, s->nlabels);
	values[5] = BoolGetDatum(s->transactional);
	if (s->lock_timeout)
		values[6] = CStringGetTextDatum(s->lock_timeout);
	else
		nulls[6] = 'n';
	values[7] = script_datum(s->up);
	s->up = NULL;
	values[8] = Int32GetDatum(s->up_line);
	if (s->down)
	{
		values[9] = script_datum(s->down);
		s->down = NULL;
		values[10] = Int32GetDatum(s->down_line);
		values[12] = CStringGetTextDatum(s->down_checksum);
	}
	else
		nulls[9] = nulls[10] = nulls[12] = 'n';
	values[11] = CStringGetTextDatum(s->up_checksum);
	values[13] = CStringGetTextDatum(s->file_checksum);
	values[14] = CStringGetTextDatum(s->file_name);
	if (SPI_execute_plan(plan_upsert, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not register revision %s", s->id);
}

/* Accept an edited applied script: the applied checksum follows it. */
static void
override_applied(PgmigScript *s, Existing *e)
{
	Oid			argtypes[2] = {TEXTOID, TEXTOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(s->id);
	values[1] = CStringGetTextDatum(s->up_checksum);
	if (SPI_execute_with_args("UPDATE pgmig.schema_migrations SET checksum = $2 WHERE id = $1",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not update checksum of revision %s", s->id);
	mig_log_event("override", s->id, NULL, true, NULL,
				  psprintf("up script of file \"%s\" accepted with checksum %s (applied as %s)",
						   s->file_name, s->up_checksum,
						   e->applied_checksum ? e->applied_checksum : "unknown"));
}

/*
 * A file's name as registered: its base name, or for Diesel's layout its
 * folder and base name (<version>_<name>/up.sql), for Sqitch's the whole
 * name (deploy/<change>.sql).
 */
static char *
base_name(char *path)
{
	char	   *last = strrchr(path, '/');
	char	   *p;
	PgmigPart	part;

	if (last == NULL || pgmig_split_file(path, &part) == PGMIG_LAYOUT_SQITCH)
		return path;
	for (p = last - 1; p > path && p[-1] != '/'; p--)
		;
	if (p < last && pgmig_split_file(p, &part) == PGMIG_LAYOUT_DIESEL)
		return p;
	return last + 1;
}

/* A file of the call, by name: where its content is. */
typedef struct NamedFile
{
	const char *name;
	int			index;			/* into the call's contents */
} NamedFile;

/* Order NamedFiles by name, bytewise. */
static int
named_cmp(const void *a, const void *b)
{
	return strcmp(((const NamedFile *) a)->name, ((const NamedFile *) b)->name);
}

/* Index of file "name" (NULL: none) among the sorted files, or -1. */
static int
find_file(const NamedFile *sorted, int n, const char *name)
{
	NamedFile	key;
	NamedFile  *hit;

	if (name == NULL)
		return -1;
	key.name = name;
	hit = bsearch(&key, sorted, n, sizeof(NamedFile), named_cmp);
	return hit ? hit->index : -1;
}

/* The text of file "name" (NULL: none) among the sorted files, or NULL. */
static char *
content_of(const NamedFile *sorted, int n, Datum *contents, const char *name)
{
	int			i = find_file(sorted, n, name);

	return i < 0 ? NULL : TextDatumGetCString(contents[i]);
}

/*
 * Parse Sqitch's revision whose deploy script is file "name" (contents[i])
 * into *script, with the plan of the call, parsed into *plan the first
 * time.  Errors out if there is no plan or the plan has no such change.
 */
static void
parse_sqitch(const char *name, int i, Datum *contents, const NamedFile *sorted,
			 int n, PgmigSqitchPlan *plan, PgmigScript *script)
{
	PgmigError	err;
	char	   *revert_name;
	char	   *verify_name;
	char	   *deploy;
	char	   *revert;
	char	   *verify;
	int			change;

	if (plan->changes == NULL)
	{
		char	   *text = content_of(sorted, n, contents, PGMIG_SQITCH_PLAN);

		if (text == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("file \"%s\" comes without sqitch.plan", name),
					 errdetail("The plan gives a Sqitch change its place and its parents."),
					 errhint("Register the plan (file name \"%s\") in the same call.",
							 PGMIG_SQITCH_PLAN)));
		if (!pgmig_sqitch_parse_plan(PGMIG_SQITCH_PLAN, text, strlen(text), plan, &err))
			mig_report(&err);
		pfree(text);
	}
	change = pgmig_sqitch_find(plan, name);
	if (change < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("file \"%s\" is no change of sqitch.plan", name),
				 errhint("Add the change to the plan, or remove the file.")));
	revert_name = pgmig_split_part_name(name, PGMIG_PART_DOWN);
	verify_name = pgmig_split_part_name(name, PGMIG_PART_META);
	deploy = TextDatumGetCString(contents[i]);
	revert = content_of(sorted, n, contents, revert_name);
	verify = content_of(sorted, n, contents, verify_name);
	if (!pgmig_sqitch_script(plan, change, deploy, strlen(deploy),
							 revert, revert ? strlen(revert) : 0,
							 verify, verify ? strlen(verify) : 0, script, &err))
		mig_report(&err);
	pfree(deploy);
	if (revert)
		pfree(revert);
	if (verify)
		pfree(verify);
	pfree(revert_name);
	pfree(verify_name);
}

/*
 * Sqitch's change "s" takes the place in the plan of registered revision
 * "e", of another id: a change reworked since it was registered (its
 * earlier instance became name@tag), or the plan reordered.  If "e" is
 * not applied its registration goes (true); otherwise, as pgmig keeps an
 * applied revision's id and place, either is an error, said as such.
 */
static bool
sqitch_moved(const PgmigScript *s, const Existing *e)
{
	size_t		len = strlen(e->id);

	/* not applied: the old registration goes, as an unregistered one */
	if (!e->applied)
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		values[1];

		values[0] = CStringGetTextDatum(e->id);
		if (SPI_execute_with_args("DELETE FROM pgmig.revisions WHERE id = $1",
								  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not unregister revision %s", e->id);
		mig_log_event("unregister", e->id, NULL, true, NULL,
					  psprintf("change %s of sqitch.plan took its place", s->id));
		return true;
	}

	if (strncmp(s->id, e->id, len) == 0 && s->id[len] == '@')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("change %s was reworked after it was registered", e->id),
				 errdetail("Its instance registered as %s is %s in the plan now (file \"%s\"); pgmig keeps a revision's id.",
						   e->id, s->id, s->file_name),
				 errhint("Instead of \"sqitch rework\", add a new change that alters what %s made.",
						 e->id)));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("change %s took the place of registered change %s in sqitch.plan", s->id, e->id),
			 errdetail("Change %s is number %s of the plan, as %s was when it was registered.",
					   s->id, s->sortkey, e->id),
			 errhint("Keep the plan's changes in their order: append new changes at its end.")));
}

/* Register a batch of files; shared by both forms of mig_register. */
static void
register_files(FunctionCallInfo fcinfo, Datum *names, Datum *contents, int n,
			   bool force)
{
	TupleDesc	tupdesc;
	Tuplestorestate *tupstore = mig_init_srf(fcinfo, &tupdesc);
	PgmigScript *scripts = palloc(n * sizeof(PgmigScript));
	PgmigScript *reps = palloc(n * sizeof(PgmigScript));
	int			nreps = 0;
	Existing   *ex;
	int			nex;
	MigSettled	settled;
	bool		have_settled;
	bool		touched_settled = false;
	char	  **file_names;
	NamedFile  *sorted;
	PgmigSqitchPlan plan;
	int			nscripts;
	int			nestlevel;
	int			i,
				j;

	/* parse everything before touching the catalog */
	file_names = palloc(n * sizeof(char *));
	sorted = palloc(Max(n, 1) * sizeof(NamedFile));
	for (i = 0; i < n; i++)
	{
		file_names[i] = base_name(TextDatumGetCString(names[i]));
		sorted[i].name = file_names[i];
		sorted[i].index = i;
	}
	/* the parts of a revision are found by name: not by a scan each */
	if (n > 1)
		qsort(sorted, n, sizeof(NamedFile), named_cmp);
	nscripts = 0;
	memset(&plan, 0, sizeof(plan));
	for (i = 0; i < n; i++)
	{
		char	   *name = file_names[i];
		char	   *content = NULL;
		PgmigError	err;
		PgmigScript *script = &scripts[nscripts];
		PgmigPart	part;
		PgmigLayout layout = pgmig_split_file(name, &part);

		/* Sqitch's plan comes with its changes' scripts */
		if (strcmp(name, PGMIG_SQITCH_PLAN) == 0)
			continue;
		if (layout == PGMIG_LAYOUT_SQITCH && part == PGMIG_PART_UP)
			parse_sqitch(name, i, contents, sorted, n, &plan, script);
		else if (layout != PGMIG_LAYOUT_DBMATE)
		{
			/* golang-migrate's, Diesel's or Flyway's: an up file brings the others */
			char	   *down_name;
			char	   *meta_name;
			char	   *down;
			char	   *meta;

			if (part == PGMIG_PART_REFUSED)
			{
				/* the .conf of Flyway's undo or repeatable files */
				(void) pgmig_flyway_refused(name, &err);
				mig_report(&err);
			}
			if (part == PGMIG_PART_REPEATABLE)
			{
				/* Flyway's repeatable files: no revision (repeatable.c) */
				content = TextDatumGetCString(contents[i]);
				if (!pgmig_parse_repeatable(name, content, strlen(content),
											&reps[nreps], &err))
					mig_report(&err);
				pfree(content);
				nreps++;
				continue;
			}
			if (part != PGMIG_PART_UP)
			{
				char	   *up_name = pgmig_split_up_name(name);
				bool		has_up = find_file(sorted, n, up_name) >= 0;

				pfree(up_name);
				if (!has_up)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("file \"%s\" has no up file", name),
							 errhint("Register it together with the up file of its revision.")));
				continue;
			}
			down_name = pgmig_split_part_name(name, PGMIG_PART_DOWN);
			meta_name = pgmig_split_part_name(name, PGMIG_PART_META);
			down = content_of(sorted, n, contents, down_name);
			meta = content_of(sorted, n, contents, meta_name);
			content = TextDatumGetCString(contents[i]);
			if (!pgmig_parse_pair(name, content, strlen(content), down_name, down,
								  down ? strlen(down) : 0, meta, script, &err))
				mig_report(&err);
			if (down)
				pfree(down);
			if (meta)
				pfree(meta);
		}
		else
		{
			/* sqlx's simple files are told only by pgmig.format */
			bool		sqlx = pgmig_format != NULL && strcmp(pgmig_format, "sqlx") == 0;

			content = TextDatumGetCString(contents[i]);
			if (!(sqlx ?
				  pgmig_parse_simple(name, content, strlen(content), script, &err) :
				  pgmig_parse_script(name, content, strlen(content), script, &err)))
				mig_report(&err);
		}
		pgmig_section_checksums(script);
		if (script->lock_timeout != NULL)
			(void) mig_lock_timeout_ms(script->lock_timeout, name);
		if (content)
			pfree(content);
		nscripts++;
	}
	if (plan.n > 0)
		pgmig_sqitch_free_plan(&plan);
	n = nscripts;
	if (n > 1)
		qsort(scripts, n, sizeof(PgmigScript), script_cmp);
	for (i = 1; i < n; i++)
		if (pgmig_sortkey_cmp(scripts[i - 1].sortkey, scripts[i].sortkey) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("duplicate revision %s", scripts[i].id),
					 errdetail("Files \"%s\" and \"%s\" have the same version.",
							   scripts[i - 1].file_name, scripts[i].file_name),
					 errhint("Give one of them a new version number.")));

	mig_lock();
	nestlevel = mig_connect_catalog();

	ex = load_existing(scripts, n, &nex);
	have_settled = mig_read_settled(&settled);
	for (i = 0; i < n; i++)
	{
		PgmigScript *s = &scripts[i];
		Existing   *e = NULL;
		const char *action;
		Datum		values[2];
		bool		nulls[2] = {false, false};
		PgmigPart	part;

		for (j = 0; j < nex && e == NULL; j++)
			if (strcmp(ex[j].sortkey, s->sortkey) == 0)
				e = &ex[j];

		if (e != NULL && strcmp(e->id, s->id) != 0 &&
			pgmig_split_file(s->file_name, &part) == PGMIG_LAYOUT_SQITCH &&
			sqitch_moved(s, e))
		{
			e = NULL;
			touched_settled = true;
		}
		if (e != NULL && strcmp(e->id, s->id) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_OBJECT),
					 errmsg("duplicate revision %s", s->id),
					 errdetail("File \"%s\" has the same version as registered revision %s (file \"%s\").",
							   s->file_name, e->id, e->source_file),
					 errhint("Give the new file another version number.")));

		if (e == NULL)
			action = "new";
		else if (strcmp(e->file_checksum, s->file_checksum) == 0 &&
				 strcmp(e->source_file, s->file_name) == 0)
			action = "unchanged";
		else if (e->applied && e->applied_checksum != NULL &&
				 strcmp(e->applied_checksum, s->up_checksum) != 0)
		{
			if (!force)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("revision %s was changed after it was applied", s->id),
						 errdetail("The up script in file \"%s\" has checksum %s; it was applied with checksum %s.",
								   s->file_name, s->up_checksum, e->applied_checksum),
						 errhint("Put the file back as it was and write a new migration for the change. To record the edited file as applied without running it, run \"pgmig up --force\" (or register it again with force => true).")));
			/* an override is a change of the history: production confirms it */
			mig_check_confirmed("override of an applied revision");
			action = "override";
		}
		else
			action = "updated";

		if (strcmp(action, "unchanged") != 0)
		{
			upsert_script(s);
			if (have_settled && pgmig_sortkey_cmp(s->sortkey, settled.sortkey) <= 0)
				touched_settled = true;
		}
		if (strcmp(action, "override") == 0)
			override_applied(s, e);

		values[0] = CStringGetTextDatum(s->id);
		values[1] = CStringGetTextDatum(action);
		tuplestore_putvalues(tupstore, tupdesc, values, nulls);
	}

	mig_register_repeatables(reps, nreps, tupstore, tupdesc);

	/*
	 * The graph must still hold together: known parents, no cycles.  The
	 * settled part stays as it is unless one of its revisions was written.
	 */
	mig_store_status(touched_settled ? mig_load_catalog() : mig_load_recent_catalog());

	mig_finish_catalog(nestlevel);
}

PG_FUNCTION_INFO_V1(pgmig_register);

/* mig_register(file_names text[], contents text[], force boolean) */
Datum
pgmig_register(PG_FUNCTION_ARGS)
{
	Datum	   *names;
	Datum	   *contents;
	int			n,
				m;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("file names and contents must not be null")));
	n = mig_text_array_arg(PG_GETARG_ARRAYTYPE_P(0), "file_names", &names);
	m = mig_text_array_arg(PG_GETARG_ARRAYTYPE_P(1), "contents", &contents);
	if (n != m)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("file_names and contents differ in length"),
				 errdetail("There are %d file names and %d contents.", n, m)));
	register_files(fcinfo, names, contents, n,
				   PG_ARGISNULL(2) ? false : PG_GETARG_BOOL(2));
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(pgmig_register_one);

/* mig_register(file_name text, content text, force boolean) */
Datum
pgmig_register_one(PG_FUNCTION_ARGS)
{
	Datum		name;
	Datum		content;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("file name and content must not be null")));
	name = PG_GETARG_DATUM(0);
	content = PG_GETARG_DATUM(1);
	register_files(fcinfo, &name, &content, 1,
				   PG_ARGISNULL(2) ? false : PG_GETARG_BOOL(2));
	return (Datum) 0;
}

PG_FUNCTION_INFO_V1(pgmig_unregister);

/* mig_unregister(revisions text[]): forget revisions that are not applied. */
Datum
pgmig_unregister(PG_FUNCTION_ARGS)
{
	Datum	   *ids;
	int			n = mig_text_array_arg(PG_GETARG_ARRAYTYPE_P(0), "revisions", &ids);
	Oid			argtypes[1] = {TEXTOID};
	int			nestlevel;
	int			removed = 0;
	int			i;

	mig_lock();
	nestlevel = mig_connect_catalog();

	for (i = 0; i < n; i++)
	{
		Datum		values[1];

		values[0] = ids[i];
		if (SPI_execute_with_args("SELECT 1 FROM pgmig.schema_migrations WHERE id = $1",
								  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read applied revisions");
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("revision %s is applied", TextDatumGetCString(ids[i])),
					 errhint("Revert it first, or stamp the database below it.")));
		if (SPI_execute_with_args("DELETE FROM pgmig.revisions WHERE id = $1",
								  1, argtypes, values, NULL, false, 0) != SPI_OK_DELETE)
			elog(ERROR, "could not unregister revision");
		if (SPI_processed > 0)
		{
			removed++;
			mig_log_event("unregister", TextDatumGetCString(ids[i]), NULL, true,
						  NULL, NULL);
		}
	}
	/* what is left must still hold together */
	mig_store_status(mig_load_catalog());

	mig_finish_catalog(nestlevel);
	PG_RETURN_INT32(removed);
}
