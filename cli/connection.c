/*-------------------------------------------------------------------------
 *
 * connection.c
 *	  Connecting to the database, the version handshake with the pgmig
 *	  extension, running queries and reporting their errors, and the
 *	  session advisory lock.
 *
 * The connection is made the way PostgreSQL's own tools make it (see
 * fe_utils/connect_utils.c), except that the search_path is left alone:
 * migration scripts run with the session's settings.  Every query the
 * client sends names its functions with their schema and passes values as
 * parameters.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include "catalog/pg_type_d.h"
#include "common/string.h"
#include "fe_utils/cancel.h"
#include "fe_utils/string_utils.h"
#include "pgmig_lock.h"
#include "port/pg_bswap.h"

/* Ask for a password on the terminal (malloc'd). */
char *
prompt_password(void)
{
#if PG_VERSION_NUM >= 140000
	return simple_prompt("Password: ", false);
#else
	char	   *password = pg_malloc(100);

	simple_prompt("Password: ", password, 100, false);
	return password;
#endif
}

/* Connect with the command line's options; exits on failure. */
void
connect_db(const Options *opts, Conn *c)
{
	const char *keywords[8];
	const char *values[8];
	const char *dbname = opts->dbname;
	char	   *password = NULL;
	bool		new_pass;
	PGconn	   *conn;

	memset(c, 0, sizeof(*c));
	c->opts = opts;

	/* DATABASE_URL stands in for -d when neither -d nor PGDATABASE is set */
	if (dbname == NULL && getenv("PGDATABASE") == NULL &&
		getenv("PGSERVICE") == NULL)
	{
		const char *url = getenv("DATABASE_URL");

		if (url != NULL && url[0] != '\0')
			dbname = url;
	}
	/* SQLAlchemy and JDBC URLs as libpq reads them; no password shown */
	if (dbname != NULL)
	{
		char	   *conninfo = libpq_conninfo(dbname);

		if (conninfo == NULL)
			exit(error_exit_status);
		dbname = conninfo;
	}

	if (opts->prompt_password == TRI_YES)
		password = prompt_password();

	do
	{
		int			i = 0;

		/* the connection string's values override -h/-p/-U, as in psql */
		keywords[i] = "host";
		values[i++] = opts->host;
		keywords[i] = "port";
		values[i++] = opts->port;
		keywords[i] = "user";
		values[i++] = opts->username;
		keywords[i] = "password";
		values[i++] = password;
		keywords[i] = "dbname";
		values[i++] = dbname;
		keywords[i] = "fallback_application_name";
		values[i++] = progname;
		/* migration files are UTF-8, whatever the environment says */
		keywords[i] = "client_encoding";
		values[i++] = "UTF8";
		keywords[i] = NULL;
		values[i] = NULL;

		new_pass = false;
		conn = PQconnectdbParams(keywords, values, true);
		if (conn == NULL)
			pg_fatal("could not connect to database: out of memory");

		if (PQstatus(conn) == CONNECTION_BAD &&
			PQconnectionNeedsPassword(conn) &&
			password == NULL &&
			opts->prompt_password != TRI_NO)
		{
			PQfinish(conn);
			password = prompt_password();
			new_pass = true;
		}
	} while (new_pass);

	if (password)
		pg_free(password);
	if (dbname != NULL)
		pg_free((char *) dbname);	/* libpq_conninfo's */

	if (PQstatus(conn) == CONNECTION_BAD)
	{
		pg_log_error("%s", PQerrorMessage(conn));
		PQfinish(conn);
		exit(error_exit_status);
	}
	c->conn = conn;
	/* progress reports go to the display, other notices are printed */
	progress_attach(conn);

	/* Ctrl-C cancels the running statement */
	setup_cancel_handler(NULL);
	SetCancelConn(conn);
}

/*
 * The connection string of a new connection made as "conn" is (host, port,
 * user, password, SSL settings...), to database "dbname" (NULL: the same
 * one); palloc'd.
 */
