/*-------------------------------------------------------------------------
 *
 * sqitch.c
 *	  Reading a Sqitch project: sqitch.conf's folders, sqitch.plan and the
 *	  scripts of its changes.
 *
 * A Sqitch project is a folder with sqitch.plan (or sqitch.conf, which may
 * put the plan and the scripts elsewhere: core.top_dir, core.plan_file,
 * core.deploy_dir, core.revert_dir, core.verify_dir, also under
 * [engine "pg"]).  Each change of the plan is a revision, built by the
 * shared pgmig_sqitch.c; its files are registered as deploy/<id>.sql,
 * revert/<id>.sql and verify/<id>.sql whatever the folders' names, with
 * the plan as sqitch.plan.  A change without its deploy script, and a
 * script that no change of the plan names, are errors.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <dirent.h>
#include <sys/stat.h>

#include "pgmig_sqitch.h"

/* Where sqitch.conf puts the parts of the project. */
typedef struct SqitchDirs
{
	char	   *top_dir;
	char	   *plan_file;
	char	   *deploy_dir;
	char	   *revert_dir;
	char	   *verify_dir;
} SqitchDirs;

/* Is "path" a regular file? */
static bool
regular_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Does folder "dir" hold a Sqitch project (sqitch.plan or sqitch.conf)? */
bool
is_sqitch_project(const char *dir)
{
	char	   *plan = join_path(dir, "sqitch.plan");
	char	   *conf = join_path(dir, "sqitch.conf");
	bool		found = regular_file(plan) || regular_file(conf);

	pfree(plan);
	pfree(conf);
	return found;
}

/*
 * Strip white space around "s" in place, a comment after it ("#" or ";"
 * outside quotes, as git-config reads them), and one pair of double
 * quotes.
 */
static char *
conf_value(char *s)
{
	char	   *p;
	bool		quoted = false;
	size_t		len;

	for (p = s; *p != '\0'; p++)
	{
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == '#' || *p == ';'))
		{
			*p = '\0';
			break;
		}
	}
	s = pgmig_trim(s);
	len = strlen(s);
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
	{
		s[len - 1] = '\0';
		s++;
	}
	return s;
}

/*
 * Read the settings of sqitch.conf in "dir" that say where things are:
 * [core] and [engine "pg"] (which wins); others are Sqitch's.  A missing
 * file leaves the defaults.
 */
