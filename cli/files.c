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

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "fe_utils/psqlscan.h"
#include "mb/pg_wchar.h"
#include "pgmig_flyway.h"
#include "pgmig_node.h"
#include "pgmig_version.h"

/* Longest slug written by "new", in bytes. */
#define MAX_SLUG 60

/* Most threads that read the files of a folder (see prefetch_files). */
#define MAX_READERS 4

/* Fewest files worth starting threads for. */
#define MIN_PREFETCH 64

/* What reading a file gave: its text, or the step that failed and errno. */
typedef struct ReadResult
{
	char	   *text;			/* NUL-terminated; NULL on failure */
	size_t		len;
	const char *failed;			/* "open", "stat" or "read" */
	int			err;
} ReadResult;

/* A name ending in ".sql" in the migrations folder. */
typedef struct DirEntry
{
	char	   *name;
	bool		regular;		/* the directory entry says it is a file */
	bool		prefetched;		/* "read" holds what reading it gave */
	ReadResult	read;
} DirEntry;

/* Order names bytewise, so that error reports are stable. */
static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const DirEntry *) a)->name, ((const DirEntry *) b)->name);
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
 * Read a whole file into r: a NUL-terminated buffer, or what failed.  Safe
 * in any thread: it reports nothing.
 */
static void
read_file_into(const char *path, ReadResult *r)
{
	int			fd = open(path, O_RDONLY | PG_BINARY, 0);
	struct stat st;
	size_t		done = 0;

	memset(r, 0, sizeof(*r));
	if (fd < 0)
	{
		r->failed = "open";
		r->err = errno;
		return;
	}
	if (fstat(fd, &st) < 0)
	{
		r->failed = "stat";
		r->err = errno;
		close(fd);
		return;
	}
	r->text = pg_malloc(st.st_size + 1);
	while (done < (size_t) st.st_size)
	{
		ssize_t		n = read(fd, r->text + done, st.st_size - done);

		if (n < 0)
		{
			r->failed = "read";
			r->err = errno;
			close(fd);
			pg_free(r->text);
			r->text = NULL;
			return;
		}
		if (n == 0)
			break;
		done += n;
	}
	close(fd);
	r->text[done] = '\0';
	r->len = done;
}

/* The text of a ReadResult, or NULL (reported, the file named as "display"). */
static char *
read_result(const ReadResult *r, const char *display, size_t *len)
{
	if (r->text == NULL)
	{
		errno = r->err;
		pg_log_error("could not %s file \"%s\": %m", r->failed, display);
		return NULL;
	}
	*len = r->len;
	return r->text;
}

/*
 * Read a whole file into a NUL-terminated buffer; NULL (reported, the file
 * named as "display") on error.
 */
char *
read_whole_file(const char *path, const char *display, size_t *len)
{
	ReadResult	r;

	read_file_into(path, &r);
	return read_result(&r, display, len);
}

/*
 * Is the entry "path" (shown as "display") a regular file, following
 * symbolic links?  Reports it if not: a name ending in ".sql" is a
 * migration file, so a broken link, a loop or a folder is an error, never
 * skipped.
 */
static bool
is_migration_file(const char *path, const char *display)
{
	struct stat st;
	const char *hint = "Every name ending in \".sql\" in the migrations folder is a migration file: fix or remove it.";

	if (stat(path, &st) != 0)
	{
		int			save_errno = errno;
		char		target[MAXPGPATH];
		ssize_t		tlen = readlink(path, target, sizeof(target) - 1);

		errno = save_errno;
		pg_log_error("could not read migration file \"%s\": %m", display);
		if (tlen >= 0)
		{
			target[tlen] = '\0';
			pg_log_error_detail("It is a symbolic link to \"%s\".",
								display_path(target));
		}
		pg_log_error_hint("%s", hint);
		return false;
	}
	if (!S_ISREG(st.st_mode))
	{
		pg_log_error("migration file \"%s\" is not a regular file", display);
		if (S_ISDIR(st.st_mode))
			pg_log_error_detail("It is a directory.");
		pg_log_error_hint("%s", hint);
		return false;
	}
	return true;
}

/* The kind of quote or comment that psql's prompt says is open, or NULL. */
static const char *
open_quote(promptStatus_t prompt)
{
	switch (prompt)
	{
		case PROMPT_SINGLEQUOTE:
			return "quoted string";
		case PROMPT_DOUBLEQUOTE:
			return "quoted identifier";
		case PROMPT_DOLLARQUOTE:
			return "dollar-quoted string";
		case PROMPT_COMMENT:
			return "/* comment";
		default:
			return NULL;
	}
}

