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
/*
 * From this size up, pgmig_checksum uses PostgreSQL's pg_cryptohash
 * (OpenSSL, with the CPU's SHA instructions): 2x faster than the SHA-256
 * written out in pgmig_checksum.c at 256 bytes, 6x from 16 kB; below, the
 * library's setup costs more than the hashing (bench/sha256.sh).
 */
#define PGMIG_SHA256_LIBRARY_MIN 128

/* The SHA-256 implementations pgmig_checksum chooses from by size. */
typedef enum PgmigSha256Impl
{
	PGMIG_SHA256_OWN,			/* written out in pgmig_checksum.c */
	PGMIG_SHA256_LIBRARY		/* PostgreSQL's pg_cryptohash (14 and up) */
} PgmigSha256Impl;

extern bool pgmig_checksum(const char *data, size_t len,
						   char out[PGMIG_CHECKSUM_LEN]);
extern bool pgmig_checksum_by(const char *data, size_t len,
							  char out[PGMIG_CHECKSUM_LEN], PgmigSha256Impl impl);

#endif							/* PGMIG_CHECKSUM_H */