static void
read_sqitch_conf(const char *dir, SqitchDirs *d)
{
	char	   *path = join_path(dir, "sqitch.conf");
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	bool		in_core = false;
	bool		in_pg = false;
	char	   *core[5] = {NULL, NULL, NULL, NULL, NULL};
	char	   *pg[5] = {NULL, NULL, NULL, NULL, NULL};
	static const char *const keys[5] = {"top_dir", "plan_file", "deploy_dir",
	"revert_dir", "verify_dir"};
	char	  **out[5];
	int			k;

	pfree(path);
	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
	{
		char	   *s = conf_value(line);
		char	   *eq;

		if (*s == '[')
		{
			in_core = strcmp(s, "[core]") == 0;
			in_pg = strcmp(s, "[engine \"pg\"]") == 0;
			continue;
		}
		if ((!in_core && !in_pg) || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		s = conf_value(s);
		for (k = 0; k < 5; k++)
			if (strcmp(s, keys[k]) == 0)
			{
				char	  **slot = in_pg ? &pg[k] : &core[k];

				pg_free(*slot);
				*slot = pg_strdup(conf_value(eq + 1));
			}
	}
	if (f != NULL)
		fclose(f);
	out[0] = &d->top_dir;
	out[1] = &d->plan_file;
	out[2] = &d->deploy_dir;
	out[3] = &d->revert_dir;
	out[4] = &d->verify_dir;
	for (k = 0; k < 5; k++)
	{
		const char *v = pg[k] ? pg[k] : core[k];

		*out[k] = v ? join_path(dir, v) : NULL;
		pg_free(pg[k]);
		pg_free(core[k]);
	}
	if (d->top_dir == NULL)
		d->top_dir = pg_strdup(dir);
	if (d->plan_file == NULL)
		d->plan_file = join_path(d->top_dir, "sqitch.plan");
	if (d->deploy_dir == NULL)
		d->deploy_dir = join_path(d->top_dir, "deploy");
	if (d->revert_dir == NULL)
		d->revert_dir = join_path(d->top_dir, "revert");
	if (d->verify_dir == NULL)
		d->verify_dir = join_path(d->top_dir, "verify");
}

/* Free what read_sqitch_conf set. */
static void
free_sqitch_dirs(SqitchDirs *d)
{
	pg_free(d->top_dir);
	pg_free(d->plan_file);
	pg_free(d->deploy_dir);
	pg_free(d->revert_dir);
	pg_free(d->verify_dir);
}

/* ---------- SHA-1, for Sqitch's script_hash ---------- */

/* Rotate left. */
#define ROL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))

/* One 64-byte block of SHA-1 (FIPS 180-4). */
static void
sha1_block(uint32 h[5], const uint8 *p)
{
	uint32		w[80];
	uint32		a = h[0],
				b = h[1],
				c = h[2],
				d = h[3],
				e = h[4];
	int			i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32) p[4 * i] << 24 | (uint32) p[4 * i + 1] << 16 |
			(uint32) p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = ROL(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++)
	{
		uint32		f,
					k,
					t;

		if (i < 20)
			f = (b & c) | (~b & d), k = 0x5A827999;
		else if (i < 40)
			f = b ^ c ^ d, k = 0x6ED9EBA1;
		else if (i < 60)
			f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
		else
			f = b ^ c ^ d, k = 0xCA62C1D6;
		t = ROL(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = ROL(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

/* Hex SHA-1 of "data" (41 bytes out), as Sqitch's script_hash. */
static void
sha1_hex(const char *data, size_t len, char out[41])
{
	uint32		h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
	uint8		tail[128];
	size_t		full = len - len % 64;
	size_t		rest = len - full;
	size_t		tlen;
	uint64		bits = (uint64) len * 8;
	size_t		i;

	for (i = 0; i < full; i += 64)
		sha1_block(h, (const uint8 *) data + i);
	memset(tail, 0, sizeof(tail));
	memcpy(tail, data + full, rest);
	tail[rest] = 0x80;
	tlen = rest + 1 + 8 <= 64 ? 64 : 128;
	for (i = 0; i < 8; i++)
		tail[tlen - 1 - i] = (uint8) (bits >> (8 * i));
	sha1_block(h, tail);
	if (tlen == 128)
		sha1_block(h, tail + 64);
	for (i = 0; i < 5; i++)
		snprintf(out + 8 * i, 9, "%08x", h[i]);
}

/* ---------- the scripts ---------- */

/*
 * Read the script of change "id" in folder "dir" (shown under its own
 * name); NULL if there is none (no error), or *failed (reported) if it
 * cannot be read.
 */
static char *
read_script(const char *dir, const char *id, size_t *len,
			char **display, bool *failed)
{
	char	   *base = psprintf("%s.sql", id);
	char	   *path = join_path(dir, base);
	struct stat st;
	char	   *text = NULL;

	pfree(base);
	*display = pg_strdup(display_path(path));
	if (stat(path, &st) == 0 || errno != ENOENT)
	{
		text = read_whole_file(path, *display, len);
		if (text == NULL)
			*failed = true;
	}
	pfree(path);
	return text;
}

/*
 * Note every file under "dir" (relative name "rel") ending in ".sql" that
 * no change of the plan names; false (reported) if there is one.
 */
static bool
check_orphans(const char *dir, const char *rel, const PgmigSqitchPlan *plan,
			  const char *kind)
{
	DIR		   *d = opendir(dir);
	struct dirent *de;
	bool		ok = true;

	if (d == NULL)
		return true;			/* no such folder: no stray script */
	while ((de = readdir(d)) != NULL)
	{
		char	   *path;
		char	   *name;
		struct stat st;
		size_t		len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		path = join_path(dir, de->d_name);
		name = rel ? psprintf("%s/%s", rel, de->d_name) : pg_strdup(de->d_name);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			ok = check_orphans(path, name, plan, kind) && ok;
		else if (len > 4 && strcmp(de->d_name + len - 4, ".sql") == 0)
		{
			char	   *reg = psprintf("%s/%s", kind, name);

			if (pgmig_sqitch_find(plan, reg) < 0)
			{
				pg_log_error("file \"%s\" is no change of the plan", display_path(path));
				pg_log_error_detail("sqitch.plan has no change \"%.*s\".",
									(int) (strlen(name) - 4), shown(name));
				pg_log_error_hint("Add the change to the plan, or remove the file.");
				ok = false;
			}
			pfree(reg);
		}
		pfree(path);
		pfree(name);
	}
	closedir(d);
	return ok;
}

/*
 * Read the scripts of change "i" of the plan into *f.  False (reported)
 * if its deploy script is missing, a file cannot be read or is malformed.
 */
static bool
load_change(const Project *project, const SqitchDirs *dirs,
			const PgmigSqitchPlan *plan, int i, MigFile *f)
{
	const PgmigSqitchChange *c = &plan->changes[i];
	size_t		len = 0,
				rlen = 0,
				vlen = 0;
	char	   *rshow = NULL;
	char	   *vshow = NULL;
	bool		failed = false;
	char	   *deploy;
	char	   *revert;
	char	   *verify;
	PgmigError	err;

	deploy = read_script(dirs->deploy_dir, c->id, &len, &f->path, &failed);
	revert = read_script(dirs->revert_dir, c->id, &rlen, &rshow, &failed);
	verify = read_script(dirs->verify_dir, c->id, &vlen, &vshow, &failed);
	pg_free(rshow);
	pg_free(vshow);
	if (deploy == NULL && !failed)
	{
		char	   *context = psprintf("file \"%s\" line %d", display_path(dirs->plan_file), c->line);
		char	   *message = psprintf("change \"%s\" has no deploy script \"%s\"", shown(c->id), f->path);

		report_statement_error(message, NULL,
							   "Every change of the plan has a deploy script; its revert and verify scripts are optional.",
							   context);
		pfree(context);
		pfree(message);
		failed = true;
	}
	if (!failed)
	{
		memset(&err, 0, sizeof(err));
		if (!pgmig_sqitch_script(plan, i, deploy, len, revert, rlen, verify, vlen,
								 &f->script, &err))
		{
			report_pgmig_error(&err);
			free_script(&f->script);
			failed = true;
		}
	}
	if (failed)
	{
		pg_free(deploy);
		pg_free(revert);
		pg_free(verify);
		pg_free(f->path);
		f->path = NULL;
		return false;
	}
	if (project->inspecting)
		pgmig_section_checksums(&f->script);
	f->content = deploy;
	f->down_content = revert;
	f->meta_content = verify;
	if (project->checking)
		return check_file_scripts(f);
	if (!project->inspecting)
	{
		/* the scripts are the server's to take apart */
		pg_free(f->script.up);
		pg_free(f->script.down);
		f->script.up = f->script.down = NULL;
	}
	return true;
}

/*
 * Read the Sqitch project in project->dir into project->files, in plan
 * order.  Reports every problem; false if there was any.
 */
bool
load_sqitch(Project *project)
{
	SqitchDirs	dirs;
	PgmigSqitchPlan plan;
	PgmigError	err;
	char	   *text;
	size_t		len;
	bool		ok = true;
	int			i;

	memset(&dirs, 0, sizeof(dirs));
	read_sqitch_conf(project->dir, &dirs);
	project->format = "sqitch";
	text = read_whole_file(dirs.plan_file, display_path(dirs.plan_file), &len);
	if (text == NULL)
		ok = false;
	else
	{
		memset(&err, 0, sizeof(err));
		if (!pgmig_sqitch_parse_plan(display_path(dirs.plan_file), text, len, &plan, &err))
		{
			report_pgmig_error(&err);
			pg_free(text);
			ok = false;
		}
	}
	if (ok)
	{
		project->sqitch_plan = text;
		project->files = pg_malloc0(Max(plan.n, 1) * sizeof(MigFile));
		project->nfiles = 0;
		for (i = 0; i < plan.n; i++)
		{
			MigFile    *f = &project->files[project->nfiles];

			if (!load_change(project, &dirs, &plan, i, f))
				ok = false;
			if (f->content != NULL)
				project->nfiles++;
		}
		ok = check_orphans(dirs.deploy_dir, NULL, &plan, "deploy") && ok;
		ok = check_orphans(dirs.revert_dir, NULL, &plan, "revert") && ok;
		ok = check_orphans(dirs.verify_dir, NULL, &plan, "verify") && ok;
		pgmig_sqitch_free_plan(&plan);
	}
	free_sqitch_dirs(&dirs);
	return ok;
}

/* ---------- pgmig import: Sqitch's registry ---------- */

/*
 * The %project of the plan of Sqitch project "project" (palloc'd), or
 * NULL (reported if the plan is malformed; no error if it is no Sqitch
 * project).
 */
static char *
sqitch_project_name(const Project *project)
{
	char	   *text;
	char	   *name = NULL;
	PgmigSqitchPlan plan;
	PgmigError	err;

	if (project->sqitch_plan == NULL)
		return NULL;
	text = pg_strdup(project->sqitch_plan);
	memset(&err, 0, sizeof(err));
	if (pgmig_sqitch_parse_plan(PGMIG_SQITCH_PLAN, text, strlen(text), &plan, &err))
	{
		name = pg_strdup(plan.project);
		pgmig_sqitch_free_plan(&plan);
	}
	else
		report_pgmig_error(&err);
	pg_free(text);
	return name;
}

/*
 * Has Sqitch deployed changes of the plan's project in the database?  A
 * registry that holds only other projects' is no history of this one.
 * False (reported) on error; *deployed is then true.
 */
bool
sqitch_has_deployed(Conn *c, const Project *project, bool *deployed)
{
	char	   *name = sqitch_project_name(project);
	const char *values[1];
	PGresult   *res;

	*deployed = true;
	if (name == NULL)
		return project->sqitch_plan == NULL;	/* no Sqitch project: true */
	values[0] = name;
	res = query(c, "SELECT EXISTS (SELECT FROM sqitch.changes"
				" WHERE project OPERATOR(pg_catalog.=) $1)", 1, values);
	pfree(name);
	if (res == NULL)
		return false;
	*deployed = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return true;
}

/*
 * The hex SHA-1 of change "id"'s deploy script in "dirs" as the file is,
 * before newlines are normalized, as Sqitch hashes it (41 bytes out).
 * Only import needs it, so it is not taken when the project is loaded.
 * False (reported) if the file cannot be read.
 */
static bool
deploy_hash(const SqitchDirs *dirs, const char *id, char out[41])
{
	size_t		len = 0;
	char	   *display;
	bool		failed = false;
	char	   *text = read_script(dirs->deploy_dir, id, &len, &display, &failed);

	if (text == NULL && !failed)
		pg_log_error("could not open file \"%s\": %s", display, strerror(ENOENT));
	if (text != NULL)
		sha1_hex(text, len, out);
	pg_free(text);
	pg_free(display);
	return text != NULL;
}

/*
 * The ids of the changes Sqitch deployed (sqitch.changes of the plan's
 * project, in the order it deployed them), matched to the plan's changes
 * in plan order, as Sqitch deploys them; *n gets the count.  A change
 * deployed out of that order or without a file, or whose deploy script's
 * SHA-1 is not the script_hash Sqitch recorded, is reported, and NULL
 * returned: nothing is imported.
 */
const char **
sqitch_deployed(Conn *c, Project *project, int *n)
{
	char	   *project_name = NULL;
	const char *values[1];
	PGresult   *res;
	const char **ids;
	SqitchDirs	dirs;
	int			nbad = 0;
	int			i;

	*n = 0;
	if (project->sqitch_plan == NULL)
	{
		pg_log_error("database \"%s\" was migrated by Sqitch, and \"%s\" is no Sqitch project",
					 PQdb(c->conn), display_path(project->dir));
		pg_log_error_hint("Run \"%s import\" in the Sqitch project whose changes were deployed (the folder with sqitch.plan).",
						  progname);
		return NULL;
	}
	project_name = sqitch_project_name(project);
	if (project_name == NULL)
		return NULL;
	values[0] = project_name;
	res = query(c, "SELECT pg_catalog.string_agg(project, ', ' ORDER BY project),"
				" pg_catalog.bool_or(project OPERATOR(pg_catalog.=) $1)"
				" FROM sqitch.projects", 1, values);
	if (res == NULL)
	{
		pfree(project_name);
		return NULL;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "t") != 0)
	{
		pg_log_error("Sqitch's registry in database \"%s\" has no project \"%s\"",
					 PQdb(c->conn), shown(project_name));
		pg_log_error_detail("sqitch.projects has: %s. Nothing was imported.",
							PQgetisnull(res, 0, 0) ? "nothing" : shown(PQgetvalue(res, 0, 0)));
		pg_log_error_hint("Import in the project Sqitch deployed to this database.");
		PQclear(res);
		pfree(project_name);
		return NULL;
	}
	PQclear(res);
	res = query(c, "SELECT change, script_hash FROM sqitch.changes"
				" WHERE project OPERATOR(pg_catalog.=) $1"
				" ORDER BY committed_at, change_id", 1, values);
	pfree(project_name);
	if (res == NULL)
		return NULL;
	ids = pg_malloc((PQntuples(res) + 1) * sizeof(char *));
	memset(&dirs, 0, sizeof(dirs));
	read_sqitch_conf(project->dir, &dirs);
	for (i = 0; i < PQntuples(res) && nbad < 10; i++)
	{
		const char *change = PQgetvalue(res, i, 0);
		char		hash[41];
		const MigFile *f = i < project->nfiles ? &project->files[i] : NULL;
		const char *name = f ? f->script.id : NULL;
		size_t		namelen = name ? strcspn(name, "@") : 0;

		if (f == NULL || strlen(change) != namelen || strncmp(change, name, namelen) != 0)
		{
			pg_log_error("change %d that Sqitch deployed, \"%s\", is not change %d of the plan",
						 i + 1, shown(change), i + 1);
			if (f == NULL)
				pg_log_error_detail("The plan has %d change%s.", project->nfiles,
									project->nfiles == 1 ? "" : "s");
			else
				pg_log_error_detail("The plan has \"%s\" there (%s).", shown(f->script.id), f->path);
			nbad++;
			continue;
		}
		if (PQgetisnull(res, i, 1))
			;					/* no script_hash recorded: nothing to compare */
		else if (!deploy_hash(&dirs, f->script.id, hash))
		{
			nbad++;
			continue;
		}
		else if (strcmp(PQgetvalue(res, i, 1), hash) != 0)
		{
			pg_log_error("file \"%s\" is not the script Sqitch deployed as change \"%s\"",
						 f->path, shown(f->script.id));
			pg_log_error_detail("Its SHA-1 is %s; sqitch.changes recorded script_hash %s.",
								hash, shown(PQgetvalue(res, i, 1)));
			nbad++;
			continue;
		}
		ids[(*n)++] = f->script.id;
	}
	free_sqitch_dirs(&dirs);
	if (nbad > 0)
	{
		pg_log_error_hint("Nothing was imported. Put the files back as Sqitch deployed them (or deploy the edited change as a new one).");
		pg_free(ids);
		*n = 0;
		ids = NULL;
	}
	PQclear(res);
	return ids;
}
