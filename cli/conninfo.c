/*-------------------------------------------------------------------------
 *
 * conninfo.c
 *	  Connection strings as other tools write them, and as messages show
 *	  them.
 *
 * Projects that come from Alembic or a JVM keep their database's URL in a
 * form libpq does not read: SQLAlchemy names a driver after the scheme
 * ("postgresql+psycopg://"), JDBC puts "jdbc:" before it and has
 * parameters of its own ("?ssl=true&currentSchema=app").  Both are turned
 * into libpq URIs with the same meaning; a parameter that would change the
 * connection and has no libpq counterpart is an error, one that only tunes
 * the other driver is dropped.  Any other string goes to libpq as it is.
 *
 * No message shows a password: a string libpq cannot parse is reported
 * with its password replaced.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "common/string.h"

/* What a JDBC or SQLAlchemy URL parameter becomes for libpq. */
typedef struct UrlParam
{
	const char *name;			/* as the other driver spells it */
	const char *libpq;			/* libpq's name, or NULL: dropped */
} UrlParam;

/* JDBC's parameters (pgjdbc); names compare exactly, as pgjdbc's do. */
static const UrlParam jdbc_params[] = {
	{"user", "user"},
	{"password", "password"},
	{"sslmode", "sslmode"},
	{"sslcert", "sslcert"},
	{"sslkey", "sslkey"},
	{"sslrootcert", "sslrootcert"},
	{"sslpassword", "sslpassword"},
	{"options", "options"},
	{"ApplicationName", "application_name"},
	{"connectTimeout", "connect_timeout"},
	{"loginTimeout", "connect_timeout"},
	{"gssEncMode", "gssencmode"},
	{"channelBinding", "channel_binding"},
	/* handled below: ssl, currentSchema, targetServerType */
	/* how the Java driver behaves, nothing of the connection's meaning */
	{"prepareThreshold", NULL},
	{"preparedStatementCacheQueries", NULL},
	{"preparedStatementCacheSizeMiB", NULL},
	{"defaultRowFetchSize", NULL},
	{"reWriteBatchedInserts", NULL},
	{"binaryTransfer", NULL},
	{"stringtype", NULL},
	{"socketTimeout", NULL},
	{"cancelSignalTimeout", NULL},
	{"tcpKeepAlive", NULL},
	{"loggerLevel", NULL},
	{"loggerFile", NULL},
	{"readOnly", NULL},
	{"autosave", NULL},
	{"sslfactory", NULL},
	{NULL, NULL}
};

/* SQLAlchemy drivers' parameters that are not libpq's. */
static const UrlParam sqlalchemy_params[] = {
	{"prepared_statement_cache_size", NULL},
	{"prepare_threshold", NULL},
	{"server_settings", NULL},
	{"client_encoding", NULL},	/* pgmig's files are UTF-8: it sets its own */
	/* handled below: ssl */
	{NULL, NULL}
};

/* Does "s" start with "prefix", ignoring case? */
static bool
starts_with_ci(const char *s, const char *prefix)
{
	return pg_strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* Append "s" percent-encoded for a URI's query string. */
static void
append_encoded(PQExpBuffer buf, const char *s)
{
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
			appendPQExpBufferChar(buf, c);
		else
			appendPQExpBuffer(buf, "%%%02X", c);
	}
}

/* Decode %XX in place; false if malformed. */
static bool
decode_percent(char *s)
{
	char	   *out = s;

	for (; *s; s++)
	{
		if (*s != '%')
		{
			*out++ = *s;
			continue;
		}
		if (!isxdigit((unsigned char) s[1]) || !isxdigit((unsigned char) s[2]))
			return false;
		{
			char		hex[3] = {s[1], s[2], '\0'};

			*out++ = (char) strtol(hex, NULL, 16);
		}
		s += 2;
	}
	*out = '\0';
	return true;
}

/* The sslmode for a value of JDBC's or asyncpg's "ssl", or NULL. */
static const char *
ssl_mode(const char *value, bool jdbc)
{
	if (pg_strcasecmp(value, "true") == 0 || strcmp(value, "1") == 0)
		return jdbc ? "verify-full" : "require";	/* pgjdbc verifies by default */
	if (pg_strcasecmp(value, "false") == 0 || strcmp(value, "0") == 0)
		return "disable";
	if (strcmp(value, "disable") == 0 || strcmp(value, "allow") == 0 ||
		strcmp(value, "prefer") == 0 || strcmp(value, "require") == 0 ||
		strcmp(value, "verify-ca") == 0 || strcmp(value, "verify-full") == 0)
		return value;
	return NULL;
}

/* target_session_attrs for JDBC's targetServerType, or NULL. */
static const char *
target_attrs(const char *value)
{
	if (strcmp(value, "any") == 0)
		return "any";
	if (strcmp(value, "primary") == 0 || strcmp(value, "master") == 0)
		return "primary";
	if (strcmp(value, "secondary") == 0 || strcmp(value, "slave") == 0)
		return "standby";
	if (strcmp(value, "preferSecondary") == 0 || strcmp(value, "preferSlave") == 0)
		return "prefer-standby";
	return NULL;
}