/*
 * Scan one script of a file with psql's lexer, fed line by line as psql
 * feeds it, for what the server refuses before it runs anything: a psql
 * meta-command, or a quote or comment still open at the end.  Reports
 * the first with its line in the file, as the server would; false if there
 * was one.
 */
static bool
scan_script(const MigFile *f, const char *text, int first_line,
			const char *section)
{
	static const PsqlScanCallbacks callbacks = {NULL};
	PsqlScanState scan = psql_scan_create(&callbacks);
	PQExpBufferData query;
	const char *line = text;
	int			lineno = first_line;
	promptStatus_t open = PROMPT_READY; /* at the end of the last line */
	int			open_line = 0;	/* where what is open there began */
	bool		ok = true;

	initPQExpBuffer(&query);
	while (*line != '\0')
	{
		const char *eol = strchr(line, '\n');
		int			len = eol ? eol - line : (int) strlen(line);
		promptStatus_t prompt = PROMPT_READY;
		PsqlScanResult result;
		bool		ended = false;

		psql_scan_setup(scan, line, len, PG_UTF8, true);
		while ((result = psql_scan(scan, &query, &prompt)) == PSCAN_SEMICOLON)
		{
			resetPQExpBuffer(&query);
			ended = true;
		}
		psql_scan_finish(scan);
		if (result == PSCAN_BACKSLASH)
		{
			char	   *detail = psprintf("The %s script runs inside the server, where there is no psql.",
										  section);
			char	   *context = psprintf("file \"%s\" line %d", f->path, lineno);

			/* as the server says it, where it would */
			report_statement_error("psql meta-commands are not supported in migration scripts",
								   detail, "Write the statements out in the script instead.",
								   context);
			pfree(detail);
			pfree(context);
			ok = false;
			break;
		}

		/*
		 * A quote open at the end of this line began on it, unless the one
		 * open at the end of the line before goes on: same kind, and no
		 * statement ended in between.
		 */
		if (open_quote(prompt) != NULL && (prompt != open || ended))
			open_line = lineno;
		open = prompt;
		lineno++;
		line = eol ? eol + 1 : line + len;
	}
	if (ok && open_quote(open) != NULL)
	{
		char	   *message = psprintf("unterminated %s", open_quote(open));
		char	   *detail = psprintf("It is still open at the end of the %s script.",
									  section);
		char	   *context = psprintf("file \"%s\" line %d", f->path, open_line);

		report_statement_error(message, detail, NULL, context);
		pfree(message);
		pfree(detail);
		pfree(context);
		ok = false;
	}
	termPQExpBuffer(&query);
	psql_scan_destroy(scan);
	return ok;
}

/*
 * check: find, without a server, what the server would refuse in the
 * scripts of a file before running them.  False (reported) if anything.
 */
bool
check_file_scripts(const MigFile *f)
{
	bool		ok;

	ok = scan_script(f, f->script.up, f->script.up_line, "up");
	if (f->script.down != NULL)
		ok = scan_script(f, f->script.down, f->script.down_line, "down") && ok;
	return ok;
}

/* Free the entries read_entries read. */
static void
free_entries(DirEntry *entries, int nentries)
{
	int			i;

	for (i = 0; i < nentries; i++)
		pg_free(entries[i].name);
	pg_free(entries);
}

/* Digits from *p on (at least one), and past them; false if none. */
static bool
skip_digits(const char **p)
{
	const char *start = *p;

	while (isdigit((unsigned char) **p))
		(*p)++;
	return *p > start;
}

/*
 * Is folder entry "name" named as Diesel's migrations are?  It is one if it
 * is a folder with any of their files (read_entries looks).
 */
static bool
diesel_name(const char *name)
{
	const char *p = name;

	/* 2024-01-01-000000_name, or 20240101000000_name */
	if (!skip_digits(&p))
		return false;
	while (*p == '-')
	{
		p++;
		if (!skip_digits(&p))
			return false;
	}
	return *p == '_';
}

/*
 * The names ending in ".sql" in the folder "dir" (hidden ones aside),
 * Flyway's .conf files, Diesel's folders' files and node-pg-migrate's
 * JavaScript migrations, sorted; -1 (reported) if the folder cannot be read.
 */