char *
conninfo_like(PGconn *conn, const char *dbname)
{
	PQconninfoOption *info = PQconninfo(conn);
	PQconninfoOption *o;
	PQExpBufferData buf;

	if (info == NULL)
		pg_fatal("out of memory");
	initPQExpBuffer(&buf);
	for (o = info; o->keyword; o++)
	{
		if (o->val == NULL || o->val[0] == '\0' ||
			(dbname != NULL && strcmp(o->keyword, "dbname") == 0))
			continue;
		appendPQExpBuffer(&buf, "%s=", o->keyword);
		appendConnStrVal(&buf, o->val);
		appendPQExpBufferChar(&buf, ' ');
	}
	if (dbname != NULL)
	{
		appendPQExpBufferStr(&buf, "dbname=");
		appendConnStrVal(&buf, dbname);
	}
	PQconninfoFree(info);
	if (PQExpBufferBroken(&buf))
		pg_fatal("out of memory");
	return buf.data;
}

/*
 * A new connection made as "conn" is, to database "dbname" (NULL: the
 * same one).  The caller checks its status.
 */
PGconn *
connect_like(PGconn *conn, const char *dbname)
{
	char	   *conninfo = conninfo_like(conn, dbname);
	PGconn	   *new_conn = PQconnectdb(conninfo);

	pg_free(conninfo);
	return new_conn;
}

/* The keys of the session advisory lock that serializes appliers, as text. */
static void
lock_keys(char *key1, char *key2, size_t size)
{
	snprintf(key1, size, "%d", PGMIG_LOCK_KEY1);
	snprintf(key2, size, "%d", PGMIG_LOCK_KEY2);
}

/*
 * Close the connection.  The session advisory lock is released first: the
 * server would release it only once the backend is gone, a moment after
 * the client, and a run started right after this one would wait for it.
 */
void
disconnect_db(Conn *c)
{
	ResetCancelConn();
	if (c->conn && c->locked && PQtransactionStatus(c->conn) == PQTRANS_IDLE)
	{
		char		key1[16],
					key2[16];
		const char *values[2] = {key1, key2};

		lock_keys(key1, key2, sizeof(key1));
		PQclear(PQexecParams(c->conn, "SELECT pg_catalog.pg_advisory_unlock($1::pg_catalog.int4, $2::pg_catalog.int4)",
							 2, NULL, values, NULL, NULL, 0));
	}
	c->locked = false;
	if (c->conn)
		PQfinish(c->conn);
	c->conn = NULL;
	if (c->extschema)
		pg_free(c->extschema);
	c->extschema = NULL;
}

/*
 * Report a failed query like PostgreSQL's tools do: "pgmig: error: " and
 * the message, then the server's DETAIL, HINT and CONTEXT lines.  "context"
 * adds a CONTEXT line of the client's own.
 */
void
report_error(const PGresult *res, PGconn *conn, const char *context)
{
	char	   *full = NULL;
	const char *msg;

	if (res && PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) != NULL)
	{
		const char *server_context = PQresultErrorField(res, PG_DIAG_CONTEXT);
		char	   *contexts = NULL;

		/* for --json: the server's fields, the script's place among them */
		if (server_context && context)
			contexts = psprintf("%s\n%s", server_context, context);
		note_error(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
				   PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL),
				   PQresultErrorField(res, PG_DIAG_MESSAGE_HINT),
				   PQresultErrorField(res, PG_DIAG_SQLSTATE),
				   contexts ? contexts : server_context ? server_context : context);
		pg_free(contexts);
		full = PQresultVerboseErrorMessage(res, PQERRORS_DEFAULT,
										   PQSHOW_CONTEXT_ALWAYS);
		msg = full;
	}
	else
		msg = PQerrorMessage(conn);

	/* drop the "ERROR:  " that libpq puts first; pg_log_error says it */
	if (res && PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED))
	{
		const char *colon = strstr(msg, ":  ");

		if (colon)
			msg = colon + 3;
	}
	report_statement_error(msg, NULL, NULL, context);
	if (full)
		PQfreemem(full);
}

/*
 * Run a query with text parameters.  Returns the result, or NULL after
 * reporting the error.
 */
PGresult *
query(Conn *c, const char *sql, int nparams, const char *const *values)
{
	PGresult   *res = PQexecParams(c->conn, sql, nparams, NULL, values,
								   NULL, NULL, 0);

	if (PQresultStatus(res) == PGRES_TUPLES_OK ||
		PQresultStatus(res) == PGRES_COMMAND_OK)
		return res;
	report_error(res, c->conn, NULL);
	PQclear(res);
	return NULL;
}

