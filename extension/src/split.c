/*-------------------------------------------------------------------------
 *
 * split.c
 *	  Splitting a migration script into statements.
 *
 * The script is cut with PostgreSQL's own scanner, by the rule psql uses: a
 * semicolon outside parentheses ends a statement, except inside the
 * BEGIN ... END body of a SQL-standard routine.  Only the statements'
 * offsets and lengths are kept; script.c checks and runs them.
 *
 * This file needs nothing of the server but the scanner, keywords, palloc
 * and ereport, so that the fuzz target (fuzz/) can compile it as it is.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/keywords.h"
#include "parser/scanner.h"
#include "utils/memutils.h"

#include "pgmig.h"

static bool split_statements(MigScript *script);

/* Keyword tokens we hand the scanner: KW_BASE + keyword number. */
#define KW_BASE 20000

static uint16 *kw_tokens = NULL;
static int	kw_create,
			kw_or,
			kw_replace,
			kw_function,
			kw_procedure,
			kw_begin,
			kw_case,
			kw_end;

/* Set up the keyword token table once per session. */
static void
init_keywords(void)
{
	int			i;

	if (kw_tokens != NULL)
		return;
	kw_tokens = MemoryContextAlloc(TopMemoryContext,
								   ScanKeywords.num_keywords * sizeof(uint16));
	for (i = 0; i < ScanKeywords.num_keywords; i++)
		kw_tokens[i] = (uint16) (KW_BASE + i);
	kw_create = ScanKeywordLookup("create", &ScanKeywords);
	kw_or = ScanKeywordLookup("or", &ScanKeywords);
	kw_replace = ScanKeywordLookup("replace", &ScanKeywords);
	kw_function = ScanKeywordLookup("function", &ScanKeywords);
	kw_procedure = ScanKeywordLookup("procedure", &ScanKeywords);
	kw_begin = ScanKeywordLookup("begin", &ScanKeywords);
	kw_case = ScanKeywordLookup("case", &ScanKeywords);
	kw_end = ScanKeywordLookup("end", &ScanKeywords);
}

/* Add a statement boundary, growing the array as needed. */
static void
add_statement(MigScript *script, int *cap, int offset, int length)
{
	if (script->nstmts == *cap)
	{
		*cap *= 2;
		script->stmts = repalloc_huge(script->stmts, *cap * sizeof(MigStatement));
	}
	script->stmts[script->nstmts].offset = offset;
	script->stmts[script->nstmts].length = length;
	script->nstmts++;
}

/* A character of the key of a \restrict line (pg_dump: letters, digits). */
#define IS_KEY_CHAR(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
						((c) >= '0' && (c) <= '9'))

/*
 * If the backslash at "offset" starts one of the lines "\restrict KEY" and
 * "\unrestrict KEY" that pg_dump writes first and last (17.6, 16.10, 15.14
 * and later: psql refuses meta-commands between them), the offset where
 * the line's text ends (before trailing blanks), else -1.
 */
static int
restrict_line_end(const char *text, int offset)
{
	const char *p = text + offset;
	const char *end;

	if (offset > 0 && text[offset - 1] != '\n')
		return -1;
	if (strncmp(p, "\\restrict", 9) == 0)
		p += 9;
	else if (strncmp(p, "\\unrestrict", 11) == 0)
		p += 11;
	else
		return -1;
	if (*p != ' ' && *p != '\t')
		return -1;
	while (*p == ' ' || *p == '\t')
		p++;
	if (!IS_KEY_CHAR(*p))
		return -1;
	while (IS_KEY_CHAR(*p))
		p++;
	end = p;
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p != '\n' && *p != '\0')
		return -1;
	return end - text;
}

/*
 * Find the statement boundaries of the script with the core scanner.  In a
 * schema file, pg_dump's \restrict and \unrestrict lines are blanked out
 * (the line count stays) and the text scanned again from its start.
 */
void
mig_split_statements(MigScript *script)
{
	while (!split_statements(script))
		;
}

/*
 * Split the script; false if a \restrict line was blanked out and the
 * text must be scanned again.
 */
static bool
split_statements(MigScript *script)
{
	core_yy_extra_type yyextra;
	core_yyscan_t scanner;
	MemoryContext tokcxt;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			cap = 64;
	int			end;
	bool		restart = false;
	int			start = -1;
	int			ntokens = 0;
	int			depth = 0;
	int			begin_depth = 0;
	bool		is_create = false;
	bool		is_routine = false;

	/*
	 * The scanner pallocs every identifier (downcased) and literal it
	 * returns; they live in a token context, emptied at each statement's
	 * end, so a script of a million statements does not keep them all.  Its
	 * own buffers stay in the caller's context.
	 */
	tokcxt = AllocSetContextCreate(CurrentMemoryContext, "pgmig tokens",
								   ALLOCSET_SMALL_SIZES);
	init_keywords();
	script->nstmts = 0;
	script->stmts = palloc(cap * sizeof(MigStatement));
	scanner = scanner_init(script->text, &yyextra, &ScanKeywords, kw_tokens);

	for (;;)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(tokcxt);
		int			tok = core_yylex(&yylval, &yylloc, scanner);

		MemoryContextSwitchTo(oldcxt);
		if (tok == 0)
			break;
		if (start < 0)
		{
			start = yylloc;
			ntokens = depth = begin_depth = 0;
			is_create = is_routine = false;
		}
		ntokens++;

		if (tok == '\\' && script->schema_file &&
			(end = restrict_line_end(script->text, yylloc)) >= 0)
		{
			memset(script->text + yylloc, ' ', end - yylloc);
			restart = true;
			break;
		}
		else if (tok == '\\')
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("psql meta-commands are not supported in migration scripts"),
					 errdetail("Scripts run inside the server, where there is no psql."),
					 errhint("Write the statements out in the script instead."),
					 scanner_errposition(yylloc, scanner)));
		else if (tok == '(' || tok == '[')
			depth++;
		else if (tok == ')' || tok == ']')
			depth--;
		else if (tok >= KW_BASE)
		{
			int			kw = tok - KW_BASE;

			if (ntokens == 1)
				is_create = (kw == kw_create);
			else if (is_create && ntokens <= 4 && !is_routine)
			{
				/* CREATE [OR REPLACE] FUNCTION or PROCEDURE, as psql reads it */
				is_routine = (kw == kw_function || kw == kw_procedure) &&
					(ntokens == 2 || ntokens == 4);
				is_create = is_routine || (ntokens == 2 && kw == kw_or) ||
					(ntokens == 3 && kw == kw_replace);
			}
			else if (is_routine && depth <= 0)
			{
				/* as psql: outside parentheses, where BEGIN may be a name */
				if (kw == kw_begin || (kw == kw_case && begin_depth > 0))
					begin_depth++;
				else if (kw == kw_end && begin_depth > 0)
					begin_depth--;
			}
		}
		else if (tok == ';' && depth <= 0 && begin_depth == 0)
		{
			add_statement(script, &cap, start, yylloc + 1 - start);
			start = -1;
			MemoryContextReset(tokcxt);
		}
	}
	if (start >= 0 && !restart)
		add_statement(script, &cap, start, (int) strlen(script->text) - start);
	scanner_finish(scanner);
	MemoryContextDelete(tokcxt);
	if (restart)
		pfree(script->stmts);
	return !restart;
}
