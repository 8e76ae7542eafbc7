/*-------------------------------------------------------------------------
 *
 * pgmig_flyway.c
 *	  Flyway's SQL layout: file names, versions in Flyway's order, the
 *	  per-script .conf file, and Flyway's checksum.
 *
 * Flyway names a versioned migration V<version>__<description>.sql, its
 * undo U<version>__<description>.sql, and keeps a script's settings in
 * <script>.conf beside it.  A version is parts of digits separated by "."
 * or "_"; Flyway compares them numerically part by part, a missing part
 * being zero (MigrationVersion.compareTo), so "1", "1.0" and "01" are one
 * version and 1.9 comes before 1.10 and before 2.  The sort key pgmig
 * stores must order as the catalog orders keys, by length and then
 * bytewise: a Flyway key is "1" and then every part zero-padded to
 * PGMIG_FLYWAY_PART_DIGITS digits, PGMIG_FLYWAY_MAX_PARTS parts, so that
 * all keys have one length and order as Flyway orders their versions.
 * A version with more parts, or a larger part, is refused.
 *
 * Compiled into the server module and, with -DFRONTEND, into the client.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include <ctype.h>

#include "lib/stringinfo.h"

#include "pgmig_flyway.h"
#include "pgmig_format.h"

/* Does "s" end with "suffix"? */
static bool
ends_with(const char *s, const char *suffix)
{
	size_t		len = strlen(s);
	size_t		slen = strlen(suffix);

	return len > slen && strcmp(s + len - slen, suffix) == 0;
}

/*
 * What a file name is in Flyway's layout.  Any name that starts with V, U
 * or R and ends in ".sql" or ".sql.conf" is Flyway's, well formed or not:
 * no other layout's name starts with a letter, and a malformed one is
 * reported as Flyway's, not as some other layout's.
 */
PgmigFlywayKind
pgmig_flyway_kind(const char *name)
{
	bool		conf;

	if (name[0] != 'V' && name[0] != 'U' && name[0] != 'R')
		return PGMIG_FLYWAY_NONE;
	if (strchr(name, '/') != NULL)
		return PGMIG_FLYWAY_NONE;
	conf = ends_with(name, ".sql.conf");
	if (!conf && !ends_with(name, ".sql"))
		return PGMIG_FLYWAY_NONE;
	if (conf && name[0] != 'V')
		return PGMIG_FLYWAY_REFUSED;
	if (name[0] == 'R')
		return PGMIG_FLYWAY_REPEATABLE;
	if (conf)
		return PGMIG_FLYWAY_CONF;
	return name[0] == 'V' ? PGMIG_FLYWAY_VERSIONED : PGMIG_FLYWAY_UNDO;
}

/*
 * The sort key of a Flyway version (see the header comment), palloc'd;
 * NULL if it is no version Flyway reads ("_" is "."; every part digits) or
 * one too long to order.
 */
char *
pgmig_flyway_sortkey(const char *version)
{
	const char *parts[PGMIG_FLYWAY_MAX_PARTS];
	size_t		lens[PGMIG_FLYWAY_MAX_PARTS];
	int			nparts = 0;
	const char *p = version;
	StringInfoData buf;
	int			i;

	for (;;)
	{
		const char *start = p;
		size_t		len;

		while (isdigit((unsigned char) *p))
			p++;
		if (p == start)
			return NULL;		/* an empty part, or not a digit */
		/* leading zeros do not count: BigInteger("01") is 1 */
		while (*start == '0' && start + 1 < p)
			start++;
		len = p - start;
		if (len > PGMIG_FLYWAY_PART_DIGITS)
			return NULL;
		/* trailing zero parts do not count either: they are dropped below */
		if (nparts == PGMIG_FLYWAY_MAX_PARTS)
		{
			if (!(len == 1 && *start == '0'))
				return NULL;
		}
		else
		{
			parts[nparts] = start;
			lens[nparts++] = len;
		}
		if (*p == '\0')
			break;
		if (*p != '.' && *p != '_')
			return NULL;
		p++;
	}
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '1');
	for (i = 0; i < PGMIG_FLYWAY_MAX_PARTS; i++)
	{
		size_t		len = i < nparts ? lens[i] : 0;

		appendStringInfoSpaces(&buf, PGMIG_FLYWAY_PART_DIGITS - len);
		if (len > 0)
			appendBinaryStringInfo(&buf, parts[i], len);
	}
	for (i = 1; i < buf.len; i++)
		if (buf.data[i] == ' ')
			buf.data[i] = '0';
	return buf.data;
}

