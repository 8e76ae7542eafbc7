/*-------------------------------------------------------------------------
 *
 * files.c
 *	  Reading and writing migration files.
 *
 * Every *.sql file of the migrations folder is read whole, parsed and
 * checksummed with the shared core; every malformed file is reported with
 * its name and line before anything touches the database.  "new" and
 * "merge" write new files here.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "mb/pg_wchar.h"

/* Longest slug written by "new", in bytes. */
#define MAX_SLUG 60

/* Order file names bytewise, so that error reports are stable. */
static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Order files by version. */
static int
file_cmp(const void *a, const void *b)
{
	const MigFile *fa = (const MigFile *) a;
	const MigFile *fb = (const MigFile *) b;
	int			c = pgmig_sortkey_cmp(fa->script.sortkey, fb->script.sortkey);

	return c != 0 ? c : strcmp(fa->script.file_name, fb->script.file_name);
}

/*
 * Read a whole file into a NUL-terminated buffer; NULL (reported, the file
 * named as "display") on error.
 */
static char *
read_whole_file(const char *path, const char *display, size_t *len)
{
	int			fd = open(path, O_RDONLY | PG_BINARY, 0);
	struct stat st;
	char	   *buf;
	size_t		done = 0;

	if (fd < 0)
	{
		pg_log_error("could not open file \"%s\": %m", display);
		return NULL;
	}
	if (fstat(fd, &st) < 0)
	{
		pg_log_error("could not stat file \"%s\": %m", display);
		close(fd);
		return NULL;
	}
	buf = pg_malloc(st.st_size + 1);
	while (done < (size_t) st.st_size)
	{
		ssize_t		r = read(fd, buf + done, st.st_size - done);

		if (r < 0)
		{
			pg_log_error("could not read file \"%s\": %m", display);
			close(fd);
			pg_free(buf);
			return NULL;
		}
		if (r == 0)
			break;
		done += r;
	}
	close(fd);
	buf[done] = '\0';
	*len = done;
	return buf;
}

/*
 * Read and parse every migration file of project->dir.  Reports every
 * malformed file; false if there was any.
 */
bool
load_files(Project *project)
{
	DIR		   *dir;
	struct dirent *de;
	char	  **names = NULL;
	int			nnames = 0,
				cap = 0;
	bool		ok = true;
	int			i;

	dir = opendir(project->dir);
	if (dir == NULL)
	{
		pg_log_error("could not open directory \"%s\": %m",
					 display_path(project->dir));
		return false;
	}
	while (errno = 0, (de = readdir(dir)) != NULL)
	{
		size_t		len = strlen(de->d_name);
		char	   *path;
		struct stat st;

		if (de->d_name[0] == '.' || len < 4 ||
			strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
#ifdef DT_REG
		/* the directory entry tells, mostly: one system call less a file */
		if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN &&
			de->d_type != DT_LNK)
			continue;
		if (de->d_type != DT_REG)
#endif
		{
			path = psprintf("%s/%s", project->dir, de->d_name);
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			{
				pfree(path);
				continue;
			}
			pfree(path);
		}
		if (nnames == cap)
		{
			cap = cap ? cap * 2 : 64;
			names = pg_realloc(names, cap * sizeof(char *));
		}
		names[nnames++] = pg_strdup(de->d_name);
	}
	if (errno != 0)
	{
		pg_log_error("could not read directory \"%s\": %m",
					 display_path(project->dir));
		closedir(dir);
		return false;
	}
	closedir(dir);
	if (nnames > 1)
		qsort(names, nnames, sizeof(char *), name_cmp);

	project->files = pg_malloc0((nnames > 0 ? nnames : 1) * sizeof(MigFile));
	project->nfiles = 0;
	for (i = 0; i < nnames; i++)
	{
		MigFile    *f = &project->files[project->nfiles];
		PgmigError	err;
		size_t		len;
		char	   *path;
		char	   *content;

		/* messages show the path with its control characters escaped */
		f->path = psprintf("%s/%s", display_path(project->dir), shown(names[i]));
		if (pg_encoding_verifymbstr(PG_UTF8, names[i], strlen(names[i])) !=
			(int) strlen(names[i]))
		{
			pg_log_error("file name \"%s\" is not valid UTF-8", f->path);
			ok = false;
			pfree(f->path);
			continue;
		}
		path = psprintf("%s/%s", project->dir, names[i]);
		content = read_whole_file(path, f->path, &len);
		pfree(path);
		if (content == NULL)
		{
			ok = false;
			pfree(f->path);
			continue;
		}
		memset(&err, 0, sizeof(err));
		if (!pgmig_parse_script(names[i], content, len, &f->script, &err))
		{
			report_pgmig_error(&err);
			ok = false;
			free_script(&f->script);
			pfree(f->path);
			pg_free(content);
			continue;
		}
		if (project->inspecting)
			pgmig_section_checksums(&f->script);
		/* the parser normalized the text in place; that is what we send */
		f->content = content;
		project->nfiles++;
	}
	for (i = 0; i < nnames; i++)
		pfree(names[i]);
	pg_free(names);

	if (project->nfiles > 1)
		qsort(project->files, project->nfiles, sizeof(MigFile), file_cmp);
	return ok;
}

/* Free what the shared parser allocated for a script. */
void
free_script(PgmigScript *script)
{
	int			i;

	pg_free(script->id);
	pg_free(script->sortkey);
	pg_free(script->description);
	pg_free(script->file_name);
	for (i = 0; i < script->nparents; i++)
		pg_free(script->parents[i]);
	pg_free(script->parents);
	for (i = 0; i < script->nlabels; i++)
		pg_free(script->labels[i]);
	pg_free(script->labels);
	pg_free(script->lock_timeout);
	pg_free(script->up);
	pg_free(script->down);
	memset(script, 0, sizeof(*script));
}

