/*-------------------------------------------------------------------------
 *
 * pgmig_version.h
 *	  Versions: the sort key of a revision id, and its order.
 *
 * A revision's id is the version as written in its file name; its sort
 * key is the version's digits without leading zeros, so that "007" and
 * "7" are the same version and "9" comes before "10" (DECISIONS 2).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_VERSION_H
#define PGMIG_VERSION_H

/* The digits of a version without leading zeros; NULL if it is not one. */
extern char *pgmig_sortkey(const char *version);

/* Order two sort keys numerically (leading zeros do not count). */
extern int	pgmig_sortkey_cmp(const char *a, const char *b);

#endif							/* PGMIG_VERSION_H */