static int
read_entries(const char *dir, DirEntry **entriesp)
{
	DIR		   *d;
	struct dirent *de;
	DirEntry   *entries = NULL;
	int			nentries = 0,
				cap = 0;

	d = opendir(dir);
	if (d == NULL)
	{
		pg_log_error("could not open directory \"%s\": %m", display_path(dir));
		return -1;
	}
	while (errno = 0, (de = readdir(d)) != NULL)
	{
		size_t		len = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		/* Flyway's .conf files are read with their scripts */
		/* node-pg-migrate's JavaScript ones are named to be refused */
		if ((len < 4 || strcmp(de->d_name + len - 4, ".sql") != 0) &&
			pgmig_flyway_kind(de->d_name) == PGMIG_FLYWAY_NONE &&
			!pgmig_node_script_name(de->d_name))
		{
#ifdef DT_DIR
			if ((de->d_type == DT_DIR || de->d_type == DT_UNKNOWN) &&
				diesel_name(de->d_name))
#else
			if (diesel_name(de->d_name))
#endif
			{
				/*
				 * Diesel's: the files of the folder are the entries (its
				 * up.sql may be missing); one without any is no migration
				 */
				static const char *const parts[] = {"up.sql", "down.sql", "metadata.toml"};
				int			k;

				for (k = 0; k < (int) lengthof(parts); k++)
				{
					char	   *name = psprintf("%s/%s", de->d_name, parts[k]);
					char	   *path = join_path(dir, name);
					struct stat st;

					if (lstat(path, &st) == 0)
					{
						if (nentries == cap)
						{
							cap = cap ? cap * 2 : 64;
							entries = pg_realloc(entries, cap * sizeof(DirEntry));
						}
						entries[nentries].name = name;
						entries[nentries].regular = S_ISREG(st.st_mode);
						entries[nentries].prefetched = false;
						nentries++;
					}
					else
						pfree(name);
					pfree(path);
				}
			}
			continue;
		}
		if (nentries == cap)
		{
			cap = cap ? cap * 2 : 64;
			entries = pg_realloc(entries, cap * sizeof(DirEntry));
		}
		entries[nentries].name = pg_strdup(de->d_name);
		entries[nentries].regular = false;
		entries[nentries].prefetched = false;
#ifdef DT_REG
		/* the directory entry tells, mostly: one system call less a file */
		entries[nentries].regular = de->d_type == DT_REG;
#endif
		nentries++;
	}
	if (errno != 0)
	{
		pg_log_error("could not read directory \"%s\": %m", display_path(dir));
		closedir(d);
		free_entries(entries, nentries);
		return -1;
	}
	closedir(d);
	if (nentries > 1)
		qsort(entries, nentries, sizeof(DirEntry), entry_cmp);
	*entriesp = entries;
	return nentries;
}

/*
 * The text of a folder entry, read (or prefetched); NULL (reported) if its
 * name is not UTF-8 or it is no readable file.  "display" is its path as
 * messages show it.
 */
static char *
entry_text(const Project *project, const DirEntry *entry, const char *display,
		   size_t *len)
{
	const char *name = entry->name;
	char	   *path = join_path(project->dir, name);
	char	   *content = NULL;

	if (pg_encoding_verifymbstr(PG_UTF8, name, strlen(name)) !=
		(int) strlen(name))
	{
		pg_log_error("file name \"%s\" is not valid UTF-8", display);
		if (entry->prefetched)
			pg_free(entry->read.text);
	}
	else if (entry->regular || is_migration_file(path, display))
		content = entry->prefetched ? read_result(&entry->read, display, len) :
			read_whole_file(path, display, len);
	pfree(path);
	return content;
}

/*
 * Read, parse and checksum the migration file of a folder entry into *f,
 * or for a layout that splits a revision (parts != NULL) an up file and
 * the entries of its down file and Diesel's metadata.toml (parts[0],
 * parts[1], NULL where there is none), and for check scan its scripts.
 * False (reported) if it is no readable migration file or is malformed;
 * *f is then left empty, unless only the scan found something.
 */
