/*-------------------------------------------------------------------------
 *
 * replicas.c
 *	  --wait-for-replicas: after a run, wait until the named standbys have
 *	  replayed it.
 *
 * A deploy pipeline that starts the new application on the standbys too
 * must not start it before they have the new schema.  The names are the
 * standbys' application_name as pg_stat_replication shows it on the
 * primary (primary_conninfo's application_name, the cluster name by
 * default).  The run's position is the primary's WAL insert position once
 * the run has committed; the wait ends when every named standby's
 * replay_lsn has passed it.  A name not connected is an error at once; a
 * standby still behind after REPLICA_TIMEOUT_S is an error then.  Either
 * way the run itself is committed, and the message says so.
 *
 *-------------------------------------------------------------------------
 */
#include "pgmig.h"

/* How long a standby may take to replay the run, in seconds. */
#define REPLICA_TIMEOUT_S 60

/*
 * Wait until the standbys named in "names" (comma-separated) have
 * replayed everything the primary wrote so far.  False (reported) if one
 * is not connected, or not there in time.
 */
bool
wait_for_replicas(Conn *c, const char *names)
{
	const char *values[2];
	PGresult   *res;
	char	   *lsn;
	instr_time	start;
	bool		told = false;
	bool		ok = true;
	PQExpBufferData missing,
				behind;

	res = query(c, "SELECT pg_catalog.pg_current_wal_insert_lsn()::pg_catalog.text", 0, NULL);
	if (res == NULL)
		return false;
	lsn = pg_strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	values[0] = names;
	values[1] = lsn;
	initPQExpBuffer(&missing);
	initPQExpBuffer(&behind);
	INSTR_TIME_SET_CURRENT(start);
	for (;;)
	{
		int			i;

		/* each name: connected at all, and replayed up to the run */
		res = query(c,
					"SELECT n.name, s.replay_lsn IS NOT NULL,"
					" COALESCE(s.replay_lsn OPERATOR(pg_catalog.>=) $2::pg_catalog.pg_lsn, false)"
					" FROM pg_catalog.unnest(pg_catalog.string_to_array($1, ',')) AS n(name)"
					" LEFT JOIN pg_catalog.pg_stat_replication s"
					"   ON s.application_name OPERATOR(pg_catalog.=) pg_catalog.btrim(n.name)"
					" ORDER BY 1",
					2, values);
		if (res == NULL)
		{
			ok = false;
			break;
		}
		resetPQExpBuffer(&missing);
		resetPQExpBuffer(&behind);
		for (i = 0; i < PQntuples(res); i++)
		{
			PQExpBuffer list = NULL;

			if (strcmp(PQgetvalue(res, i, 1), "t") != 0)
				list = &missing;
			else if (strcmp(PQgetvalue(res, i, 2), "t") != 0)
				list = &behind;
			if (list)
				appendPQExpBuffer(list, "%s\"%s\"", list->len > 0 ? ", " : "",
								  shown(PQgetvalue(res, i, 0)));
		}
		PQclear(res);
		if (missing.len > 0 || (behind.len > 0 && elapsed_ms(start) > REPLICA_TIMEOUT_S * 1000.0))
		{
			if (missing.len > 0)
				pg_log_error("no standby named %s is connected to the primary", missing.data);
			else
				pg_log_error("standby %s has not replayed the run after %d s", behind.data,
							 REPLICA_TIMEOUT_S);
			pg_log_error_detail("The run is committed on the primary (WAL %s); the standbys get it as they replay.", lsn);
			pg_log_error_hint("The names are application_name of pg_stat_replication on the primary.");
			ok = false;
			break;
		}
		if (behind.len == 0)
			break;
		if (!told)
			info(c->opts, "waiting for the standbys to replay the run (WAL %s)", lsn);
		told = true;
		pg_usleep(100000L);
	}
	if (ok)
		info(c->opts, "replayed by %s", names);
	termPQExpBuffer(&missing);
	termPQExpBuffer(&behind);
	pg_free(lsn);
	return ok;
}
