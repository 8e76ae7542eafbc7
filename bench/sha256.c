/*
 * bench/sha256.c: the SHA-256 written out in common/pgmig_checksum.c
 * against PostgreSQL's pg_cryptohash, per input size, in one run; and
 * both against each other on every size, so a figure is never of a wrong
 * hash.  Built and run by bench/sha256.sh.
 */
#include "postgres_fe.h"

#include <time.h>

#include "pgmig_checksum.h"

/* Nanoseconds of the monotonic clock. */
static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Microseconds per hash of "len" bytes by "impl" (best of 5 rounds). */
static double
per_hash_us(const char *data, size_t len, PgmigSha256Impl impl)
{
	char		out[PGMIG_CHECKSUM_LEN];
	int			n = (int) Max(20, (64 << 20) / Max(len, 1) / 4);
	double		best = 0;
	int			round,
				i;

	for (round = 0; round < 5; round++)
	{
		double		t0 = now_ns();

		for (i = 0; i < n; i++)
			pgmig_checksum_by(data, len, out, impl);
		if (round == 0 || (now_ns() - t0) / n < best)
			best = (now_ns() - t0) / n;
	}
	return best / 1000.0;
}

int
main(void)
{
	static const size_t sizes[] = {0, 64, 256, 1024, 2048, 4096, 8192, 16384, 65536, 1 << 20, 64 << 20};
	char	   *data = malloc(64 << 20);
	size_t		i;

	for (i = 0; i < (64 << 20); i++)
		data[i] = (char) ('a' + (i * 7919) % 26);
	printf("%10s  %14s  %14s  %8s  %s\n", "bytes", "written out", "pg_cryptohash", "÷", "pgmig_checksum uses");
	for (i = 0; i < lengthof(sizes); i++)
	{
		char		a[PGMIG_CHECKSUM_LEN],
					b[PGMIG_CHECKSUM_LEN];
		double		own,
					lib;

		pgmig_checksum_by(data, sizes[i], a, PGMIG_SHA256_OWN);
		pgmig_checksum_by(data, sizes[i], b, PGMIG_SHA256_LIBRARY);
		if (strcmp(a, b) != 0)
		{
			fprintf(stderr, "sha256: the two disagree on %zu bytes: %s %s\n", sizes[i], a, b);
			return 1;
		}
		own = per_hash_us(data, sizes[i], PGMIG_SHA256_OWN);
		lib = per_hash_us(data, sizes[i], PGMIG_SHA256_LIBRARY);
		printf("%10zu  %11.2f us  %11.2f us  %8.2f  %s\n", sizes[i], own, lib, own / lib,
			   sizes[i] >= PGMIG_SHA256_LIBRARY_MIN ? "pg_cryptohash" : "written out");
	}
	free(data);
	return 0;
}
