/*-------------------------------------------------------------------------
 *
 * pgmig_lock.c
 *	  The migration lock and lock retries, as both sides take and pause.
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

#include "pgmig_lock.h"

/* The pause before the retry after attempt "attempt".  (See header.) */
long
pgmig_retry_delay_ms(long first_ms, int attempt)
{
	long		delay = first_ms;
	int			k;

	for (k = 1; k < attempt && delay < PGMIG_MAX_RETRY_DELAY_MS; k++)
		delay *= 2;
	return delay < PGMIG_MAX_RETRY_DELAY_MS ? delay : PGMIG_MAX_RETRY_DELAY_MS;
}