static bool
load_file(const Project *project, const DirEntry *entry,
		  const DirEntry *const *parts, MigFile *f)
{
	const char *name = entry->name;
	PgmigError	err;
	size_t		len = 0;
	char	   *content;
	char	   *texts[2] = {NULL, NULL};	/* down file, metadata */
	size_t		lens[2] = {0, 0};
	int			k;

	/*
	 * Messages show the path with its control characters escaped: text to
	 * show, which may be longer than MAXPGPATH, not a path to open.
	 */
	f->path = psprintf("%s/%s", display_path(project->dir), shown(name));
	content = entry_text(project, entry, f->path, &len);
	for (k = 0; content != NULL && parts != NULL && k < 2; k++)
	{
		char	   *display;

		if (parts[k] == NULL)
			continue;
		display = psprintf("%s/%s", display_path(project->dir), shown(parts[k]->name));
		texts[k] = entry_text(project, parts[k], display, &lens[k]);
		pfree(display);
		if (texts[k] == NULL)
		{
			pg_free(content);
			pg_free(texts[0]);
			content = texts[0] = NULL;
		}
	}
	if (content != NULL)
	{
		bool		parsed;

		PgmigPart	part;
		bool		repeatable = pgmig_split_file(name, &part) == PGMIG_LAYOUT_FLYWAY &&
			part == PGMIG_PART_REPEATABLE;

		memset(&err, 0, sizeof(err));
		parsed = repeatable ?
			pgmig_parse_repeatable(name, content, len, &f->script, &err) :
			parts != NULL ?
			pgmig_parse_pair(name, content, len, parts[0] ? parts[0]->name : NULL,
							 texts[0], lens[0], texts[1], &f->script, &err) :
			project->want_format != NULL && strcmp(project->want_format, "sqlx") == 0 ?
			pgmig_parse_simple(name, content, len, &f->script, &err) :
			pgmig_parse_script(name, content, len, &f->script, &err);
		if (!parsed)
		{
			report_pgmig_error(&err);
			free_script(&f->script);
			pg_free(content);
			pg_free(texts[0]);
			pg_free(texts[1]);
			content = texts[0] = texts[1] = NULL;
		}
	}
	if (content == NULL)
	{
		pfree(f->path);
		f->path = NULL;
		return false;
	}
	if (project->inspecting)
		pgmig_section_checksums(&f->script);
	else if (!project->checking)
	{
		/* the sections are the server's to split: no copy of a large file */
		pg_free(f->script.up);
		pg_free(f->script.down);
		f->script.up = f->script.down = NULL;
	}
	f->down_content = texts[0];
	f->meta_content = texts[1];
	/* the parser normalized the text in place; that is what we send */
	f->content = content;
	return !project->checking || check_file_scripts(f);
}

/* The files one reader thread reads: every step-th from start. */
typedef struct Reader
{
	const char *dir;
	DirEntry   *entries;
	int			nentries;
	int			start;
	int			step;
	pthread_t	thread;
} Reader;

/* Read the regular files of a reader's share of the entries. */
static void *
read_share(void *arg)
{
	Reader	   *r = (Reader *) arg;
	int			i;

	for (i = r->start; i < r->nentries; i += r->step)
		if (r->entries[i].regular)
		{
			char	   *path = join_path(r->dir, r->entries[i].name);

			read_file_into(path, &r->entries[i].read);
			r->entries[i].prefetched = true;
			pfree(path);
		}
	return NULL;
}

/*
 * Read the files that the directory says are regular files, with a thread
 * per CPU: a no-op "up" over many files spends most of its time in the
 * system calls that read them.  What each read gave is reported later, in
 * order, by load_file().  Without threads the files are read one by one
 * there.
 */
static void
prefetch_files(const char *dir, DirEntry *entries, int nentries)
{
	Reader		readers[MAX_READERS];
	long		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int			nreaders = (int) Min(Max(ncpu, 1), MAX_READERS);
	int			started = 0;
	int			i;

	if (nentries < MIN_PREFETCH || nreaders < 2)
		return;
	for (i = 0; i < nreaders; i++)
	{
		readers[i].dir = dir;
		readers[i].entries = entries;
		readers[i].nentries = nentries;
		readers[i].start = i;
		readers[i].step = nreaders;
	}
	for (i = 1; i < nreaders; i++)
	{
		if (pthread_create(&readers[i].thread, NULL, read_share, &readers[i]) != 0)
			break;
		started++;
	}
	/* this thread reads the first share, and those no thread could take */
	(void) read_share(&readers[0]);
	for (i = started + 1; i < nreaders; i++)
		(void) read_share(&readers[i]);
	for (i = 1; i <= started; i++)
		pthread_join(readers[i].thread, NULL);
}

/* The entry named "name" of the sorted entries, or NULL. */
static const DirEntry *
find_entry(const DirEntry *entries, int n, const char *name)
{
	DirEntry	key;

	key.name = (char *) name;
	return bsearch(&key, entries, n, sizeof(DirEntry), entry_cmp);
}

/* Does the down file or metadata "name" have its up file among the entries? */
static bool
has_up_file(const DirEntry *entries, int n, const char *name)
{
	char	   *up_name = pgmig_split_up_name(name);
	bool		found = find_entry(entries, n, up_name) != NULL;

	pfree(up_name);
	return found;
}

/* The name of a layout as messages and pgmig.conf's "format" say it. */
static const char *
layout_name(PgmigLayout layout)
{
	return layout == PGMIG_LAYOUT_GOLANG ? "golang-migrate" :
		layout == PGMIG_LAYOUT_DIESEL ? "diesel" :
		layout == PGMIG_LAYOUT_FLYWAY ? "flyway" :
		layout == PGMIG_LAYOUT_SQITCH ? "sqitch" : "dbmate";
}

