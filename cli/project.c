/*-------------------------------------------------------------------------
 *
 * project.c
 *	  Finding the project: its root folder and its migrations folder.
 *
 * The root is the nearest folder, walking up from the current directory,
 * that holds a migrations/ folder, a pgmig.conf file, dbmate's
 * db/migrations/, or Sqitch's sqitch.plan or sqitch.conf (the folder is
 * then the migrations folder), so that pgmig works from nested folders of
 * a project.
 * Its .env file may give DATABASE_URL, as dbmate reads it.  pgmig.conf is optional; its settings
 * are "dir = PATH", the migrations folder relative to the root, and for
 * autogenerate "schema = PATH", the schema file (or folder) relative to
 * the root, and "shadow = URL", the server for shadow databases.  --dir
 * names the migrations folder directly (pgmig.conf is then not read).  Paths are kept relative to
 * the current directory (../../migrations) so that messages stay short.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <sys/stat.h>

#define MAX_DEPTH 64

/* Is "path" a directory? */
static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Is "path" a regular file? */
static bool
is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * "head/tail" (palloc'd), joined by PostgreSQL's join_path_components; just
 * "tail" when head is "." or tail is absolute, so that paths stay as short
 * as the user wrote them.  A path longer than MAXPGPATH, which
 * join_path_components would cut short, is an error: exits.
 */
char *
join_path(const char *head, const char *tail)
{
	char		path[MAXPGPATH];

	if (strcmp(head, ".") == 0 || is_absolute_path(tail))
		return pg_strdup(tail);
	if (strlen(head) + 1 + strlen(tail) >= MAXPGPATH)
		pg_fatal("path \"%s/%s\" is too long", display_path(head), shown(tail));
	join_path_components(path, head, tail);
	return pg_strdup(path);
}

/* Report an error at line "lineno" of pgmig.conf; frees "message".  False. */
static bool
conf_error(const char *path, int lineno, char *message, const char *detail,
		   const char *hint)
{
	char	   *context = psprintf("file \"%s\" line %d", display_path(path), lineno);

	report_statement_error(message, detail, hint, context);
	pfree(context);
	pfree(message);
	return false;
}

/* The layouts pgmig.conf's "format" may insist on. */
static const char *const formats[] = {
	"dbmate", "golang-migrate", "sqlx", "diesel", "flyway", "sqitch", "node-pg-migrate"
};

/* "name" as the static string of a known format, or NULL. */
static const char *
known_format(const char *name)
{
	int			i;

	for (i = 0; i < (int) lengthof(formats); i++)
		if (strcmp(name, formats[i]) == 0)
			return formats[i];
	return NULL;
}

/* Read pgmig.conf in "root"; sets project->dir.  False on errors. */
static bool
read_conf(const char *root, Project *project)
{
	char	   *path = join_path(root, "pgmig.conf");
	FILE	   *f = fopen(path, "r");
	char		line[4096];
	int			lineno = 0;
	bool		ok = true;

	project->dir = join_path(root, "migrations");
	if (f == NULL)
	{
		pg_log_error("could not open file \"%s\": %m", display_path(path));
		pfree(path);
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *s = pgmig_trim(line);
		char	   *eq;
		char	   *key;
		char	   *value;

		lineno++;
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL)
		{
			ok = conf_error(path, lineno, pstrdup("syntax error in pgmig.conf"),
							"Settings are written as: dir = db/migrations", NULL);
			break;
		}
		*eq = '\0';
		key = pgmig_trim(s);
		value = pgmig_trim(eq + 1);
		if (value[0] == '"' && strlen(value) >= 2 &&
			value[strlen(value) - 1] == '"')
		{
			value[strlen(value) - 1] = '\0';
			value++;
		}
		if (strcmp(key, "dir") == 0 && value[0] != '\0')
		{
			pfree(project->dir);
			project->dir = join_path(root, value);
		}
		else if (strcmp(key, "schema") == 0 && value[0] != '\0')
		{
			pg_free(project->schema);
			project->schema = join_path(root, value);
		}
		else if (strcmp(key, "shadow") == 0 && value[0] != '\0')
		{
			pg_free(project->shadow_url);
			project->shadow_url = pg_strdup(value);
		}
		else if (strcmp(key, "format") == 0 && known_format(value) != NULL)
		{
			/* the layout is told by the names; this insists on one */
			project->want_format = known_format(value);
		}
		else if (strcmp(key, "format") == 0)
		{
			ok = conf_error(path, lineno, psprintf("unknown format \"%s\" in pgmig.conf", shown(value)),
							NULL, "The formats pgmig reads are \"dbmate\", \"golang-migrate\" (also sqlx's pairs), \"sqlx\" (its pairs and up-only files), \"diesel\", \"flyway\", \"sqitch\" and \"node-pg-migrate\".");
			break;
		}
		else
		{
			ok = conf_error(path, lineno, psprintf("unknown setting \"%s\" in pgmig.conf", shown(key)),
							NULL, "The settings are \"dir\" (the migrations folder), \"format\" (its layout: dbmate, golang-migrate, sqlx, diesel, flyway, sqitch or node-pg-migrate), \"schema\" (the schema file of autogenerate) and \"shadow\" (the server for its shadow databases).");
			break;
		}
	}
	fclose(f);
	pfree(path);
	return ok;
}

/*
 * The migrations folders a project root may hold, first found first: pgmig's
 * own (also Diesel's and golang-migrate's habit), dbmate's, Flyway's in a
 * Maven or Gradle project (its default location classpath:db/migration),
 * and Flyway's db/migration elsewhere.
 */
