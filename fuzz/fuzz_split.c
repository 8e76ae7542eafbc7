/*-------------------------------------------------------------------------
 *
 * fuzz_split.c
 *	  libFuzzer target for the server's statement splitter
 *	  (extension/src/split.c) and the raw parse that check_statements
 *	  (extension/src/script.c) makes of every statement.
 *
 * An input is the text of a script, as the server holds it.  A first byte
 * from 0x01 to 0x07 is not text but settings of the session the script
 * would run in: bit 0 turns standard_conforming_strings off, bits 1-2 pick
 * backslash_quote (0: safe_encoding, 1: on, 2: off).
 *
 * The splitter only ever sees text that PostgreSQL accepted as a value of
 * type text in a UTF-8 database: valid UTF-8 without NUL bytes (the input
 * functions and the client-to-server conversion verify it, and mig_register
 * refuses files that are not UTF-8).  Other inputs are rejected (-1: not
 * kept in the corpus).
 *
 * Expected outcomes are a split, or an ereport(ERROR) with a SQLSTATE
 * (an unterminated quoted string, a psql meta-command, ...): the server
 * reports those with the file and line.  A crash, a sanitizer report, an
 * elog(ERROR) of an internal error, or one of these properties failing is
 * a finding:
 *
 * - statements are in order, do not overlap, lie within the text, start
 *	 at a token and end with ";" (all but the last); between them there is
 *	 only white space and comments;
 * - an error points inside the text;
 * - the splitter refuses nothing the grammar accepts: when it fails, so
 *	 does raw_parser() on the whole script;
 * - when raw_parser() accepts the whole script, every statement parses on
 *	 its own to exactly one statement of the same kind, in the same order,
 *	 as check_statements and SPI would parse them.  Where the splitter gets
 *	 this wrong, psql's rule (modelled below on psqlscan.l) is asked too: if
 *	 psql splits the script the same way, the limitation is psql's as well
 *	 and is counted, not reported; if psql gets it right, it is a finding;
 * - when the whole script does not parse, the first stretch where the
 *	 splitter and psql's rule cut it differently is looked at alone: if
 *	 psql's statements there parse and the splitter's do not, it is a
 *	 finding (random inputs seldom parse whole; this reaches further).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/keywords.h"
#include "mb/pg_wchar.h"
#include "nodes/parsenodes.h"
#include "parser/gramparse.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "utils/memutils.h"

#include "pgmig.h"
#include "backend_shim.h"
#include "fuzz_check.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Keyword tokens of the psql model, as split.c hands them the scanner. */
#define KW_BASE 20000

static uint16 *kw_tokens;

/* Scripts the splitter and psql's rule both split against the grammar. */
static long psql_limitations = 0;

/* FUZZ_VERBOSE set: say what became of each input (to look at one). */
static bool verbose = false;

/* Report, at exit, how often psql's rule was wrong too. */
static void
report_limitations(void)
{
	if (psql_limitations > 0)
		fprintf(stderr, "fuzz_split: %ld scripts split against the grammar by psql's rule too (not findings)\n",
				psql_limitations);
}

/* Set up the shim and the keyword tokens of the model. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int			i;

	shim_init();
	kw_tokens = MemoryContextAlloc(TopMemoryContext,
								   ScanKeywords.num_keywords * sizeof(uint16));
	for (i = 0; i < ScanKeywords.num_keywords; i++)
		kw_tokens[i] = (uint16) (KW_BASE + i);
	atexit(report_limitations);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	return 0;
}

/* Number of tokens the core scanner finds in "len" bytes of "s". */
static int
count_tokens(const char *s, int len)
{
	char	   *buf = pnstrdup(s, len);
	core_yy_extra_type yyextra;
	core_yyscan_t scanner;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			n = 0;

	scanner = scanner_init(buf, &yyextra, &ScanKeywords, kw_tokens);
	while (core_yylex(&yylval, &yylloc, scanner) != 0)
		n++;
	scanner_finish(scanner);
	pfree(buf);
	return n;
}

/*
 * psql's rule for the end of a statement, after psqlscan.l: a semicolon at
 * parenthesis depth 0 outside BEGIN ... END; BEGIN, CASE and END count at
 * depth 0 once the statement's first words are CREATE [OR REPLACE]
 * FUNCTION or PROCEDURE.  Fills in "stmts" like the splitter does.
 */