/*
 * A PostgreSQL text[] literal of n strings ("{a,\"b c\"}"), to pass as a
 * query parameter.  Free it with pg_free.
 */
char *
text_array_literal(int n, const char *const *items)
{
	PQExpBufferData buf;
	int			i;

	initPQExpBuffer(&buf);
	appendPQExpBufferChar(&buf, '{');
	for (i = 0; i < n; i++)
		appendPGArray(&buf, items[i]);
	appendPQExpBufferChar(&buf, '}');
	return buf.data;
}

/*
 * A text[] of n strings in the binary format of array_send, *len its size,
 * to pass as a binary query parameter.  The server reads it without the
 * copies a text literal costs (a modifiable copy of the literal, then each
 * element parsed out of it).  Free it with pg_free.
 */
char *
text_array_binary(int n, const char *const *items, int *len)
{
	size_t		size = 5 * 4;
	char	   *buf;
	char	   *p;
	int			i;

	for (i = 0; i < n; i++)
		size += 4 + strlen(items[i]);
	if (size > (size_t) PG_INT32_MAX)
	{
		pg_log_error("the files to register are too large: %zu bytes in one call", size);
		return NULL;
	}
	buf = p = pg_malloc(size);
#define PUT_INT32(v) do { uint32 v_ = pg_hton32((uint32) (v)); memcpy(p, &v_, 4); p += 4; } while (0)
	PUT_INT32(1);				/* dimensions */
	PUT_INT32(0);				/* no nulls */
	PUT_INT32(TEXTOID);
	PUT_INT32(n);				/* the dimension's length */
	PUT_INT32(1);				/* and lower bound */
	for (i = 0; i < n; i++)
	{
		size_t		l = strlen(items[i]);

		PUT_INT32(l);
		memcpy(p, items[i], l);
		p += l;
	}
#undef PUT_INT32
	*len = (int) size;
	return buf;
}

/* Run a command without parameters (BEGIN, COMMIT, ...); false on error. */
bool
command(Conn *c, const char *sql)
{
	PGresult   *res = PQexec(c->conn, sql);
	bool		ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
	PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		report_error(res, c->conn, NULL);
	PQclear(res);
	return ok;
}

/* Order two dotted version numbers. */
static int
version_cmp(const char *a, const char *b)
{
	while (*a || *b)
	{
		long		x = strtol(a, (char **) &a, 10);
		long		y = strtol(b, (char **) &b, 10);

		if (x != y)
			return x < y ? -1 : 1;
		while (*a && !isdigit((unsigned char) *a))
			a++;
		while (*b && !isdigit((unsigned char) *b))
			b++;
	}
	return 0;
}

/*
 * Check that the database has the pgmig extension in the version this
 * client speaks, its catalog (extversion) and the shared library that
 * serves it alike, and learn its schema: a new library serves an old
 * catalog until ALTER EXTENSION pgmig UPDATE.  With "create", a missing
 * extension is created (pgmig init).  False (reported) on failure.
 */
