/*-------------------------------------------------------------------------
 *
 * pgmig_version.c
 *	  Versions: the sort key of a revision id, and its order.
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

#include <ctype.h>

#include "lib/stringinfo.h"

#include "pgmig_version.h"

/* The digits of a version without leading zeros; NULL if it is not one. */
char *
pgmig_sortkey(const char *version)
{
	StringInfoData buf;
	const char *p;

	if (!isdigit((unsigned char) version[0]))
		return NULL;
	initStringInfo(&buf);
	for (p = version; *p; p++)
	{
		if (isdigit((unsigned char) *p))
			appendStringInfoChar(&buf, *p);
		else if (*p != '-' && *p != '.')
		{
			pfree(buf.data);
			return NULL;
		}
	}
	/* leading zeros do not count: "007" and "7" are the same version */
	p = buf.data;
	while (*p == '0' && p[1] != '\0')
		p++;
	if (p != buf.data)
		memmove(buf.data, p, strlen(p) + 1);
	return buf.data;
}

/* Order two sort keys numerically (leading zeros do not count). */
int
pgmig_sortkey_cmp(const char *a, const char *b)
{
	size_t		la,
				lb;
	int			c;

	while (*a == '0' && a[1] != '\0')
		a++;
	while (*b == '0' && b[1] != '\0')
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	c = strcmp(a, b);
	return c < 0 ? -1 : (c > 0 ? 1 : 0);
}