/* How the files of the layout of pgmig.conf's "format" are named. */
static const char *
layout_hint(const char *format)
{
	return strcmp(format, "dbmate") == 0 ?
		"dbmate's files are <version>_<title>.sql, with \"-- migrate:up\" and \"-- migrate:down\" sections." :
		strcmp(format, "diesel") == 0 ?
		"Diesel's migrations are folders <version>_<name> with up.sql, down.sql and metadata.toml." :
		strcmp(format, "sqlx") == 0 ?
		"sqlx's migrations are <version>_<description>.sql (up only) or <version>_<description>.up.sql and .down.sql." :
		strcmp(format, "node-pg-migrate") == 0 ?
		"node-pg-migrate's SQL files are <number>_<name>.sql, with \"-- Up Migration\" and \"-- Down Migration\" sections." :
		strcmp(format, "flyway") == 0 ?
		"Flyway's files are V<version>__<description>.sql, with an optional undo file U<version>__<description>.sql and configuration V<version>__<description>.sql.conf." :
		"golang-migrate's files are <version>_<title>.up.sql and <version>_<title>.down.sql.";
}

/*
 * A folder holds one layout: dbmate's files, golang-migrate's pairs or
 * Diesel's folders, and pgmig.conf's "format" if it names one.  False
 * (reported, with a name of each) if it mixes them.
 */
static bool
check_one_layout(const Project *project, const DirEntry *entries, int n)
{
	const char *dir = project->dir;
#define NUM_LAYOUTS (PGMIG_LAYOUT_SQITCH + 1)
	const char *first[NUM_LAYOUTS] = {NULL};
	int			i,
				a,
				b;

	for (i = 0; i < n; i++)
	{
		PgmigPart	part;
		PgmigLayout layout = pgmig_split_file(entries[i].name, &part);

		if (first[layout] == NULL)
			first[layout] = entries[i].name;
	}
	/* pgmig.conf's format: a file of another layout is no migration */
	if (project->want_format != NULL)
		for (i = 0; i < NUM_LAYOUTS; i++)
			if (first[i] != NULL && strcmp(layout_name(i), project->want_format) != 0 &&
				!(i == PGMIG_LAYOUT_DBMATE && strcmp(project->want_format, "node-pg-migrate") == 0) &&
				!((i == PGMIG_LAYOUT_DBMATE || i == PGMIG_LAYOUT_GOLANG) &&
				  strcmp(project->want_format, "sqlx") == 0))
			{
				pg_log_error("file \"%s/%s\" is not in %s's layout",
							 display_path(dir), shown(first[i]), project->want_format);
				pg_log_error_detail("pgmig.conf sets format = %s.", project->want_format);
				pg_log_error_hint("%s", layout_hint(project->want_format));
				return false;
			}
	/* sqlx's: up-only files and golang-migrate's pairs */
	if (project->want_format != NULL && strcmp(project->want_format, "sqlx") == 0)
		return true;
	for (a = 0; a < NUM_LAYOUTS; a++)
		for (b = a + 1; b < NUM_LAYOUTS; b++)
			if (first[a] != NULL && first[b] != NULL)
			{
				pg_log_error("migrations folder \"%s\" mixes %s's layout and %s's",
							 display_path(dir), layout_name(a), layout_name(b));
				pg_log_error_detail("\"%s\" is %s's, \"%s\" %s's.",
									shown(first[a]), layout_name(a), shown(first[b]), layout_name(b));
				if (a == PGMIG_LAYOUT_DBMATE && b == PGMIG_LAYOUT_GOLANG)
					pg_log_error_hint("Keep one layout in the folder: the order of revisions and how a file is read depend on it. sqlx's folders of up-only files and pairs are read with format = sqlx.");
				else
					pg_log_error_hint("Keep one layout in the folder: the order of revisions and how a file is read depend on it.");
				return false;
			}
	return true;
}

/*
 * node-pg-migrate's JavaScript and TypeScript migrations are code pgmig
 * cannot run: false (reported, naming them) if the folder has any.
 */
static bool
check_node_scripts(const Project *project, const DirEntry *entries, int n)
{
	PQExpBufferData names;
	int			nfound = 0;
	int			i;

	initPQExpBuffer(&names);
	for (i = 0; i < n; i++)
		if (pgmig_node_script_name(entries[i].name))
		{
			if (nfound < 10)
				appendPQExpBuffer(&names, "%s\"%s\"", nfound > 0 ? ", " : "",
								  shown(entries[i].name));
			nfound++;
		}
	if (nfound > 0)
	{
		pg_log_error("migrations folder \"%s\" has %d JavaScript or TypeScript migration%s",
					 display_path(project->dir), nfound, nfound == 1 ? "" : "s");
		pg_log_error_detail("pgmig runs SQL only: %s%s.", names.data, nfound > 10 ? ", ..." : "");
		pg_log_error_hint("Convert them to SQL files of the same name ending in .sql, with \"-- Up Migration\" and \"-- Down Migration\" sections as node-pg-migrate writes them (\"node-pg-migrate create NAME --migration-file-language sql\"); node-pg-migrate runs those too, and \"pgmig import\" matches them by name.");
	}
	termPQExpBuffer(&names);
	return nfound == 0;
}

