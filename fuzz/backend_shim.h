/*-------------------------------------------------------------------------
 *
 * backend_shim.h
 *	  The little of a PostgreSQL backend that the statement splitter, the
 *	  core scanner and the raw grammar need, for the fuzz target fuzz_split.
 *
 *-------------------------------------------------------------------------
 */
#ifndef BACKEND_SHIM_H
#define BACKEND_SHIM_H

/* The last ereport(ERROR) caught, as the harness sees it. */
typedef struct ShimError
{
	int			elevel;
	int			sqlerrcode;
	char		message[256];
	const char *filename;		/* where it was raised */
	int			lineno;
	int			cursorpos;		/* errposition(), or 0 */
	int			internalpos;	/* internalerrposition(), or 0 */
} ShimError;

extern ShimError shim_last_error;

/* Set up TopMemoryContext, the server encoding (UTF-8) and the stack base. */
extern void shim_init(void);

/* Clear the error state after an ERROR was caught with PG_TRY. */
extern void shim_flush_error(void);

/* Chunks outside TopMemoryContext, and contexts but the permanent ones. */
extern long shim_live_chunks(void);

#endif							/* BACKEND_SHIM_H */
