/*-------------------------------------------------------------------------
 *
 * pgmig_state.c
 *	  The state rules of a revision's catalog row (schema_migrations.state).
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

#include "pgmig_state.h"

/* Is a revision whose catalog row is in "state" applied?  (See header.) */
bool
pgmig_state_applied(const char *state)
{
	return state != NULL && !pgmig_state_partial(state);
}

/* Did a revision whose catalog row is in "state" stop halfway going up? */
bool
pgmig_state_partial(const char *state)
{
	return state != NULL &&
		(strcmp(state, PGMIG_STATE_RUNNING) == 0 ||
		 strcmp(state, PGMIG_STATE_FAILED) == 0);
}

/* Is it on its way down, or did it stop halfway there? */
bool
pgmig_state_half_reverted(const char *state)
{
	return state != NULL &&
		(strcmp(state, PGMIG_STATE_REVERTING) == 0 ||
		 strcmp(state, PGMIG_STATE_REVERT_FAILED) == 0);
}

/* Did an attempt on it end without recording how? */
bool
pgmig_state_interrupted(const char *state)
{
	return state != NULL &&
		(strcmp(state, PGMIG_STATE_RUNNING) == 0 ||
		 strcmp(state, PGMIG_STATE_REVERTING) == 0);
}

/* Has the up script changed since it was applied?  (See header.) */
bool
pgmig_changed_since_applied(const char *state, const char *applied_checksum,
							const char *up_checksum)
{
	return pgmig_state_applied(state) && applied_checksum != NULL &&
		up_checksum != NULL && strcmp(applied_checksum, up_checksum) != 0;
}