/*
 * Parse the name of a versioned or undo file into its version as written
 * (the id), its sort key and its description (underscores as spaces), as
 * Flyway's ResourceNameParser does.  False (reported, naming the file) if
 * it is malformed.
 */
bool
pgmig_flyway_name(const char *name, char **id, char **sortkey,
				  char **description, PgmigError *err)
{
	const char *rest = name + 1;
	const char *sep = strstr(rest, "__");
	size_t		len = strlen(name) - strlen(".sql");
	char	   *version;
	char	   *desc;
	char	   *p;

	if (pgmig_find_control(name) != NULL)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Migration file names may not contain newlines or other control characters.",
							   "Rename the file.",
							   "file name contains a control character");
	if (sep == NULL || sep - name >= (ptrdiff_t) len)
		return pgmig_set_error(err, PGMIG_ERR_FILE,
							   "Flyway's files are named V<version>__<description>.sql, with two underscores after the version.",
							   NULL, "file name \"%s\" has no \"__\" after its version",
							   name);
	version = pnstrdup(rest, sep - rest);
	*sortkey = pgmig_flyway_sortkey(version);
	if (*sortkey == NULL)
	{
		char	   *detail = psprintf("Flyway's versions are numbers separated by \".\" or \"_\", such as 1, 1.2 or 2024.01.15.1; pgmig orders those of up to %d parts of up to %d digits each.",
									  PGMIG_FLYWAY_MAX_PARTS, PGMIG_FLYWAY_PART_DIGITS);

		pgmig_set_error(err, PGMIG_ERR_FILE, detail, NULL,
						"file name \"%s\" has no version pgmig can read (\"%s\")",
						name, version);
		pfree(detail);
		pfree(version);
		return false;
	}
	*id = version;
	desc = pnstrdup(sep + 2, len - (sep + 2 - name));
	for (p = desc; *p; p++)
		if (*p == '_')
			*p = ' ';
	*description = desc;
	return true;
}

/*
 * Report a file of Flyway's layout that pgmig does not read: the .conf of
 * an undo file or of a repeatable migration.  Always false.
 */
bool
pgmig_flyway_refused(const char *name, PgmigError *err)
{
	return pgmig_set_error(err, PGMIG_ERR_FILE,
						   "pgmig reads the configuration of a versioned file (V<version>__<description>.sql.conf) only: an undo file runs as its versioned file is configured, and a repeatable migration in a transaction.",
						   "Put an undo file's settings into its versioned file's .conf file.",
						   "configuration file \"%s\" is not supported", name);
}

/*
 * The description of repeatable migration "name", R__<description>.sql
 * (underscores as spaces, palloc'd), or NULL (reported) if the name is
 * malformed: as for Flyway, a repeatable migration has no version.
 */
char *
pgmig_flyway_repeatable_name(const char *name, PgmigError *err)
{
	size_t		len = strlen(name) - strlen(".sql");
	char	   *desc;
	char	   *p;

	if (pgmig_find_control(name) != NULL)
	{
		pgmig_set_error(err, PGMIG_ERR_FILE,
						"Migration file names may not contain newlines or other control characters.",
						"Rename the file.",
						"file name contains a control character");
		return NULL;
	}
	if (strncmp(name, "R__", 3) != 0 || len <= 3)
	{
		pgmig_set_error(err, PGMIG_ERR_FILE,
						"Flyway's repeatable migrations are named R__<description>.sql, without a version.",
						NULL, "file name \"%s\" is no repeatable migration's name", name);
		return NULL;
	}
	desc = pnstrdup(name + 3, len - 3);
	for (p = desc; *p; p++)
		if (*p == '_')
			*p = ' ';
	return desc;
}

/* Parse a boolean of a .conf file as Java's Boolean.parseBoolean would. */
static bool
conf_bool(const char *value, bool *result)
{
	if (pg_strcasecmp(value, "true") == 0)
		*result = true;
	else if (pg_strcasecmp(value, "false") == 0)
		*result = false;
	else
		return false;
	return true;
}

/*
 * Read a versioned file's <script>.conf: "executeInTransaction=false" makes
 * it a no-transaction revision; "placeholderReplacement=false" says its
 * "${...}" are text; "encoding" may only be UTF-8.  Any other key, as for
 * Flyway, is an error, and so is shouldExecute, which pgmig does not
 * evaluate.  False (reported, naming the file and line) on error.
 */