/*
 * Files of dbmate's names are dbmate's or node-pg-migrate's, as their
 * markers say (pgmig_node_file): one of them, and pgmig.conf's "format"
 * if it names one.  Sets project->format; false (reported) if they mix.
 */
static bool
check_node_layout(Project *project)
{
	const char *dir = display_path(project->dir);
	const MigFile *dbmate = NULL;
	const MigFile *node = NULL;
	int			i;

	if (strcmp(project->format, "dbmate") != 0 &&
		strcmp(project->format, "node-pg-migrate") != 0)
		return true;
	for (i = 0; i < project->nfiles; i++)
	{
		const MigFile *f = &project->files[i];

		if (f->script.node_pg_migrate && node == NULL)
			node = f;
		else if (!f->script.node_pg_migrate && dbmate == NULL)
			dbmate = f;
	}
	if (node != NULL && dbmate != NULL)
	{
		pg_log_error("migrations folder \"%s\" mixes dbmate's layout and node-pg-migrate's", dir);
		pg_log_error_detail("\"%s\" has \"-- migrate:up\", \"%s\" \"-- Up Migration\".",
							shown(dbmate->script.file_name), shown(node->script.file_name));
		pg_log_error_hint("Keep one layout in the folder: the order of revisions and how a file is read depend on it.");
		return false;
	}
	if (project->want_format != NULL &&
		(strcmp(project->want_format, "node-pg-migrate") == 0 ? dbmate : node) != NULL)
	{
		const MigFile *f = dbmate ? dbmate : node;

		pg_log_error("file \"%s/%s\" is not in %s's layout", dir,
					 shown(f->script.file_name), project->want_format);
		pg_log_error_detail("pgmig.conf sets format = %s.", project->want_format);
		pg_log_error_hint("%s", layout_hint(project->want_format));
		return false;
	}
	if (node != NULL)
		project->format = "node-pg-migrate";
	return true;
}

/*
 * Read and parse every migration file of project->dir.  Reports every
 * malformed file; false if there was any.
 */