/*
 * Append one parameter of a JDBC or SQLAlchemy URL to "out" as libpq's.
 * False (reported) if it has no counterpart.
 */
static bool
append_param(PQExpBuffer out, char *name, char *value, bool jdbc,
			 const char *what)
{
	const UrlParam *table = jdbc ? jdbc_params : sqlalchemy_params;
	const char *libpq_name = NULL;
	const char *libpq_value = value;
	char	   *options = NULL;
	int			i;
	bool		known = false;

	if (!decode_percent(name) || !decode_percent(value))
	{
		pg_log_error("invalid percent-encoding in the parameters of the %s", what);
		return false;
	}
	for (i = 0; table[i].name != NULL; i++)
		if (strcmp(table[i].name, name) == 0)
		{
			known = true;
			libpq_name = table[i].libpq;
		}
	if (strcmp(name, "ssl") == 0)
	{
		known = true;
		libpq_name = "sslmode";
		libpq_value = ssl_mode(value, jdbc);
	}
	else if (jdbc && strcmp(name, "currentSchema") == 0)
	{
		known = true;
		libpq_name = "options";
		libpq_value = options = psprintf("-c search_path=%s", value);
	}
	else if (jdbc && strcmp(name, "targetServerType") == 0)
	{
		known = true;
		libpq_name = "target_session_attrs";
		libpq_value = target_attrs(value);
	}
	else if (!jdbc && !known)
	{
		/* psycopg hands its other parameters to libpq as they are */
		known = true;
		libpq_name = name;
	}
	if (!known || (libpq_name != NULL && libpq_value == NULL))
	{
		if (!known)
			pg_log_error("parameter \"%s\" of the %s has no libpq counterpart", shown(name), what);
		else
			pg_log_error("invalid value \"%s\" for parameter \"%s\" of the %s",
						 strcmp(name, "password") == 0 ? "*****" : shown(value),
						 shown(name), what);
		pg_log_error_hint("Remove it, or give the connection as libpq reads it: postgresql://user@host:port/dbname?sslmode=require");
		return false;
	}
	if (libpq_name != NULL)
	{
		appendPQExpBufferChar(out, strchr(out->data, '?') ? '&' : '?');
		append_encoded(out, libpq_name);
		appendPQExpBufferChar(out, '=');
		append_encoded(out, libpq_value);
	}
	pg_free(options);
	return true;
}

/*
 * "rest" (after "scheme://") with its query string rewritten for libpq,
 * appended to "out".  False (reported) on a parameter libpq cannot take.
 */
static bool
append_rewritten(PQExpBuffer out, const char *rest, bool jdbc, const char *what)
{
	const char *q = strchr(rest, '?');
	char	   *query;
	char	   *param;
	char	   *next;
	bool		ok = true;

	if (q == NULL)
	{
		appendPQExpBufferStr(out, rest);
		return true;
	}
	appendBinaryPQExpBuffer(out, rest, q - rest);
	query = pg_strdup(q + 1);
	for (param = query; ok && param != NULL && *param; param = next)
	{
		char	   *eq;

		next = strchr(param, '&');
		if (next)
			*next++ = '\0';
		if (*param == '\0')
			continue;
		eq = strchr(param, '=');
		if (eq == NULL)
		{
			pg_log_error("parameter \"%s\" of the %s has no value", shown(param), what);
			ok = false;
			break;
		}
		*eq = '\0';
		ok = append_param(out, param, eq + 1, jdbc, what);
	}
	pg_free(query);
	return ok;
}

/*
 * "s" with SQLAlchemy and JDBC URLs rewritten for libpq, anything else as
 * it is (palloc'd).  NULL (reported) if it cannot be rewritten.
 */
static char *
rewritten_conninfo(const char *s)
{
	PQExpBufferData buf;
	const char *rest;
	bool		ok;

	if (starts_with_ci(s, "jdbc:postgresql:"))
	{
		rest = s + strlen("jdbc:postgresql:");
		initPQExpBuffer(&buf);
		appendPQExpBufferStr(&buf, "postgresql://");
		if (strncmp(rest, "//", 2) == 0)
			rest += 2;
		else
			appendPQExpBufferChar(&buf, '/');	/* jdbc:postgresql:dbname */
		if (*rest == '/')
			rest++;
		ok = append_rewritten(&buf, rest, true, "JDBC URL");
	}
	else if ((starts_with_ci(s, "postgresql+") || starts_with_ci(s, "postgres+")) &&
			 strstr(s, "://") != NULL)
	{
		/* SQLAlchemy's dialect+driver: the driver does not matter here */
		rest = strstr(s, "://") + 3;
		initPQExpBuffer(&buf);
		appendPQExpBufferStr(&buf, "postgresql://");
		ok = append_rewritten(&buf, rest, false, "SQLAlchemy URL");
	}
	else
		return pg_strdup(s);
	if (!ok || PQExpBufferBroken(&buf))
	{
		termPQExpBuffer(&buf);
		return NULL;
	}
	return buf.data;
}