bool
pgmig_flyway_conf(const char *conf_name, const char *conf, bool *transactional,
				  bool *placeholders, PgmigError *err)
{
	char	   *copy = pstrdup(conf);
	char	   *line = copy;
	int			lineno = 0;
	bool		ok = true;

	*transactional = true;
	*placeholders = true;
	while (ok && line != NULL)
	{
		char	   *eol = strchr(line, '\n');
		char	   *eq;
		char	   *key;
		char	   *value;

		lineno++;
		if (eol != NULL)
			*eol = '\0';
		key = pgmig_trim(line);
		line = eol ? eol + 1 : NULL;
		if (*key == '\0' || *key == '#' || *key == '!')
			continue;
		eq = strchr(key, '=');
		if (eq == NULL)
		{
			ok = pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
								 "Write settings as key=value, such as executeInTransaction=false.",
								 "line without \"=\"");
			break;
		}
		*eq = '\0';
		value = pgmig_trim(eq + 1);
		key = pgmig_trim(key);
		if (strcmp(key, "executeInTransaction") == 0 ||
			strcmp(key, "placeholderReplacement") == 0)
		{
			bool		b;

			if (!conf_bool(value, &b))
				ok = pgmig_set_error(err, PGMIG_ERR_FILE, NULL,
									 "The value is true or false.",
									 "invalid value \"%s\" for %s", value, key);
			else if (key[0] == 'e')
				*transactional = b;
			else
				*placeholders = b;
		}
		else if (strcmp(key, "encoding") == 0)
		{
			if (pg_strcasecmp(value, "UTF-8") != 0 && pg_strcasecmp(value, "UTF8") != 0)
				ok = pgmig_set_error(err, PGMIG_ERR_FILE,
									 "pgmig reads migration files in UTF-8 only.",
									 "Convert the file to UTF-8 and remove the setting.",
									 "encoding \"%s\" is not supported", value);
		}
		else
			ok = pgmig_set_error(err, PGMIG_ERR_FILE,
								 "pgmig reads executeInTransaction, placeholderReplacement and encoding in a script's configuration.",
								 NULL, "setting \"%s\" is not supported", key);
	}
	pfree(copy);
	if (!ok)
		return pgmig_error_at(err, conf_name, lineno);
	return true;
}

/*
 * Refuse a script with a Flyway placeholder "${name}": Flyway replaced it
 * with a value when it ran the script, and pgmig would run it as it is.
 * False (reported, naming the file and line) if there is one.
 */
bool
pgmig_flyway_placeholders(const char *name, const char *text, PgmigError *err)
{
	const char *p = strstr(text, "${");
	const char *end;
	const char *line;
	int			lineno = 1;

	if (p == NULL || (end = strchr(p + 2, '}')) == NULL)
		return true;
	for (line = text; line < p; line++)
		if (*line == '\n')
			lineno++;
	pgmig_set_error(err, PGMIG_ERR_FILE,
					"Flyway replaces placeholders with their values as it runs a script; pgmig runs scripts as they are.",
					"Write the value into the script, or set placeholderReplacement=false in its .conf file if the text is meant literally.",
					"Flyway placeholder \"%.*s\"", (int) Min(end + 1 - p, 64), p);
	return pgmig_error_at(err, name, lineno);
}

/* CRC-32 (ISO 3309, reflected polynomial 0xEDB88320), the one java.util.zip.CRC32 computes. */
static uint32
crc32_update(uint32 crc, const unsigned char *data, size_t len)
{
	static uint32 table[256];
	static bool have_table = false;
	size_t		i;

	if (!have_table)
	{
		uint32		n;

		for (n = 0; n < 256; n++)
		{
			uint32		c = n;
			int			k;

			for (k = 0; k < 8; k++)
				c = (c & 1) ? 0xEDB88320 ^ (c >> 1) : c >> 1;
			table[n] = c;
		}
		have_table = true;
	}
	crc = ~crc;
	for (i = 0; i < len; i++)
		crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
	return ~crc;
}

/*
 * Flyway's checksum of a script, as flyway_schema_history stores it
 * (ChecksumCalculator): one CRC-32 over the UTF-8 bytes of every line
 * without its line ending ("\n", "\r\n" or "\r", as BufferedReader reads
 * lines), a byte order mark at the start dropped, taken as a signed
 * 32-bit integer.  So line endings, and empty lines, do not count.
 */
int32
pgmig_flyway_checksum(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *) text;
	const unsigned char *end = p + len;
	uint32		crc = 0;

	if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		p += 3;
	while (p < end)
	{
		const unsigned char *start = p;

		while (p < end && *p != '\n' && *p != '\r')
			p++;
		crc = crc32_update(crc, start, p - start);
		if (p < end && *p == '\r' && p + 1 < end && p[1] == '\n')
			p++;
		if (p < end)
			p++;
	}
	return (int32) crc;
}