bool
load_files(Project *project)
{
	DirEntry   *entries;
	int			nentries;
	bool		ok = true;
	int			i;

	/* Sqitch's project: the plan says what the files are */
	if (project->want_format != NULL && strcmp(project->want_format, "sqitch") == 0)
		return load_sqitch(project);
	if (is_sqitch_project(project->dir))
	{
		if (project->want_format == NULL)
			return load_sqitch(project);
		pg_log_error("migrations folder \"%s\" is a Sqitch project, not in %s's layout",
					 display_path(project->dir), project->want_format);
		pg_log_error_detail("It has sqitch.plan or sqitch.conf.");
		pg_log_error_hint("Set format = sqitch, or no format: pgmig reads the plan and its scripts.");
		return false;
	}
	nentries = read_entries(project->dir, &entries);
	if (nentries < 0)
		return false;
	if (!check_node_scripts(project, entries, nentries) ||
		!check_one_layout(project, entries, nentries))
	{
		free_entries(entries, nentries);
		return false;
	}
	prefetch_files(project->dir, entries, nentries);
	project->files = pg_malloc0(nentries * sizeof(MigFile));
	project->nfiles = 0;
	project->repeatables = pg_malloc0(nentries * sizeof(MigFile));
	project->nrepeatables = 0;
	project->format = project->want_format ? project->want_format : "dbmate";
	for (i = 0; i < nentries; i++)
	{
		MigFile    *f = &project->files[project->nfiles];
		PgmigPart	part;
		PgmigLayout layout = pgmig_split_file(entries[i].name, &part);

		if (layout != PGMIG_LAYOUT_DBMATE)
		{
			/* golang-migrate's, Diesel's or Flyway's: the up file brings the others */
			if (project->want_format == NULL || strcmp(project->want_format, "sqlx") != 0)
				project->format = layout_name(layout);
			if (part == PGMIG_PART_REPEATABLE)
			{
				/* Flyway's repeatable migrations: apart from the graph */
				MigFile    *r = &project->repeatables[project->nrepeatables];

				if (!load_file(project, &entries[i], NULL, r))
					ok = false;
				if (r->content != NULL)
					project->nrepeatables++;
				continue;
			}
			else if (part == PGMIG_PART_REFUSED)
			{
				/* the .conf of Flyway's undo and repeatable files */
				PgmigError	err;

				memset(&err, 0, sizeof(err));
				(void) pgmig_flyway_refused(entries[i].name, &err);
				report_pgmig_error(&err);
				if (entries[i].prefetched)
					pg_free(entries[i].read.text);
				ok = false;
			}
			else if (part == PGMIG_PART_UP)
			{
				char	   *down_name = pgmig_split_part_name(entries[i].name, PGMIG_PART_DOWN);
				char	   *meta_name = pgmig_split_part_name(entries[i].name, PGMIG_PART_META);
				const DirEntry *parts[2];

				parts[0] = find_entry(entries, nentries, down_name);
				parts[1] = meta_name ? find_entry(entries, nentries, meta_name) : NULL;
				if (!load_file(project, &entries[i], parts, f))
					ok = false;
				pfree(down_name);
				pg_free(meta_name);
			}
			else if (!has_up_file(entries, nentries, entries[i].name))
			{
				pg_log_error("file \"%s/%s\" has no up file beside it",
							 display_path(project->dir), shown(entries[i].name));
				pg_log_error_hint("%s", layout == PGMIG_LAYOUT_DIESEL ?
								  "Each of Diesel's migration folders has an up.sql; down.sql and metadata.toml are optional." :
								  layout == PGMIG_LAYOUT_FLYWAY ?
								  "An undo file U<version>__<description>.sql and a configuration file V<version>__<description>.sql.conf go with the versioned file V<version>__<description>.sql of the same version and description." :
								  "Each revision of golang-migrate's layout has a <version>_<title>.up.sql file; its .down.sql file is optional.");
				if (entries[i].prefetched)
					pg_free(entries[i].read.text);
				ok = false;
			}
		}
		else if (!load_file(project, &entries[i], NULL, f))
			ok = false;
		/* one whose scripts the scan refused still counts in the graph */
		if (f->content != NULL)
			project->nfiles++;
	}
	free_entries(entries, nentries);

	if (project->nfiles > 1)
		qsort(project->files, project->nfiles, sizeof(MigFile), file_cmp);
	return check_node_layout(project) && ok;
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
	pg_free(script->alembic);
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
		pg_free(project->files[i].down_content);
		pg_free(project->files[i].meta_content);
	}
	pg_free(project->sqitch_plan);
	pg_free(project->files);
	for (i = 0; i < project->nrepeatables; i++)
	{
		free_script(&project->repeatables[i].script);
		pg_free(project->repeatables[i].path);
		pg_free(project->repeatables[i].content);
	}
	pg_free(project->repeatables);
	pg_free(project->root);
	pg_free(project->dir);
	pg_free(project->schema);
	pg_free(project->shadow_url);
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

	if (project->format != NULL && strcmp(project->format, "node-pg-migrate") == 0)
	{
		/* node-pg-migrate's default names: milliseconds since 1970 */
		snprintf(stamp, sizeof(stamp), "%lld000", (long long) now);
		if (last && pgmig_sortkey_cmp(stamp, last->script.sortkey) <= 0)
			return increment_digits(last->script.sortkey);
		return pg_strdup(stamp);
	}
	if (last && strspn(last->script.id, "0123456789") == strlen(last->script.id) &&
		strlen(last->script.id) < 14)
		return increment_digits(last->script.id);

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	if (last && project->format != NULL && strcmp(project->format, "flyway") == 0)
	{
		/* Flyway's keys order parts: after 1.2 comes 2 if not the time */
		char	   *key = pgmig_flyway_sortkey(stamp);
		bool		later = strcmp(key, last->script.sortkey) > 0;
		char	   *major;
		char	   *next;

		pfree(key);
		if (later)
			return pg_strdup(stamp);
		major = pnstrdup(last->script.id, strspn(last->script.id, "0123456789"));
		next = increment_digits(major);
		pfree(major);
		return next;
	}
	if (last && pgmig_sortkey_cmp(stamp, last->script.sortkey) <= 0)
		return increment_digits(last->script.sortkey);
	return pg_strdup(stamp);
}

/*
 * A version as Diesel writes it: a 14-digit timestamp as
 * YYYY-MM-DD-HHMMSS; any other as it is (palloc'd).
 */