static const char *const project_folders[] = {
	"migrations", "db/migrations", "src/main/resources/db/migration", "db/migration"
};

/*
 * Walk up from the current directory to the nearest folder that holds
 * pgmig.conf or one of project_folders, or is a Sqitch project (sqitch.plan
 * or sqitch.conf), and take the project from there;
 * nothing found leaves the defaults (project->found false).  False
 * (reported) on an error in pgmig.conf.
 */
static bool
find_root(Project *project)
{
	char	   *cur = pg_strdup(".");
	int			depth;

	for (depth = 0; depth < MAX_DEPTH; depth++)
	{
		char	   *conf = join_path(cur, "pgmig.conf");
		bool		has_conf = is_file(conf);
		char	   *real;
		char	   *up;
		bool		at_top;
		int			i;

		pfree(conf);
		if (has_conf)
		{
			project->root = cur;
			project->found = true;
			return read_conf(cur, project);
		}
		for (i = 0; i < (int) lengthof(project_folders); i++)
		{
			char	   *dir = join_path(cur, project_folders[i]);

			if (is_dir(dir))
			{
				project->root = cur;
				project->found = true;
				project->dir = dir;
				return true;
			}
			pfree(dir);
		}
		/* a Sqitch project's root is its migrations folder */
		if (is_sqitch_project(cur))
		{
			project->root = cur;
			project->found = true;
			project->dir = pg_strdup(cur);
			return true;
		}
		real = realpath(cur, NULL);
		at_top = real == NULL || strcmp(real, "/") == 0;
		free(real);
		if (at_top)
			break;
		up = join_path(cur, "..");
		pfree(cur);
		cur = up;
	}
	pfree(cur);
	project->root = pg_strdup(".");
	project->dir = pg_strdup("migrations");
	return true;
}

/* The value of a .env line "value" (modified in place): unquoted, unescaped. */
static char *
dotenv_value(char *v)
{
	char	   *out;
	char	   *p;

	if (*v == '\'')
	{
		char	   *end = strrchr(v + 1, '\'');

		if (end == NULL)
			return NULL;
		*end = '\0';
		return v + 1;
	}
	if (*v == '"')
	{
		out = v;
		for (p = v + 1; *p && *p != '"'; p++)
		{
			if (*p == '\\' && p[1] != '\0')
			{
				p++;
				*out++ = *p == 'n' ? '\n' : *p;
			}
			else
				*out++ = *p;
		}
		if (*p != '"')
			return NULL;
		*out = '\0';
		return v;
	}
	/* unquoted: a comment starts at " #" */
	for (p = v; *p; p++)
		if (*p == '#' && p > v && (p[-1] == ' ' || p[-1] == '\t'))
		{
			*p = '\0';
			break;
		}
	return pgmig_trim(v);
}

/*
 * Take DATABASE_URL from the file .env in the project's root, as dbmate
 * does, unless the environment has it: KEY=value lines, "export" allowed,
 * values quoted '...' (as is) or "..." (with \n, \" and \\), # comments.
 * Nothing else of the file is used.
 */
static void
load_dotenv(const char *root)
{
	char	   *path;
	FILE	   *f;
	char		line[8192];

	if (getenv("DATABASE_URL") != NULL)
		return;
	path = join_path(root, ".env");
	f = fopen(path, "r");
	pfree(path);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
	{
		char	   *s = pgmig_trim(line);
		char	   *value;

		if (strncmp(s, "export ", 7) == 0)
			s = pgmig_trim(s + 7);
		if (strncmp(s, "DATABASE_URL", 12) != 0)
			continue;
		s = pgmig_trim(s + 12);
		if (*s != '=')
			continue;
		value = dotenv_value(pgmig_trim(s + 1));
		if (value != NULL && value[0] != '\0')
			setenv("DATABASE_URL", value, 0);
	}
	fclose(f);
}

/*
 * Find the project.  With must_exist, a missing migrations folder is an
 * error; otherwise (init) the defaults are filled in.  DATABASE_URL may
 * come from the root's .env.
 */
bool
find_project(const Options *opts, bool must_exist, Project *project)
{
	memset(project, 0, sizeof(*project));
	if (opts->dir)
	{
		size_t		len = strlen(opts->dir);

		project->dir = pg_strdup(opts->dir);
		while (len > 1 && project->dir[len - 1] == '/')
			project->dir[--len] = '\0';
		project->root = pg_strdup(".");
		project->found = true;
	}
	else if (!find_root(project))
		return false;
	/* --format over pgmig.conf's "format" */
	if (opts->format)
		project->want_format = opts->format;
	load_dotenv(project->root);

	if (must_exist && !is_dir(project->dir))
	{
		if (opts->dir || project->found)
			pg_log_error("migrations folder \"%s\" does not exist",
						 display_path(project->dir));
		else
		{
			char		cwd[MAXPGPATH];

			if (getcwd(cwd, sizeof(cwd)) == NULL)
				strlcpy(cwd, ".", sizeof(cwd));
			pg_log_error("no migrations folder in \"%s\" or any folder above it",
						 shown(cwd));
		}
		pg_log_error_hint("Create it with \"%s init\", or name it with --dir.",
						  progname);
		return false;
	}
	return true;
}

/*
 * A path as shown in messages and in comments of generated scripts: no
 * leading "./", control characters escaped (see shown()).
 */
const char *
display_path(const char *path)
{
	while (strncmp(path, "./", 2) == 0)
		path += 2;
	return shown(path);
}