bool
handshake(Conn *c, bool create)
{
	/* one row, NULLs if there is no extension; the server process too */
	static const char *sql =
		"SELECT e.extversion, n.nspname, pg_catalog.pg_backend_pid()"
		" FROM pg_catalog.pg_extension e"
		" JOIN pg_catalog.pg_namespace n"
		" ON n.oid OPERATOR(pg_catalog.=) e.extnamespace"
		" RIGHT JOIN (VALUES (1)) one (x)"
		" ON e.extname OPERATOR(pg_catalog.=) 'pgmig'";
	PGresult   *res = query(c, sql, 0, NULL);
	PGresult   *lib;
	const char *version;

	if (res == NULL)
		return false;
	c->server_pid = atoi(PQgetvalue(res, 0, 2));
	if (PQgetisnull(res, 0, 0) && create)
	{
		PQclear(res);
		if (!command(c, "CREATE EXTENSION pgmig"))
			return false;
		info(c->opts, "created extension pgmig in database \"%s\"",
			 PQdb(c->conn));
		res = query(c, sql, 0, NULL);
		if (res == NULL)
			return false;
	}
	if (PQgetisnull(res, 0, 0))
	{
		pg_log_error("extension \"pgmig\" is not installed in database \"%s\"",
					 PQdb(c->conn));
		pg_log_error_hint("Run \"%s init\", or \"CREATE EXTENSION pgmig;\" in that database.",
						  progname);
		PQclear(res);
		return false;
	}
	version = PQgetvalue(res, 0, 0);
	if (strcmp(version, PGMIG_VERSION) != 0)
	{
		pg_log_error("this pgmig client (version %s) cannot work with extension pgmig version %s in database \"%s\"",
					 PGMIG_VERSION, version, PQdb(c->conn));
		if (version_cmp(version, PGMIG_VERSION) < 0)
			pg_log_error_hint("Update the extension with \"ALTER EXTENSION pgmig UPDATE TO '%s';\", or use a pgmig client of version %s.",
							  PGMIG_VERSION, version);
		else
			pg_log_error_hint("Install the pgmig client of version %s, the extension's.",
							  version);
		PQclear(res);
		return false;
	}
	/* the catalog is ours; it has the function, the library may not */
	lib = PQexec(c->conn, "SELECT pgmig.library_version()");
	if (PQresultStatus(lib) != PGRES_TUPLES_OK)
	{
		const char *sqlstate = PQresultErrorField(lib, PG_DIAG_SQLSTATE);

		if (sqlstate == NULL || strcmp(sqlstate, "42883") != 0)
			report_error(lib, c->conn, NULL);
		else
		{
			/* a library older than the function: no such symbol in it */
			pg_log_error("this pgmig client (version %s) cannot work with the pgmig library on the server of database \"%s\"",
						 PGMIG_VERSION, PQdb(c->conn));
			pg_log_error_detail("%s", PQresultErrorField(lib, PG_DIAG_MESSAGE_PRIMARY));
			pg_log_error_hint("The library is older than the extension's version %s: install pgmig %s on the server.",
							  version, version);
		}
		PQclear(lib);
		PQclear(res);
		return false;
	}
	if (strcmp(PQgetvalue(lib, 0, 0), PGMIG_VERSION) != 0)
	{
		const char *libversion = PQgetvalue(lib, 0, 0);

		pg_log_error("this pgmig client (version %s) cannot work with the pgmig library version %s on the server of database \"%s\"",
					 PGMIG_VERSION, libversion, PQdb(c->conn));
		if (version_cmp(libversion, PGMIG_VERSION) > 0)
			pg_log_error_hint("The server has pgmig %s installed: update the extension with \"ALTER EXTENSION pgmig UPDATE TO '%s';\" and use the pgmig client of version %s.",
							  libversion, libversion, libversion);
		else
			pg_log_error_hint("Install pgmig %s on the server, the extension's version in this database; a server that preloads the library (shared_preload_libraries) loads the new one only when restarted.",
							  version);
		PQclear(lib);
		PQclear(res);
		return false;
	}
	PQclear(lib);
	c->extschema = pg_strdup(fmtId(PQgetvalue(res, 0, 1)));
	PQclear(res);
	return true;
}

/*
 * Session settings from the command line: pgmig.confirm (--confirm), the
 * lock settings (--lock-timeout, --lock-retries), and the progress reports
 * the display needs (pgmig.progress, see progress.c).  They are set only in
 * the server process that handshake saw: behind a pooler that shares
 * server sessions (pooler.c), another client's must not get them.  False
 * (reported) on error.
 */
bool
set_session_options(Conn *c)
{
	/* $1 the server process, then the values (NULL: not set) */
	const char *values[5] = {
		NULL,
		c->opts->confirm ? "yes" : NULL,
		c->opts->lock_timeout,
		c->opts->lock_retries,
		progress_setting(c->opts->progress)
	};
	char		pid[16];
	bool		any = false;
	PGresult   *res;
	int			i;

	for (i = 1; i < (int) lengthof(values); i++)
		any |= values[i] != NULL;
	if (!any)
		return true;

	/* all in one round trip: the no-op "pgmig up" pays it */
	Assert(c->server_pid != 0);
	snprintf(pid, sizeof(pid), "%d", c->server_pid);
	values[0] = pid;
	res = query(c, "SELECT p, CASE WHEN p OPERATOR(pg_catalog.=) $1::pg_catalog.int4 THEN"
				" (SELECT pg_catalog.count(pg_catalog.set_config(s.name, s.value, false))"
				" FROM (VALUES ('pgmig.confirm', $2::pg_catalog.text),"
				" ('pgmig.lock_timeout', $3::pg_catalog.text),"
				" ('pgmig.lock_retries', $4::pg_catalog.text),"
				" ('pgmig.progress', $5::pg_catalog.text)) s (name, value)"
				" WHERE s.value IS NOT NULL) END"
				" FROM pg_catalog.pg_backend_pid() p",
				lengthof(values), values);
	if (res == NULL)
		return false;
	if (strcmp(PQgetvalue(res, 0, 0), pid) != 0)
	{
		report_session_moved(c, atoi(PQgetvalue(res, 0, 0)));
		PQclear(res);
		return false;
	}
	PQclear(res);
	return true;
}