static void
psql_split(const char *text, MigScript *out)
{
	core_yy_extra_type yyextra;
	core_yyscan_t scanner;
	core_YYSTYPE yylval;
	YYLTYPE		yylloc;
	int			cap = 16;
	int			start = -1;
	int			paren_depth = 0,
				begin_depth = 0,
				identifier_count = 0;
	char		identifiers[4];

	out->nstmts = 0;
	out->stmts = palloc(cap * sizeof(MigStatement));
	scanner = scanner_init(text, &yyextra, &ScanKeywords, kw_tokens);
	for (;;)
	{
		int			tok = core_yylex(&yylval, &yylloc, scanner);
		bool		end = false;

		if (tok == 0)
			break;
		if (start < 0)
			start = yylloc;
		if (tok == '(')
			paren_depth++;
		else if (tok == ')' && paren_depth > 0)
			paren_depth--;
		else if (tok == ';' && paren_depth == 0 && begin_depth == 0)
		{
			identifier_count = 0;
			end = true;
		}
		else if (tok == IDENT || tok >= KW_BASE)
		{
			/* psql compares the word's text: a keyword's is its name */
			const char *word = tok >= KW_BASE ?
				GetScanKeyword(tok - KW_BASE, &ScanKeywords) : "";

			if (identifier_count == 0)
				memset(identifiers, 0, sizeof(identifiers));
			if (strcmp(word, "create") == 0 ||
				strcmp(word, "function") == 0 ||
				strcmp(word, "procedure") == 0 ||
				strcmp(word, "or") == 0 ||
				strcmp(word, "replace") == 0)
			{
				if (identifier_count < (int) sizeof(identifiers))
					identifiers[identifier_count] = word[0];
			}
			identifier_count++;
			if (identifiers[0] == 'c' &&
				(identifiers[1] == 'f' || identifiers[1] == 'p' ||
				 (identifiers[1] == 'o' && identifiers[2] == 'r' &&
				  (identifiers[3] == 'f' || identifiers[3] == 'p'))) &&
				paren_depth == 0)
			{
				if (strcmp(word, "begin") == 0)
					begin_depth++;
				else if (strcmp(word, "case") == 0)
				{
					if (begin_depth >= 1)
						begin_depth++;
				}
				else if (strcmp(word, "end") == 0)
				{
					if (begin_depth > 0)
						begin_depth--;
				}
			}
		}
		if (end)
		{
			if (out->nstmts == cap)
			{
				cap *= 2;
				out->stmts = repalloc(out->stmts, cap * sizeof(MigStatement));
			}
			out->stmts[out->nstmts].offset = start;
			out->stmts[out->nstmts].length = yylloc + 1 - start;
			out->nstmts++;
			start = -1;
		}
	}
	if (start >= 0)
	{
		if (out->nstmts == cap)
			out->stmts = repalloc(out->stmts, (cap + 1) * sizeof(MigStatement));
		out->stmts[out->nstmts].offset = start;
		out->stmts[out->nstmts].length = (int) strlen(text) - start;
		out->nstmts++;
	}
	scanner_finish(scanner);
}

/* raw_parser() of "len" bytes of "s", as check_statements calls it; NULL on an error. */
static List *
parse_or_null(const char *s, int len, bool *failed)
{
	volatile List *parsed = NIL;
	char	   *buf = pnstrdup(s, len);

	*failed = false;
	PG_TRY();
	{
		parsed = raw_parser(buf, RAW_PARSE_DEFAULT);
	}
	PG_CATCH();
	{
		CHECK(shim_last_error.sqlerrcode != ERRCODE_INTERNAL_ERROR,
			  "raw_parser: internal error \"%s\" at %s:%d",
			  shim_last_error.message, shim_last_error.filename,
			  shim_last_error.lineno);
		shim_flush_error();
		*failed = true;
		parsed = NIL;
	}
	PG_END_TRY();
	return (List *) parsed;
}

/*
 * Do the statements of a split agree with the grammar's reading of the
 * whole script ("whole")?
 */