static char *
diesel_version(const char *version)
{
	if (strlen(version) == 14 && strspn(version, "0123456789") == 14)
		return psprintf("%.4s-%.2s-%.2s-%.6s", version, version + 4, version + 6, version + 8);
	return pstrdup(version);
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

/*
 * Create file "name" in the migrations folder with "text"; never
 * overwrites one.  Says "created PATH" unless quiet.  False (reported) on
 * error.
 */
bool
write_new_file(const Project *project, const char *name, const char *text,
			   bool quiet)
{
	char	   *path = join_path(project->dir, name);
	const char *display = display_path(path);
	size_t		len = strlen(text);
	int			fd;
	bool		ok = true;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY, 0644);
	if (fd < 0)
	{
		pg_log_error("could not create file \"%s\": %m", display);
		ok = false;
	}
	else
	{
		if (write(fd, text, len) != (ssize_t) len)
		{
			pg_log_error("could not write file \"%s\": %m", display);
			ok = false;
		}
		if (close(fd) != 0)
		{
			pg_log_error("could not close file \"%s\": %m", display);
			ok = false;
		}
		/* a file cut short is no revision */
		if (!ok)
			(void) unlink(path);
	}
	if (ok && !quiet)
		printf("created %s\n", display);
	pfree(path);
	return ok;
}

/* Write a new migration file with empty sections; false (reported) on error. */
bool
write_migration(const Project *project, const char *version,
				const char *slug, int nparents, const char *const *parents,
				const char *comment, bool quiet)
{
	char	   *name = psprintf("%s_%s.sql", version, slug);
	PQExpBufferData buf;
	int			i;
	bool		ok;

	if (project->format != NULL && strcmp(project->format, "sqitch") == 0)
	{
		pfree(name);
		pg_log_error("pgmig does not write Sqitch's changes");
		pg_log_error_detail("A change is a line of sqitch.plan and its deploy, revert and verify scripts.");
		pg_log_error_hint("Add it with \"sqitch add NAME\", or append its line to the plan and write deploy/NAME.sql and revert/NAME.sql.");
		return false;
	}
	if (project->format != NULL && strcmp(project->format, "node-pg-migrate") == 0)
	{
		/* node-pg-migrate's template: a linear history, so no parents */
		if (nparents > 1)
		{
			pfree(name);
			pg_log_error("node-pg-migrate's layout has no merge revisions");
			pg_log_error_detail("Its revisions follow each other in version order; there are %d heads.", nparents);
			return false;
		}
		initPQExpBuffer(&buf);
		if (comment)
			appendPQExpBuffer(&buf, "-- %s\n", comment);
		appendPQExpBufferStr(&buf, "-- Up Migration\n\n-- Down Migration\n");
		ok = write_new_file(project, name, buf.data, quiet);
		termPQExpBuffer(&buf);
		pfree(name);
		return ok;
	}
	if (project->format != NULL && strcmp(project->format, "dbmate") != 0)
	{
		/*
		 * golang-migrate's pair, or Diesel's folder, of empty up and down
		 * files: these layouts have no parents to declare
		 */
		bool		diesel = strcmp(project->format, "diesel") == 0;
		bool		flyway = strcmp(project->format, "flyway") == 0;
		char	   *up_name;
		char	   *down_name;

		pfree(name);
		if (nparents > 1)
		{
			pg_log_error("%s's layout has no merge revisions",
						 diesel ? "Diesel" : flyway ? "Flyway" : "golang-migrate");
			pg_log_error_detail("Its revisions follow each other in version order; there are %d heads.", nparents);
			return false;
		}
		if (diesel)
		{
			/* Diesel's own names: 2024-01-01-120000_name/ */
			char	   *dversion = diesel_version(version);
			char	   *sub = psprintf("%s_%s", dversion, slug);
			char	   *path = join_path(project->dir, sub);

			pfree(dversion);

			ok = pg_mkdir_p(path, 0755) == 0;
			if (!ok)
				pg_log_error("could not create folder \"%s\": %m", display_path(path));
			pfree(path);
			up_name = psprintf("%s/up.sql", sub);
			down_name = psprintf("%s/down.sql", sub);
			pfree(sub);
		}
		else if (flyway)
		{
			/* a versioned file and its undo file, named as Flyway names them */
			ok = true;
			up_name = psprintf("V%s__%s.sql", version, slug);
			down_name = psprintf("U%s__%s.sql", version, slug);
		}
		else
		{
			ok = true;
			up_name = psprintf("%s_%s.up.sql", version, slug);
			down_name = psprintf("%s_%s.down.sql", version, slug);
		}
		initPQExpBuffer(&buf);
		if (comment)
			appendPQExpBuffer(&buf, "-- %s\n", comment);
		ok = ok && write_new_file(project, up_name, buf.data, quiet) &&
			write_new_file(project, down_name, "", quiet);
		termPQExpBuffer(&buf);
		pfree(up_name);
		pfree(down_name);
		return ok;
	}
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
	ok = write_new_file(project, name, buf.data, quiet);
	termPQExpBuffer(&buf);
	pfree(name);
	return ok;
}
