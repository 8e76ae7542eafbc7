/*-------------------------------------------------------------------------
 *
 * pgmig_heap.h
 *	  A binary min-heap of ints ordered by a caller's function: the ready
 *	  nodes of a topological sort that prefers some nodes over others.
 *
 * PostgreSQL's lib/binaryheap serves the frontend only from version 17.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_HEAP_H
#define PGMIG_HEAP_H

/* Does "a" come out before "b"? */
typedef bool (*PgmigHeapBefore) (int a, int b, void *arg);

typedef struct PgmigHeap
{
	int			n;
	int		   *v;
	PgmigHeapBefore before;
	void	   *arg;
} PgmigHeap;

extern void pgmig_heap_init(PgmigHeap *h, int capacity, PgmigHeapBefore before,
							void *arg);
extern void pgmig_heap_push(PgmigHeap *h, int x);
extern int	pgmig_heap_pop(PgmigHeap *h);
extern void pgmig_heap_free(PgmigHeap *h);

#endif							/* PGMIG_HEAP_H */
