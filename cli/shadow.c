/*-------------------------------------------------------------------------
 *
 * shadow.c
 *	  Shadow databases: the throwaway databases in which autogenerate
 *	  builds the states it compares.
 *
 * A shadow is created from template0 on the server the command connects
 * to, or on the one --shadow-url (or "shadow =" in pgmig.conf) names, for
 * a role that may not create databases where it works.  Its name says
 * what it is and cannot collide with another run's, on this machine or
 * another: pgmig_shadow_<pid>_<random>_<what>.  The pgmig extension is
 * created in it, and the version handshake of every connection checks it.
 *
 * Shadows are created and dropped from a connection of their own to that
 * server (the maintenance connection), never from the user's session, so
 * that they can be dropped whatever state the other connections are in.
 * Every shadow is dropped at the end: on success by the caller
 * (shadow_drop_all), on any error by an atexit handler, and on Ctrl-C or
 * SIGTERM by canceling the running statement, whose error then takes the
 * error path.  A shadow that cannot be dropped is named in a warning with
 * the statement that drops it, and the command exits non-zero.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <signal.h>

#include "fe_utils/cancel.h"
#include "fe_utils/string_utils.h"

/* Most shadows a command makes: the migrations' head and the schema. */
#define MAX_SHADOWS 4

/* A shadow database of this run. */
typedef struct Shadow
{
	char	   *name;
	Conn	   *conn;			/* the caller's connection to it, or NULL */
} Shadow;

/*
 * The shadows of this run and the connection that creates and drops them.
 * File-scope: the atexit handler drops what is left.
 */
static struct
{
	Conn		maint;			/* the maintenance connection */
	bool		own_server;		/* on --shadow-url's server */
	int			n;
	Shadow		shadows[MAX_SHADOWS];
	bool		handler_set;
} server;

/* SIGTERM: cancel the running statement as Ctrl-C does. */
static void
handle_sigterm(SIGNAL_ARGS)
{
	/* fe_utils/cancel.c's SIGINT handler sends the cancel request */
	raise(SIGINT);
}

/* Drop what is left when the program exits on an error. */
static void
drop_at_exit(void)
{
	if (server.n > 0)
		(void) shadow_drop_all();
	if (server.maint.conn)
		disconnect_db(&server.maint);
}

/* Connect to the server that --shadow-url names; exits on failure. */
static void
connect_url(const Options *opts, const char *url, Conn *c)
{
	const char *keywords[] = {"dbname", "fallback_application_name",
	"client_encoding", NULL};
	char	   *conninfo = libpq_conninfo(url);
	const char *values[] = {conninfo, progname, "UTF8", NULL};

	if (conninfo == NULL)
		exit(error_exit_status);
	memset(c, 0, sizeof(*c));
	c->opts = opts;
	c->conn = PQconnectdbParams(keywords, values, true);
	pg_free(conninfo);
	if (c->conn == NULL)
		pg_fatal("could not connect to the shadow server: out of memory");
	if (PQstatus(c->conn) == CONNECTION_BAD)
	{
		/* the message names host and port, never the URL's password */
		pg_log_error("could not connect to the server for shadow databases: %s",
					 PQerrorMessage(c->conn));
		pg_log_error_hint("Check the URL of --shadow-url or of \"shadow =\" in pgmig.conf.");
		PQfinish(c->conn);
		c->conn = NULL;
		exit(error_exit_status);
	}
}

/*
 * Open the maintenance connection: to the server of --shadow-url or
 * "shadow =" if given, else to the one the command connects to.  Sets up
 * the handlers that drop the shadows on exit and on SIGINT/SIGTERM.
 * Exits on failure.
 */
void
shadow_server_open(const Options *opts, const Project *project)
{
	const char *url = opts->shadow_url ? opts->shadow_url : project->shadow_url;

	if (url)
		connect_url(opts, url, &server.maint);
	else
		connect_db(opts, &server.maint);
	server.own_server = url != NULL;
	/* DROP DATABASE IF EXISTS of one never made says nothing */
	if (!command(&server.maint, "SET client_min_messages = warning"))
		exit(error_exit_status);
	if (!server.handler_set)
	{
		atexit(drop_at_exit);
		setup_cancel_handler(NULL);
		pqsignal(SIGTERM, handle_sigterm);
		server.handler_set = true;
	}
}

