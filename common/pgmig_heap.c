/*-------------------------------------------------------------------------
 *
 * pgmig_heap.c
 *	  A binary min-heap of ints ordered by a caller's function.
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

#include "pgmig_heap.h"

/* An empty heap for at most "capacity" ints. */
void
pgmig_heap_init(PgmigHeap *h, int capacity, PgmigHeapBefore before, void *arg)
{
	h->n = 0;
	h->v = palloc(Max(capacity, 1) * sizeof(int));
	h->before = before;
	h->arg = arg;
}

/* Add "x". */
void
pgmig_heap_push(PgmigHeap *h, int x)
{
	int			i = h->n++;

	while (i > 0 && h->before(x, h->v[(i - 1) / 2], h->arg))
	{
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
}

/* Remove and return the first; the heap must not be empty. */
int
pgmig_heap_pop(PgmigHeap *h)
{
	int			top = h->v[0];
	int			x = h->v[--h->n];
	int			i = 0;

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->before(h->v[c + 1], h->v[c], h->arg))
			c++;
		if (!h->before(h->v[c], x, h->arg))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = x;
	return top;
}

/* Free the heap's array. */
void
pgmig_heap_free(PgmigHeap *h)
{
	pfree(h->v);
	h->v = NULL;
}