static bool
agrees_with_grammar(const char *text, const MigScript *split, List *whole)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "agree",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ListCell   *lc = list_head(whole);
	bool		ok = true;
	int			i;

	for (i = 0; i < split->nstmts && ok; i++)
	{
		bool		failed;
		List	   *parsed = parse_or_null(text + split->stmts[i].offset,
										   split->stmts[i].length, &failed);

		if (failed || list_length(parsed) > 1)
			ok = false;
		else if (parsed != NIL)
		{
			if (lc == NULL ||
				nodeTag(linitial_node(RawStmt, parsed)->stmt) !=
				nodeTag(lfirst_node(RawStmt, lc)->stmt))
				ok = false;
			else
				lc = lnext(whole, lc);
		}
	}
	if (lc != NULL)
		ok = false;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return ok;
}

/* Does each of statements [from, to) parse on its own to one statement at most? */
static bool
pieces_parse(const char *text, const MigScript *split, int from, int to)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "pieces",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	bool		ok = true;
	int			i;

	for (i = from; i < to && ok; i++)
	{
		bool		failed;
		List	   *parsed = parse_or_null(text + split->stmts[i].offset,
										   split->stmts[i].length, &failed);

		ok = !failed && list_length(parsed) <= 1;
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return ok;
}

/* Where statement "i" of a split ends; the last one ends with the text. */
static int
piece_end(const MigScript *split, int i, int len)
{
	return i == split->nstmts - 1 ? len :
		split->stmts[i].offset + split->stmts[i].length;
}

/*
 * Where the splitter and psql's rule first cut a script differently, look
 * at that stretch alone (up to where both end a statement again), so that
 * the rest of the script need not parse: psql's statements there parse on
 * their own and the splitter's do not.
 */
static bool
worse_than_psql(const char *text, int len, const MigScript *ours,
				const MigScript *psql)
{
	int			i = 0,
				j,
				k,
				eo,
				ep;

	while (i < ours->nstmts && i < psql->nstmts &&
		   ours->stmts[i].offset == psql->stmts[i].offset &&
		   piece_end(ours, i, len) == piece_end(psql, i, len))
		i++;
	if (i == ours->nstmts || i == psql->nstmts)
		return false;			/* the same cut (both cover every token) */
	j = k = i;
	eo = piece_end(ours, j++, len);
	ep = piece_end(psql, k++, len);
	while (eo != ep)
	{
		if (eo < ep && j < ours->nstmts)
			eo = piece_end(ours, j++, len);
		else if (ep < eo && k < psql->nstmts)
			ep = piece_end(psql, k++, len);
		else
			CHECK(false, "the splits cover different tokens");
	}
	return pieces_parse(text, psql, i, k) && !pieces_parse(text, ours, i, j);
}

/* Describe a split on stderr, for a finding's report. */
static void
print_split(const char *what, const char *text, const MigScript *split)
{
	int			i;

	fprintf(stderr, "%s: %d statements\n", what, split->nstmts);
	for (i = 0; i < split->nstmts; i++)
		fprintf(stderr, "  [%d] %.*s\n", i, split->stmts[i].length,
				text + split->stmts[i].offset);
}

/* Properties of a successful split of "text" ("len" bytes). */
static void
check_split(const char *text, int len, const MigScript *script)
{
	int			prev_end = 0;
	int			i;

	CHECK(script->nstmts >= 0, "nstmts %d", script->nstmts);
	for (i = 0; i < script->nstmts; i++)
	{
		const MigStatement *st = &script->stmts[i];

		CHECK(st->offset >= prev_end && st->length > 0 &&
			  st->offset + st->length <= len,
			  "statement %d at %d, length %d, after %d, in %d bytes",
			  i, st->offset, st->length, prev_end, len);
		/* the scanner's white space (scan.l's {space}: no \v before 16) */
		CHECK(strchr(" \t\n\r\f", text[st->offset]) == NULL,
			  "statement %d starts with white space", i);
		if (i < script->nstmts - 1)
			CHECK(text[st->offset + st->length - 1] == ';',
				  "statement %d does not end with a semicolon", i);
		else
			CHECK(text[st->offset + st->length - 1] == ';' ||
				  st->offset + st->length == len,
				  "the last statement ends early");
		CHECK(count_tokens(text + prev_end, st->offset - prev_end) == 0,
			  "tokens before statement %d", i);
		prev_end = st->offset + st->length;
	}
	CHECK(count_tokens(text + prev_end, len - prev_end) == 0,
		  "tokens after the last statement");
}