/* A name no other run uses: pgmig_shadow_<pid>_<random>_<what>. */
static char *
shadow_name(const char *what)
{
	uint32		r;

	if (!pg_strong_random(&r, sizeof(r)))
		r = (uint32) time(NULL) ^ (uint32) (getpid() << 16);
	return psprintf("pgmig_shadow_%d_%08x_%s", (int) getpid(), r, what);
}

/*
 * The CREATE DATABASE statement of a shadow: from template0, with the
 * encoding and locale of the database the maintenance connection is in,
 * so that text compares and converts there as it does in the user's
 * database.  NULL (reported) on error.
 */
static char *
create_statement(const char *name)
{
	PGresult   *res = query(&server.maint,
							"SELECT pg_catalog.pg_encoding_to_char(encoding), datcollate, datctype"
							" FROM pg_catalog.pg_database"
							" WHERE datname OPERATOR(pg_catalog.=) pg_catalog.current_database()",
							0, NULL);
	PQExpBufferData buf;

	if (res == NULL)
		return NULL;
	initPQExpBuffer(&buf);
	appendPQExpBuffer(&buf, "CREATE DATABASE %s TEMPLATE template0", fmtId(name));
	if (PQntuples(res) == 1)
	{
		appendPQExpBufferStr(&buf, " ENCODING ");
		appendStringLiteralConn(&buf, PQgetvalue(res, 0, 0), server.maint.conn);
		appendPQExpBufferStr(&buf, " LC_COLLATE ");
		appendStringLiteralConn(&buf, PQgetvalue(res, 0, 1), server.maint.conn);
		appendPQExpBufferStr(&buf, " LC_CTYPE ");
		appendStringLiteralConn(&buf, PQgetvalue(res, 0, 2), server.maint.conn);
	}
	PQclear(res);
	return buf.data;
}

