/*-------------------------------------------------------------------------
 *
 * fuzz_check.h
 *	  CHECK(): a property of the code under test, for the fuzz targets.
 *
 * A failed check prints the property and a message and aborts, which
 * libFuzzer records as a crash, with the input that caused it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FUZZ_CHECK_H
#define FUZZ_CHECK_H

#define CHECK(cond, ...) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "property failed: %s (%s:%d)\n  ", \
					#cond, __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
			abort(); \
		} \
	} while (0)

#endif							/* FUZZ_CHECK_H */
