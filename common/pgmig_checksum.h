/*-------------------------------------------------------------------------
 *
 * pgmig_checksum.h
 *	  Checksums: SHA-256 of a script's text, its line endings normalized.
 *
 * What is checksummed is the text with CRLF and lone CR turned into LF, so
 * that a file checked out with other line endings keeps its checksums
 * (DECISIONS 4 says which checksums a revision has).
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_CHECKSUM_H
#define PGMIG_CHECKSUM_H

/* hex SHA-256 plus terminator */
#define PGMIG_CHECKSUM_LEN 65

/* Turn CRLF and lone CR into LF, in place; returns the new length. */
extern size_t pgmig_normalize_newlines(char *text, size_t len);

/* Hex SHA-256 of a buffer; false on a hashing failure. */
extern bool pgmig_checksum(const char *data, size_t len,
						   char out[PGMIG_CHECKSUM_LEN]);

#endif							/* PGMIG_CHECKSUM_H */