/* Report that CREATE DATABASE failed ("res"), with what to do about it. */
static void
report_create_failure(const char *name, const PGresult *res)
{
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (sqlstate == NULL || strcmp(sqlstate, "42501") != 0)
	{
		char	   *context = psprintf("creating shadow database \"%s\"", name);

		report_error(res, server.maint.conn, context);
		pfree(context);
		return;
	}
	pg_log_error("role \"%s\" may not create the shadow databases that autogenerate needs",
				 PQuser(server.maint.conn));
	pg_log_error_detail("%s", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
	if (server.own_server)
		pg_log_error_hint("Name a role that has the CREATEDB privilege in the URL of --shadow-url or of \"shadow =\" in pgmig.conf.");
	else
		pg_log_error_hint("Grant the role CREATEDB (ALTER ROLE %s CREATEDB;), or name a server where a role may create databases with --shadow-url or \"shadow = URL\" in pgmig.conf.",
						  fmtId(PQuser(server.maint.conn)));
}

/*
 * Connect to database "dbname" of the maintenance connection's server as
 * it is connected (host, port, user, password, SSL settings...).  False
 * (reported) on failure.
 */
static bool
connect_shadow(const char *dbname, const Options *opts, Conn *c)
{
	memset(c, 0, sizeof(*c));
	c->opts = opts;
	c->conn = connect_like(server.maint.conn, dbname);
	if (c->conn == NULL || PQstatus(c->conn) == CONNECTION_BAD)
	{
		pg_log_error("could not connect to shadow database \"%s\": %s", dbname,
					 c->conn ? PQerrorMessage(c->conn) : "out of memory");
		if (c->conn)
			PQfinish(c->conn);
		c->conn = NULL;
		return false;
	}
	return true;
}

/* Create extension pgmig in a new shadow and check its version. */
static bool
create_extension(const char *name, Conn *c)
{
	PGresult   *res = PQexec(c->conn, "CREATE EXTENSION pgmig");
	const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	if (PQresultStatus(res) == PGRES_COMMAND_OK)
	{
		PQclear(res);
		return handshake(c, false);
	}
	if (sqlstate && strcmp(sqlstate, "42501") == 0)
	{
		pg_log_error("role \"%s\" may not create extension pgmig in the shadow databases that autogenerate needs",
					 PQuser(c->conn));
		pg_log_error_detail("%s", PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		pg_log_error_hint("Creating extension pgmig takes a superuser: name a server and a superuser role for the shadow databases with --shadow-url or \"shadow = URL\" in pgmig.conf.");
	}
	else
	{
		char	   *context = psprintf("creating extension pgmig in shadow database \"%s\"", name);

		report_error(res, c->conn, context);
		pfree(context);
	}
	PQclear(res);
	return false;
}

/*
 * Create a shadow database for "what" (head, schema), connect "c" to it
 * (with "opts") and create the extension there.  "c" must stay where it
 * is until shadow_drop_all, which closes it.  False (reported) on error;
 * what was created is dropped at exit all the same.
 */
bool
shadow_create(const char *what, const Options *opts, Conn *c)
{
	Shadow	   *s;
	char	   *sql;
	PGresult   *res;

	Assert(server.maint.conn != NULL && server.n < MAX_SHADOWS);
	memset(c, 0, sizeof(*c));
	s = &server.shadows[server.n++];
	s->name = shadow_name(what);
	s->conn = NULL;
	sql = create_statement(s->name);
	if (sql == NULL)
		return false;
	/* known before it exists: a cancel may leave it made or not */
	SetCancelConn(server.maint.conn);
	res = PQexec(server.maint.conn, sql);
	pg_free(sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
	{
		const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);

		report_create_failure(s->name, res);
		/* a database of that name is another run's: never drop it */
		if (sqlstate && strcmp(sqlstate, "42P04") == 0)
			pg_free(server.shadows[--server.n].name);
		PQclear(res);
		return false;
	}
	PQclear(res);
	if (CancelRequested)
	{
		pg_log_error("canceled");
		return false;
	}
	if (!connect_shadow(s->name, opts, c))
		return false;
	s->conn = c;
	SetCancelConn(c->conn);
	return create_extension(s->name, c);
}

/* Drop one shadow; false (warned, with the statement to run) on failure. */
static bool
drop_shadow(Shadow *s)
{
	char	   *sql;
	PGresult   *res;
	bool		ok;

	if (s->conn && s->conn->conn)
		disconnect_db(s->conn);
	s->conn = NULL;
	if (PQstatus(server.maint.conn) != CONNECTION_OK)
		PQreset(server.maint.conn);
	sql = psprintf("DROP DATABASE IF EXISTS %s%s", fmtId(s->name),
				   PQserverVersion(server.maint.conn) >= 130000 ? " WITH (FORCE)" : "");
	res = PQexec(server.maint.conn, sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
	{
		const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

		pg_log_warning("could not drop shadow database \"%s\": %s", s->name,
					   msg ? msg : PQerrorMessage(server.maint.conn));
		pg_log_warning_hint("Drop it with \"DROP DATABASE %s;\" on the server at %s, port %s.",
							fmtId(s->name), PQhost(server.maint.conn),
							PQport(server.maint.conn));
	}
	PQclear(res);
	pfree(sql);
	return ok;
}

/*
 * Drop every shadow of this run (closing the connections to them) and
 * close the maintenance connection.  False if one could not be dropped
 * (warned).
 */
bool
shadow_drop_all(void)
{
	bool		ok = true;

	/* a second Ctrl-C must not cancel the drops */
	ResetCancelConn();
	while (server.n > 0)
	{
		Shadow	   *s = &server.shadows[--server.n];

		if (!drop_shadow(s))
			ok = false;
		pg_free(s->name);
		s->name = NULL;
	}
	if (server.maint.conn)
		disconnect_db(&server.maint);
	return ok;
}