/* libFuzzer's entry point. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	MemoryContext cxt;
	MigScript  *volatile script;
	volatile bool split_ok = false;
	List	   *whole;
	bool		whole_failed;
	int			len;
	char	   *text;

	/* the session's settings */
	standard_conforming_strings = true;
	backslash_quote = BACKSLASH_QUOTE_SAFE_ENCODING;
	escape_string_warning = true;
	if (size > 0 && data[0] >= 0x01 && data[0] <= 0x07)
	{
		static const int bq[] = {BACKSLASH_QUOTE_SAFE_ENCODING,
			BACKSLASH_QUOTE_ON, BACKSLASH_QUOTE_OFF,
		BACKSLASH_QUOTE_SAFE_ENCODING};

		standard_conforming_strings = (data[0] & 1) == 0;
		backslash_quote = bq[(data[0] >> 1) & 3];
		data++;
		size--;
	}
	if (size > 1024 * 1024 ||
		pg_encoding_verifymbstr(PG_UTF8, (const char *) data, (int) size) != (int) size)
		return -1;
	len = (int) size;

	cxt = AllocSetContextCreate(TopMemoryContext, "fuzz input",
								ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(cxt);
	text = palloc(len + 1);
	memcpy(text, data, len);
	text[len] = '\0';
	script = palloc0(sizeof(MigScript));
	script->text = text;
	script->first_line = 1;
	script->current = -1;

	PG_TRY();
	{
		mig_split_statements(script);
		split_ok = true;
	}
	PG_CATCH();
	{
		int			nchars;

		MemoryContextSwitchTo(cxt);
		nchars = pg_mbstrlen_with_len(text, len);
		CHECK(shim_last_error.sqlerrcode != ERRCODE_INTERNAL_ERROR,
			  "split: internal error \"%s\" at %s:%d", shim_last_error.message,
			  shim_last_error.filename, shim_last_error.lineno);
		CHECK(shim_last_error.cursorpos >= 0 &&
			  shim_last_error.cursorpos <= nchars + 1,
			  "split: error \"%s\" at character %d of %d",
			  shim_last_error.message, shim_last_error.cursorpos, nchars);
		if (verbose)
			fprintf(stderr, "split: ERROR %s: %s (character %d)\n",
					unpack_sql_state(shim_last_error.sqlerrcode),
					shim_last_error.message, shim_last_error.cursorpos);
		shim_flush_error();
	}
	PG_END_TRY();

	whole = parse_or_null(text, len, &whole_failed);
	if (verbose)
	{
		if (split_ok)
			print_split("split", text, script);
		if (whole_failed)
			fprintf(stderr, "raw_parser: ERROR %s\n", shim_last_error.message);
		else
			fprintf(stderr, "raw_parser: %d statements\n", list_length(whole));
	}
	if (!split_ok)
		CHECK(whole_failed,
			  "the splitter refused a script that raw_parser() accepts");
	else
	{
		check_split(text, len, script);
		if (!whole_failed && !agrees_with_grammar(text, script, whole))
		{
			MigScript	psql;

			memset(&psql, 0, sizeof(psql));
			psql_split(text, &psql);
			if (agrees_with_grammar(text, &psql, whole))
			{
				print_split("pgmig's split", text, script);
				print_split("psql's split", text, &psql);
				CHECK(false, "the splitter disagrees with the grammar where psql's rule does not");
			}
			psql_limitations++;
		}
		else if (whole_failed)
		{
			MigScript	psql;

			memset(&psql, 0, sizeof(psql));
			psql_split(text, &psql);
			if (worse_than_psql(text, len, script, &psql))
			{
				print_split("pgmig's split", text, script);
				print_split("psql's split", text, &psql);
				CHECK(false, "where the splitter and psql's rule differ, psql's statements parse and the splitter's do not");
			}
		}
	}

	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextDelete(cxt);
	CHECK(shim_live_chunks() == 0,
		  "%ld chunks or contexts outlive the input", shim_live_chunks());
	return 0;
}
