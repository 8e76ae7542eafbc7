/*-------------------------------------------------------------------------
 *
 * pgmig_state.h
 *	  The state rules of a revision's catalog row (schema_migrations.state).
 *
 * A no-transaction revision runs statement by statement and may stop
 * halfway: "running" or "failed" going up, "reverting" or "revert_failed"
 * going down.  A revision is applied when its row is complete or on its way
 * down (so that "down" resumes it); one that stopped on its way up is
 * partial (an upgrade resumes it, a downgrade reverts it).  NULL: no row.
 * A row still "running" or "reverting" when a new attempt begins belongs to
 * an attempt that ended without recording how (interrupted).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_STATE_H
#define PGMIG_STATE_H

#define PGMIG_STATE_COMPLETE		"complete"
#define PGMIG_STATE_RUNNING			"running"
#define PGMIG_STATE_FAILED			"failed"
#define PGMIG_STATE_REVERTING		"reverting"
#define PGMIG_STATE_REVERT_FAILED	"revert_failed"

extern bool pgmig_state_applied(const char *state);
extern bool pgmig_state_partial(const char *state);
extern bool pgmig_state_half_reverted(const char *state);
extern bool pgmig_state_interrupted(const char *state);

/*
 * Has the up script of a revision changed since it was applied?  Only an
 * applied revision (see above) can have: one that stopped going up starts
 * over with its edited script.
 */
extern bool pgmig_changed_since_applied(const char *state,
										const char *applied_checksum,
										const char *up_checksum);

#endif							/* PGMIG_STATE_H */
