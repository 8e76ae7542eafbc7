/*-------------------------------------------------------------------------
 *
 * pooler.c
 *	  Refusing a connection pooler in transaction or statement pooling
 *	  mode before a command changes anything.
 *
 * A run needs one server session from start to end: the migration lock is
 * a session advisory lock, the statements of a no-transaction revision run
 * one by one outside any transaction, and the session settings (--confirm,
 * --lock-timeout) must reach this run's scripts and no one else's.  A
 * pooler in session mode (PgBouncer's pool_mode=session) keeps a client on
 * one server session until it disconnects: that works as a direct
 * connection does.  In transaction or statement mode the pooler hands the
 * server session to another client as soon as a transaction (a statement)
 * ends, so the lock would be held by whichever client uses that session
 * next, and the settings would reach it.
 *
 * A pooler answers the connection with a cancel key of its own, since it
 * forwards cancel requests itself: PQbackendPID() is then not the server
 * process that runs the queries (pg_backend_pid(), which handshake reads
 * with its first query).  A direct connection always has the two equal,
 * and costs nothing more.  Behind a pooler, a second short connection asks
 * for its server process, then this connection asks again: in session mode
 * the second connection can never get this one's server session, and this
 * one can never move.  PgBouncer hands out the server session released
 * last, so on a pool in transaction mode the second connection gets this
 * one's; on a busy pool, where others release sessions in between, this
 * connection tends to move instead.  The probe proves transaction pooling
 * when it sees either; it cannot prove session pooling.  So behind a
 * pooler the session settings are set and the lock is tried only in the
 * server process seen here, and every transaction of the run starts by
 * asking for it in the same round trip (begin_tx): a run that moved stops
 * there.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

#include <sys/select.h>

/*
 * How long the probe waits for a server session of its own, in seconds:
 * in transaction mode a pool serves it as soon as any transaction ends; a
 * pool in session mode with no free session only when a client leaves.
 */
#define PROBE_TIMEOUT_S 2

/*
 * The server process of a second connection made with this one's
 * parameters, or 0 if there is none in time (a pool in session mode at
 * its size holds the probe until a client leaves).
 */
static int
probe_server_pid(PGconn *conn)
{
	PGconn	   *probe = connect_like(conn, NULL);
	PGresult   *res;
	int			pid = 0;
	int			sock;
	fd_set		input;
	struct timeval timeout = {PROBE_TIMEOUT_S, 0};

	if (PQstatus(probe) == CONNECTION_OK &&
		PQsendQuery(probe, "SELECT pg_catalog.pg_backend_pid()"))
	{
		sock = PQsocket(probe);
		while (PQisBusy(probe))
		{
			FD_ZERO(&input);
			FD_SET(sock, &input);
			if (select(sock + 1, &input, NULL, NULL, &timeout) <= 0 ||
				!PQconsumeInput(probe))
				break;
		}
		if (!PQisBusy(probe))
		{
			while ((res = PQgetResult(probe)) != NULL)
			{
				if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
					pid = atoi(PQgetvalue(res, 0, 0));
				PQclear(res);
			}
		}
	}
	PQfinish(probe);
	return pid;
}

/* This connection's server process now; 0 (reported) on error. */
static int
server_pid_now(Conn *c)
{
	PGresult   *res = query(c, "SELECT pg_catalog.pg_backend_pid()", 0, NULL);
	int			pid;

	if (res == NULL)
		return 0;
	pid = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return pid;
}

/*
 * Report that the server session is shared with other clients: "how" says
 * how it showed, "after" what the run did.
 */
static void
report_transaction_pooling(Conn *c, const char *how, const char *after)
{
	pg_log_error("database \"%s\" is reached through a connection pooler in transaction or statement pooling mode",
				 PQdb(c->conn));
	pg_log_error_detail("%s: the pooler shares server sessions between clients. A migration run needs one server session from start to end: the migration lock is held by the session, no-transaction revisions run statement by statement outside a transaction, and session settings would reach other clients. %s",
						how, after);
	pg_log_error_hint("Connect to the server directly, or through a pool in session mode (for PgBouncer, a database entry with pool_mode=session); status and history work through transaction pooling.");
}

/*
 * Report that this connection moved to server process "now": a run that
 * holds the lock has begun.
 */
void
report_session_moved(Conn *c, int now)
{
	char	   *how = psprintf("This connection was served by server process %d, then by %d",
							   c->server_pid, now);

	report_transaction_pooling(c, how, c->locked ?
							   "The run stopped there; what it had committed stays." :
							   "Nothing was done.");
	pfree(how);
}

/*
 * Before a command changes anything: false (reported) if the connection
 * goes through a pooler that shares server sessions between clients.
 * Needs handshake's server_pid.
 */
bool
require_session(Conn *c)
{
	int			other;
	int			again;
	char	   *how;

	Assert(c->server_pid != 0);
	/* a direct connection, or a pooler that passes the server's key on */
	if (PQbackendPID(c->conn) == c->server_pid)
		return true;

	c->pooled = true;
	other = probe_server_pid(c->conn);
	again = server_pid_now(c);
	if (again == 0)
		return false;
	if (other == c->server_pid || other == again)
	{
		how = psprintf("A second connection was given server process %d, this connection's",
					   other);
		report_transaction_pooling(c, how, "Nothing was done.");
		pfree(how);
		return false;
	}
	if (again != c->server_pid)
	{
		report_session_moved(c, again);
		return false;
	}
	return true;
}

/*
 * Open a transaction.  Behind a pooler, the same round trip asks for the
 * server process, and a connection that moved stops the run.  False
 * (reported) on error.
 */
bool
begin_tx(Conn *c)
{
	PGresult   *res;
	int			pid;

	if (!c->pooled)
		return command(c, "BEGIN");
	res = PQexec(c->conn, "BEGIN; SELECT pg_catalog.pg_backend_pid()");
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
	{
		report_error(res, c->conn, NULL);
		PQclear(res);
		if (PQtransactionStatus(c->conn) == PQTRANS_INERROR)
			PQclear(PQexec(c->conn, "ROLLBACK"));
		return false;
	}
	pid = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (pid == c->server_pid)
		return true;
	PQclear(PQexec(c->conn, "ROLLBACK"));
	report_session_moved(c, pid);
	return false;
}