/* Free the files of a project and its paths. */
void
free_project(Project *project)
{
	int			i;

	for (i = 0; i < project->nfiles; i++)
	{
		free_script(&project->files[i].script);
		pg_free(project->files[i].path);
		pg_free(project->files[i].content);
	}
	pg_free(project->files);
	pg_free(project->root);
	pg_free(project->dir);
	memset(project, 0, sizeof(*project));
}

/* Report files that share a version; false if there are any. */
bool
check_duplicates(const Project *project)
{
	bool		ok = true;
	int			i;

	for (i = 1; i < project->nfiles; i++)
	{
		const MigFile *a = &project->files[i - 1];
		const MigFile *b = &project->files[i];

		if (pgmig_sortkey_cmp(a->script.sortkey, b->script.sortkey) == 0)
		{
			pg_log_error("duplicate version %s in files \"%s\" and \"%s\"",
						 b->script.id, a->path, b->path);
			pg_log_error_hint("Give one of them a new version number.");
			ok = false;
		}
	}
	return ok;
}

/* Add one to a string of decimal digits, keeping its width when it fits. */
static char *
increment_digits(const char *digits)
{
	size_t		len = strlen(digits);
	char	   *out = pg_malloc(len + 2);
	int			i;

	memcpy(out + 1, digits, len + 1);
	out[0] = '0';
	for (i = len; i >= 0; i--)
	{
		if (out[i] == '9')
			out[i] = '0';
		else
		{
			out[i]++;
			break;
		}
	}
	if (out[0] == '0')
		memmove(out, out + 1, len + 1);
	return out;
}

/*
 * The version of a new file: greater than every existing one.  A project
 * numbered 001, 002, ... goes on that way; otherwise a UTC timestamp.
 */
char *
new_version(const Project *project)
{
	const MigFile *last = project->nfiles > 0 ?
	&project->files[project->nfiles - 1] : NULL;
	char		stamp[32];
	time_t		now = time(NULL);
	struct tm	tm;

	if (last && strspn(last->script.id, "0123456789") == strlen(last->script.id) &&
		strlen(last->script.id) < 14)
		return increment_digits(last->script.id);

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	if (last && pgmig_sortkey_cmp(stamp, last->script.sortkey) <= 0)
		return increment_digits(last->script.sortkey);
	return pg_strdup(stamp);
}

/* The slug of a message: lower case, words joined by "_". */
char *
make_slug(const char *message)
{
	char	   *slug = pg_malloc(strlen(message) + 1);
	size_t		n = 0;
	const unsigned char *p;

	for (p = (const unsigned char *) message; *p && n < MAX_SLUG; p++)
	{
		if (isalnum(*p) && *p < 0x80)
			slug[n++] = pg_tolower(*p);
		else if (*p >= 0x80)
		{
			/* keep whole UTF-8 characters; a control character separates */
			int			l = pg_utf_mblen(p);
			char		c[8];

			if (n + l > MAX_SLUG)
				break;
			if (strnlen((const char *) p, l) < (size_t) l ||
				pg_encoding_verifymbstr(PG_UTF8, (const char *) p, l) != l)
				continue;
			memcpy(c, p, l);
			c[l] = '\0';
			if (pgmig_find_control(c) == NULL)
			{
				memcpy(slug + n, p, l);
				n += l;
			}
			else if (n > 0 && slug[n - 1] != '_')
				slug[n++] = '_';
			p += l - 1;
		}
		else if (n > 0 && slug[n - 1] != '_')
			slug[n++] = '_';
	}
	while (n > 0 && slug[n - 1] == '_')
		n--;
	slug[n] = '\0';
	if (n == 0)
	{
		pg_free(slug);
		return pg_strdup("migration");
	}
	return slug;
}

/* Write a new migration file; false (reported) on error. */
bool
write_migration(const Project *project, const char *version,
				const char *slug, int nparents, const char *const *parents,
				const char *comment, bool quiet)
{
	char	   *path = psprintf("%s/%s_%s.sql", project->dir, version, slug);
	const char *display = display_path(path);
	PQExpBufferData buf;
	int			fd;
	int			i;
	bool		ok = true;

	initPQExpBuffer(&buf);
	if (comment)
		appendPQExpBuffer(&buf, "-- %s\n", comment);
	if (nparents > 0)
	{
		appendPQExpBufferStr(&buf, "-- pgmig:revises");
		for (i = 0; i < nparents; i++)
			appendPQExpBuffer(&buf, " %s", parents[i]);
		appendPQExpBufferChar(&buf, '\n');
	}
	appendPQExpBufferStr(&buf, "-- migrate:up\n\n\n-- migrate:down\n\n");

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY, 0644);
	if (fd < 0)
	{
		pg_log_error("could not create file \"%s\": %m", display);
		ok = false;
	}
	else
	{
		if (write(fd, buf.data, buf.len) != (ssize_t) buf.len)
		{
			pg_log_error("could not write file \"%s\": %m", display);
			ok = false;
		}
		if (close(fd) != 0)
		{
			pg_log_error("could not close file \"%s\": %m", display);
			ok = false;
		}
	}
	if (ok && !quiet)
		printf("created %s\n", display);
	termPQExpBuffer(&buf);
	pfree(path);
	return ok;
}
