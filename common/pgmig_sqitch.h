/*-------------------------------------------------------------------------
 *
 * pgmig_sqitch.h
 *	  Sqitch's layout: sqitch.plan, and the deploy/, revert/ and verify/
 *	  scripts of each change, as revisions.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_SQITCH_H
#define PGMIG_SQITCH_H

#include "pgmig_format.h"

/* The plan's file name as registered. */
#define PGMIG_SQITCH_PLAN "sqitch.plan"

/* One change of a plan, in plan order. */
typedef struct PgmigSqitchChange
{
	char	   *name;			/* as written */
	char	   *id;				/* the revision id: name, or name@tag for an
								 * instance reworked later */
	int			line;			/* of the plan */
	int			nparents;
	char	  **parents;		/* the change before it, then what it requires */
	char	   *note;			/* "" when none */
	char	   *plan_text;		/* its line and its tags' lines: checksummed */
} PgmigSqitchChange;

/* A change found by a name or an id. */
typedef struct PgmigSqitchKey
{
	const char *key;
	int			change;			/* index into the plan's changes */
} PgmigSqitchKey;

/* A parsed sqitch.plan. */
typedef struct PgmigSqitchPlan
{
	char	   *project;		/* %project */
	int			n;
	PgmigSqitchChange *changes;
	PgmigSqitchKey *by_id;		/* the changes by id */
} PgmigSqitchPlan;

/*
 * Parse a plan ("text" NUL-terminated, "len" bytes, normalized in place).
 * Errors name "file_name" and the line.
 */
extern bool pgmig_sqitch_parse_plan(const char *file_name, char *text, size_t len,
									PgmigSqitchPlan *plan, PgmigError *err);

extern void pgmig_sqitch_free_plan(PgmigSqitchPlan *plan);

/* The change whose scripts are named "<dir>/<script>.sql", or -1. */
extern int	pgmig_sqitch_find(const PgmigSqitchPlan *plan, const char *file_name);

/* A change's deploy script's registered name, deploy/<id>.sql (palloc'd). */
extern char *pgmig_sqitch_file(const PgmigSqitchChange *change, const char *dir);

/*
 * The revision of change "i" from its deploy script, its revert script (or
 * NULL: irreversible) and its verify script (or NULL), normalized in place.
 */
extern bool pgmig_sqitch_script(const PgmigSqitchPlan *plan, int i,
								char *deploy, size_t deploy_len,
								char *revert, size_t revert_len,
								char *verify, size_t verify_len,
								PgmigScript *out, PgmigError *err);

#endif							/* PGMIG_SQITCH_H */