/* Replace the "len" bytes at "p" of buf with five asterisks. */
static void
mask_at(PQExpBuffer buf, size_t pos, size_t len)
{
	PQExpBufferData out;

	initPQExpBuffer(&out);
	appendBinaryPQExpBuffer(&out, buf->data, pos);
	appendPQExpBufferStr(&out, "*****");
	appendPQExpBufferStr(&out, buf->data + pos + len);
	termPQExpBuffer(buf);
	*buf = out;
}

/*
 * "s" as messages may show it: a URI's user part, and the value of every
 * "password" parameter or keyword, replaced (palloc'd).
 */
char *
masked_conninfo(const char *s)
{
	PQExpBufferData buf;
	char	   *scheme = strstr(s, "://");
	char	   *p;

	initPQExpBuffer(&buf);
	appendPQExpBufferStr(&buf, s);

	/*
	 * A user part ("user:password@"): everything up to the last "@" goes,
	 * also in a URL too malformed to tell where its password ends.  Not in
	 * keyword strings: "@" may be in their values, "password=" is masked.
	 */
	if (strchr(s, '@') != NULL && (scheme != NULL || strchr(s, '=') == NULL ||
								   strchr(s, '@') < strchr(s, '=')))
	{
		char	   *at = strrchr(buf.data, '@');
		size_t		start = scheme != NULL ? (size_t) (scheme - s) + 3 : 0;

		if (at > buf.data + start)
			mask_at(&buf, start, at - (buf.data + start));
	}
	/* password=... as a URI parameter or a keyword, in any case */
	for (p = buf.data; (p = strstr(p, "password")) != NULL;)
	{
		char	   *v = p + strlen("password");
		size_t		len;

		while (*v == ' ')
			v++;
		if (*v != '=' || (p > buf.data && (isalnum((unsigned char) p[-1]) || p[-1] == '_')))
		{
			p = v;
			continue;
		}
		v++;
		while (*v == ' ' && scheme == NULL)
			v++;
		if (scheme != NULL)
			len = strcspn(v, "&");
		else if (*v == '\'')
		{
			char	   *q = v + 1;

			while (*q && *q != '\'')
				q += (*q == '\\' && q[1]) ? 2 : 1;
			len = (*q ? q + 1 : q) - v;
		}
		else
			len = strcspn(v, " \t\n");
		if (len > 0)
		{
			size_t		pos = v - buf.data;

			mask_at(&buf, pos, len);
			p = buf.data + pos + 5;
		}
		else
			p = v;
	}
	return buf.data;
}

/*
 * Check that libpq can read connection string "conninfo" (as rewritten
 * from "given"); if not, report it with its password masked, and the
 * detail libpq gave without the string or the password.  False if it
 * cannot.
 */
static bool
check_conninfo(const char *given, const char *conninfo)
{
	char	   *err = NULL;
	PQconninfoOption *opts;
	char	   *masked;
	char	   *detail;
	char	   *p;

	/* a database name, as libpq tells them: no "=", no URI prefix */
	if (strchr(conninfo, '=') == NULL &&
		strncmp(conninfo, "postgresql://", strlen("postgresql://")) != 0 &&
		strncmp(conninfo, "postgres://", strlen("postgres://")) != 0)
		return true;
	opts = PQconninfoParse(conninfo, &err);
	if (opts != NULL)
	{
		PQconninfoFree(opts);
		return true;
	}
	masked = masked_conninfo(given);
	pg_log_error("invalid connection string \"%s\"", shown(masked));
	if (err != NULL)
	{
		/*
		 * libpq's message quotes the string, or a piece of it: shown only
		 * when the string holds no password.
		 */
		if (strcmp(masked, given) == 0)
		{
			detail = pg_strdup(err);
			p = detail + strlen(detail);
			while (p > detail && p[-1] == '\n')
				*--p = '\0';
			pg_log_error_detail("%s", shown(detail));
			pg_free(detail);
		}
		PQfreemem(err);
	}
	pg_log_error_hint("Connection strings are libpq's: postgresql://user@host:port/dbname, or host=... dbname=...; SQLAlchemy and JDBC URLs are read too.");
	pg_free(masked);
	return false;
}

/*
 * The connection string for libpq of "s" as the user gave it: SQLAlchemy
 * and JDBC URLs rewritten, anything else as it is (palloc'd).  NULL
 * (reported, the password masked) if it cannot be rewritten or libpq
 * cannot read it.
 */
char *
libpq_conninfo(const char *s)
{
	char	   *conninfo = rewritten_conninfo(s);

	if (conninfo != NULL && !check_conninfo(s, conninfo))
	{
		pg_free(conninfo);
		return NULL;
	}
	return conninfo;
}
