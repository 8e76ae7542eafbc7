/*-------------------------------------------------------------------------
 *
 * pgmig_message.c
 *	  Messages of the shared code: the errors it reports, and text made fit
 *	  to print in a message.
 *
 * Compiled into the server module and, with -DFRONTEND, into the client,
 * where palloc is plain malloc and no memory context cleans up: every
 * function frees its scratch memory, and what it returns belongs to the
 * caller.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "pgmig_message.h"

/* Fill in *err and return false, for "return pgmig_set_error(...)". */
bool
pgmig_set_error(PgmigError *err, PgmigErrorKind kind, const char *detail,
				const char *hint, const char *fmt,...)
{
	va_list		ap;
	StringInfoData buf;

	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(ap, fmt);
		needed = appendStringInfoVA(&buf, fmt, ap);
		va_end(ap);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	err->kind = kind;
	err->message = buf.data;
	err->detail = detail ? pstrdup(detail) : NULL;
	err->hint = hint ? pstrdup(hint) : NULL;
	err->file_name = NULL;
	err->line = 0;
	return false;
}

/*
 * Add to an error that pgmig_set_error filled in where it happened, line
 * "line" of file "file_name", and return false, for "return
 * pgmig_error_at(...)".
 */
bool
pgmig_error_at(PgmigError *err, const char *file_name, int line)
{
	err->file_name = pstrdup(file_name);
	err->line = line;
	return false;
}

/* Free what an error holds and clear it. */
void
pgmig_error_free(PgmigError *err)
{
	if (err->message)
		pfree(err->message);
	if (err->detail)
		pfree(err->detail);
	if (err->hint)
		pfree(err->hint);
	if (err->file_name)
		pfree(err->file_name);
	memset(err, 0, sizeof(*err));
}

/*
 * Text is UTF-8 in the client (migration files must be) and in the server
 * when the database is; elsewhere only ASCII control characters are known.
 */
#ifdef FRONTEND
#define TEXT_IS_UTF8() true
#else
#define TEXT_IS_UTF8() (GetDatabaseEncoding() == PG_UTF8)
#endif

/* Bytes of the control character at "p" (C0, DEL, C1 in UTF-8), or 0. */
static int
control_len(const unsigned char *p, bool utf8)
{
	if ((*p > 0 && *p < 0x20) || *p == 0x7f)
		return 1;
	if (utf8 && p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	return 0;
}

/* The first control character of "s" (C0, DEL, C1 in UTF-8), or NULL. */
const char *
pgmig_find_control(const char *s)
{
	bool		utf8 = TEXT_IS_UTF8();
	const unsigned char *p;

	for (p = (const unsigned char *) s; *p; p++)
		if (control_len(p, utf8) > 0)
			return (const char *) p;
	return NULL;
}

/*
 * "s" with its control characters escaped, palloc'd, so that a file name,
 * path, label or description from a file or a catalog cannot move the
 * cursor of a terminal or end a line of a generated script: newline, tab
 * and carriage return as \n, \t and \r, other control characters (and
 * bytes that are not UTF-8, where text is UTF-8) as \xNN.  A backslash
 * stays as it is, so text without control characters is unchanged.
 */
char *
pgmig_escape(const char *s)
{
	bool		utf8 = TEXT_IS_UTF8();
	const unsigned char *p = (const unsigned char *) s;
	StringInfoData buf;

	initStringInfo(&buf);
	while (*p)
	{
		int			l;

		if (*p == '\n' || *p == '\t' || *p == '\r')
		{
			appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, *p == '\n' ? 'n' : (*p == '\t' ? 't' : 'r'));
			p++;
		}
		else if ((l = control_len(p, utf8)) > 0)
		{
			for (; l > 0; l--, p++)
				appendStringInfo(&buf, "\\x%02x", *p);
		}
		else if (*p >= 0x80 && utf8)
		{
			l = pg_utf_mblen(p);
			if (strnlen((const char *) p, l) == (size_t) l &&
				pg_utf8_islegal(p, l))
			{
				appendBinaryStringInfo(&buf, (const char *) p, l);
				p += l;
			}
			else
				appendStringInfo(&buf, "\\x%02x", *p++);
		}
		else
			appendStringInfoChar(&buf, *p++);
	}
	return buf.data;
}
