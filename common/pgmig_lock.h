/*-------------------------------------------------------------------------
 *
 * pgmig_lock.h
 *	  The migration lock and lock retries, as both sides take and pause.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_LOCK_H
#define PGMIG_LOCK_H

/* the advisory lock every applier takes (classid, objid of the int4 form) */
#define PGMIG_LOCK_KEY1 0x70676D69	/* "pgmi" */
#define PGMIG_LOCK_KEY2 0x67		/* "g" */

/*
 * Lock retries: the pause before the retry that follows attempt "attempt"
 * (1 for the first): "first_ms", doubling each time, at most
 * PGMIG_MAX_RETRY_DELAY_MS.  Both the server (transactional revisions) and
 * the client (no-transaction ones) pause so, and give up with the same
 * message.
 */
#define PGMIG_MAX_RETRY_DELAY_MS 60000
#define PGMIG_GAVE_UP_MESSAGE "revision %s gave up waiting for a lock"
extern long pgmig_retry_delay_ms(long first_ms, int attempt);

#endif							/* PGMIG_LOCK_H */