/*
 * The commands that change the database refuse a standby before anything
 * else: it replays its primary, which is where migrations run.  take_lock
 * asks, with its first try.  Exits.
 */
static void refuse_standby(Conn *c) pg_attribute_noreturn();

static void
refuse_standby(Conn *c)
{
	pg_log_error("database \"%s\" is on a standby server", PQdb(c->conn));
	pg_log_error_detail("The server is in recovery, replaying its primary's changes; migrations run on the primary and reach it by replication. Nothing was done.");
	pg_log_error_hint("Run %s against the primary; status, history and check work on the standby.", progname);
	disconnect_db(c);
	exit(error_exit_status);
}

/*
 * Take the session advisory lock that serializes appliers.  Only ever a
 * pg_try_advisory_lock loop, outside any transaction: a session blocked on
 * the lock inside a statement would hold a snapshot that CREATE INDEX
 * CONCURRENTLY in the lock holder waits for.  The lock is tried only in
 * the server process that handshake saw: behind a pooler that shares
 * server sessions (pooler.c), one that moved refuses before holding it.
 * Exits on error or Ctrl-C.
 */
void
take_lock(Conn *c)
{
	char		key1[16],
				key2[16],
				pid[16];
	const char *values[3] = {key1, key2, pid};
	long		delay_us = 20000;
	bool		told = false;

	Assert(c->server_pid != 0);
	lock_keys(key1, key2, sizeof(key1));
	snprintf(pid, sizeof(pid), "%d", c->server_pid);
	for (;;)
	{
		/* on a standby, or in another server process, no lock is tried */
		PGresult   *res = query(c, "SELECT r, CASE WHEN r OR p OPERATOR(pg_catalog.<>) $3::pg_catalog.int4 THEN false"
								" ELSE pg_catalog.pg_try_advisory_lock($1::pg_catalog.int4, $2::pg_catalog.int4) END, p"
								" FROM pg_catalog.pg_is_in_recovery() r, pg_catalog.pg_backend_pid() p",
								3, values);
		bool		got;

		if (res == NULL)
			exit(error_exit_status);
		if (strcmp(PQgetvalue(res, 0, 0), "t") == 0)
		{
			PQclear(res);
			refuse_standby(c);
		}
		if (strcmp(PQgetvalue(res, 0, 2), pid) != 0)
		{
			report_session_moved(c, atoi(PQgetvalue(res, 0, 2)));
			PQclear(res);
			disconnect_db(c);
			exit(error_exit_status);
		}
		got = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
		PQclear(res);
		if (got)
		{
			c->locked = true;
			return;
		}
		if (!told && !c->opts->quiet)
		{
			res = query(c, "SELECT pg_catalog.string_agg(pid::pg_catalog.text, ', ')"
						" FROM pg_catalog.pg_locks"
						" WHERE locktype OPERATOR(pg_catalog.=) 'advisory' AND granted"
						" AND classid OPERATOR(pg_catalog.=) $1::pg_catalog.oid"
						" AND objid OPERATOR(pg_catalog.=) $2::pg_catalog.oid"
						" AND objsubid OPERATOR(pg_catalog.=) 2",
						2, values);
			if (res == NULL)
				exit(error_exit_status);
			if (!PQgetisnull(res, 0, 0))
				pg_log_info("waiting for another migration run to finish (server process %s)",
							PQgetvalue(res, 0, 0));
			else
				pg_log_info("waiting for another migration run to finish");
			PQclear(res);
			told = true;
		}
		if (CancelRequested)
			pg_fatal("canceled while waiting for the migration lock");
		pg_usleep(delay_us);
		if (CancelRequested)
			pg_fatal("canceled while waiting for the migration lock");
		delay_us = Min(delay_us * 2, 1000000);
	}
}
