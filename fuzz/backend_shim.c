/*-------------------------------------------------------------------------
 *
 * backend_shim.c
 *	  The little of a PostgreSQL backend that the statement splitter, the
 *	  core scanner and the raw grammar need, for the fuzz target fuzz_split.
 *
 * The splitter (extension/src/split.c), the scanner (scan.c), the grammar
 * (gram.c, parser.c), the node functions and mbutils.c are PostgreSQL's
 * and the extension's own code; this file stands in for the rest:
 *
 * - memory contexts whose every chunk is a malloc() of its own, so that
 *	 AddressSanitizer sees each palloc'd block's exact bounds and every use
 *	 after a pfree or a context reset (PostgreSQL's aset.c would hide them
 *	 inside its blocks).  A chunk is preceded by its context, as
 *	 GetMemoryChunkContext expects;
 * - ereport/elog: the message is formatted; an ERROR ends in a siglongjmp
 *	 to the innermost PG_TRY, as in the server, FATAL and PANIC abort; an
 *	 error raised while another is reported nests as in elog.c;
 * - check_stack_depth, with a 2 MB limit like max_stack_depth's default;
 * - NameListToString (namespace.c), for the grammar's messages;
 * - stubs that abort for the catalog and fmgr functions the linked code
 *	 refers to but cannot reach from the raw parser.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdarg.h>

#include "commands/defrem.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/pg_list.h"
#include "nodes/value.h"
#include "utils/memutils.h"

#include "backend_shim.h"

ShimError	shim_last_error;

/* ---------- memory contexts ---------- */

/* The header of a chunk; the context comes last, right before the data. */
typedef struct ShimChunk
{
	struct ShimChunk *prev;
	struct ShimChunk *next;
	Size		size;
	MemoryContext context;
} ShimChunk;

/* A context: PostgreSQL's header, then the list of its chunks. */
typedef struct ShimContext
{
	MemoryContextData header;
	ShimChunk	chunks;			/* circular list, this is its head */
} ShimContext;

StaticAssertDecl(sizeof(ShimChunk) % MAXIMUM_ALIGNOF == 0,
				 "chunk header must keep the data aligned");

MemoryContext CurrentMemoryContext = NULL;
MemoryContext TopMemoryContext = NULL;
MemoryContext ErrorContext = NULL;

static long live_chunks = 0;
static long top_chunks = 0;
static long live_contexts = 0;

/* Create a context under "parent" (NULL: a top-level one). */
static MemoryContext
shim_context_create(MemoryContext parent, const char *name)
{
	ShimContext *c = calloc(1, sizeof(ShimContext));

	if (c == NULL)
		abort();
	c->header.type = T_AllocSetContext;
	c->header.isReset = true;
	c->header.parent = parent;
	c->header.name = name;
	c->chunks.prev = c->chunks.next = &c->chunks;
	live_contexts++;
	if (parent != NULL)
	{
		c->header.nextchild = parent->firstchild;
		if (parent->firstchild != NULL)
			parent->firstchild->prevchild = &c->header;
		parent->firstchild = &c->header;
	}
	return &c->header;
}

MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize,
							  Size maxBlockSize)
{
	return shim_context_create(parent, name);
}

/* Free every chunk of a context (not its children). */
static void
shim_context_free_chunks(MemoryContext context)
{
	ShimContext *c = (ShimContext *) context;

	while (c->chunks.next != &c->chunks)
	{
		ShimChunk  *ch = c->chunks.next;

		c->chunks.next = ch->next;
		ch->next->prev = &c->chunks;
		if (context == TopMemoryContext)
			top_chunks--;
		live_chunks--;
		free(ch);
	}
	context->isReset = true;
}

void
MemoryContextDeleteChildren(MemoryContext context)
{
	while (context->firstchild != NULL)
		MemoryContextDelete(context->firstchild);
}

void
MemoryContextResetOnly(MemoryContext context)
{
	shim_context_free_chunks(context);
}

/* As in PostgreSQL: free the chunks and delete the child contexts. */
void
MemoryContextReset(MemoryContext context)
{
	MemoryContextDeleteChildren(context);
	shim_context_free_chunks(context);
}

void
MemoryContextDelete(MemoryContext context)
{
	if (context == TopMemoryContext)
		abort();
	if (context == CurrentMemoryContext)
		abort();				/* PostgreSQL asserts this too */
	MemoryContextDeleteChildren(context);
	shim_context_free_chunks(context);
	if (context->prevchild != NULL)
		context->prevchild->nextchild = context->nextchild;
	else if (context->parent != NULL)
		context->parent->firstchild = context->nextchild;
	if (context->nextchild != NULL)
		context->nextchild->prevchild = context->prevchild;
	live_contexts--;
	free(context);
}

void
MemoryContextSetIdentifier(MemoryContext context, const char *id)
{
	context->ident = id;
}

/* Allocate "size" bytes in "context"; "huge" allows more than 1 GB. */
static void *
shim_alloc(MemoryContext context, Size size, bool huge, bool zero)
{
	ShimContext *c = (ShimContext *) context;
	ShimChunk  *ch;

	if (huge ? !AllocHugeSizeIsValid(size) : !AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	ch = malloc(sizeof(ShimChunk) + size);
	if (ch == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed on request of size %zu.", size)));
	ch->size = size;
	ch->context = context;
	ch->next = c->chunks.next;
	ch->prev = &c->chunks;
	c->chunks.next->prev = ch;
	c->chunks.next = ch;
	context->isReset = false;
	live_chunks++;
	if (context == TopMemoryContext)
		top_chunks++;
	if (zero)
		memset(ch + 1, 0, size);
	return ch + 1;
}

/* The header of a chunk handed out by shim_alloc. */
static ShimChunk *
shim_chunk(void *pointer)
{
	ShimChunk  *ch = ((ShimChunk *) pointer) - 1;

	if (ch->context != GetMemoryChunkContext(pointer))
		abort();
	return ch;
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return shim_alloc(context, size, false, false);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return shim_alloc(context, size, false, true);
}

void *
MemoryContextAllocZeroAligned(MemoryContext context, Size size)
{
	return shim_alloc(context, size, false, true);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return shim_alloc(context, size, true, false);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return shim_alloc(context, size, (flags & MCXT_ALLOC_HUGE) != 0,
					  (flags & MCXT_ALLOC_ZERO) != 0);
}

void *
palloc(Size size)
{
	return shim_alloc(CurrentMemoryContext, size, false, false);
}

void *
palloc0(Size size)
{
	return shim_alloc(CurrentMemoryContext, size, false, true);
}

void *
palloc_extended(Size size, int flags)
{
	return MemoryContextAllocExtended(CurrentMemoryContext, size, flags);
}

void
pfree(void *pointer)
{
	ShimChunk  *ch = shim_chunk(pointer);

	ch->prev->next = ch->next;
	ch->next->prev = ch->prev;
	live_chunks--;
	if (ch->context == TopMemoryContext)
		top_chunks--;
	free(ch);
}

/* Move a chunk to a new allocation of "size" bytes, as aset.c may. */
static void *
shim_realloc(void *pointer, Size size, bool huge)
{
	ShimChunk  *ch = shim_chunk(pointer);
	void	   *copy = shim_alloc(ch->context, size, huge, false);

	memcpy(copy, pointer, Min(size, ch->size));
	pfree(pointer);
	return copy;
}

void *
repalloc(void *pointer, Size size)
{
	return shim_realloc(pointer, size, false);
}

void *
repalloc_huge(void *pointer, Size size)
{
	return shim_realloc(pointer, size, true);
}

char *
MemoryContextStrdup(MemoryContext context, const char *string)
{
	Size		len = strlen(string) + 1;
	char	   *p = MemoryContextAlloc(context, len);

	memcpy(p, string, len);
	return p;
}

char *
pstrdup(const char *in)
{
	return MemoryContextStrdup(CurrentMemoryContext, in);
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *p;

	len = strnlen(in, len);
	p = palloc(len + 1);
	memcpy(p, in, len);
	p[len] = '\0';
	return p;
}

/* Chunks outside TopMemoryContext, and contexts but the two permanent ones. */
long
shim_live_chunks(void)
{
	return live_chunks - top_chunks + live_contexts - 2;
}

/* ---------- ereport and elog ---------- */

ErrorContextCallback *error_context_stack = NULL;
sigjmp_buf *PG_exception_stack = NULL;

/*
 * Reports being built.  As in elog.c, an error may start while another is
 * reported (in a context callback, say): it takes the next frame, and once
 * errors recurse more than once the context callbacks are abandoned.
 */
typedef struct ShimReport
{
	int			elevel;
	int			sqlerrcode;
	char		message[256];
	int			cursorpos;
	int			internalpos;
} ShimReport;

#define SHIM_STACK_SIZE 5		/* elog.c's ERRORDATA_STACK_SIZE */

static ShimReport reports[SHIM_STACK_SIZE];
static int	depth = -1;			/* the topmost frame, -1 for none */
static int	recursion_depth = 0;
static ShimReport *cur = NULL;	/* reports[depth] */

bool
errstart(int elevel, const char *domain)
{
	if (recursion_depth++ > 0 && elevel >= ERROR && recursion_depth > 2)
		error_context_stack = NULL;
	if (++depth >= SHIM_STACK_SIZE)
	{
		fprintf(stderr, "fuzz shim: ERRORDATA_STACK_SIZE exceeded\n");
		abort();
	}
	cur = &reports[depth];
	memset(cur, 0, sizeof(*cur));
	cur->elevel = elevel;
	cur->sqlerrcode = elevel >= ERROR ? ERRCODE_INTERNAL_ERROR :
		elevel >= WARNING ? ERRCODE_WARNING : ERRCODE_SUCCESSFUL_COMPLETION;
	recursion_depth--;
	/* every report is formatted, so that the sanitizers see it built */
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	ErrorContextCallback *econtext;

	recursion_depth++;
	/* the context callbacks run as in the server */
	for (econtext = error_context_stack; econtext != NULL;
		 econtext = econtext->previous)
		econtext->callback(econtext->arg);
	if (cur->elevel >= ERROR)
	{
		shim_last_error.elevel = cur->elevel;
		shim_last_error.sqlerrcode = cur->sqlerrcode;
		memcpy(shim_last_error.message, cur->message, sizeof(cur->message));
		shim_last_error.filename = filename;
		shim_last_error.lineno = lineno;
		shim_last_error.cursorpos = cur->cursorpos;
		shim_last_error.internalpos = cur->internalpos;
		if (cur->elevel >= FATAL)
		{
			fprintf(stderr, "fuzz shim: FATAL or PANIC at %s:%d: %s\n",
					filename, lineno, cur->message);
			abort();
		}
		recursion_depth--;
		pg_re_throw();
	}
	/* a WARNING or less: dropped */
	cur = --depth >= 0 ? &reports[depth] : NULL;
	recursion_depth--;
}

void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
	{
		fprintf(stderr, "fuzz shim: ERROR outside PG_TRY at %s:%d: %s\n",
				shim_last_error.filename, shim_last_error.lineno,
				shim_last_error.message);
		abort();
	}
	siglongjmp(*PG_exception_stack, 1);
}

/* As FlushErrorState: the caught error is done with. */
void
shim_flush_error(void)
{
	depth = -1;
	cur = NULL;
	recursion_depth = 0;
}

int
errcode(int sqlerrcode)
{
	cur->sqlerrcode = sqlerrcode;
	return 0;
}

/*
 * The parts of a report.  All are formatted, so that the sanitizers see
 * their arguments used; the primary message is kept for the harness, the
 * detail, hint and context are dropped.
 */
#define SHIM_MESSAGE_PART(name, buf) \
int \
name(const char *fmt,...) \
{ \
	char		scratch[sizeof(cur->message)]; \
	va_list		ap; \
\
	va_start(ap, fmt); \
	vsnprintf((buf), sizeof(scratch), fmt, ap); \
	va_end(ap); \
	(void) scratch; \
	return 0; \
}

SHIM_MESSAGE_PART(errmsg, cur->message)
SHIM_MESSAGE_PART(errmsg_internal, cur->message)
SHIM_MESSAGE_PART(errdetail, scratch)
SHIM_MESSAGE_PART(errhint, scratch)
SHIM_MESSAGE_PART(errcontext_msg, scratch)

int
set_errcontext_domain(const char *domain)
{
	return 0;
}

int
errposition(int cursorpos)
{
	cur->cursorpos = cursorpos;
	return 0;
}

int
internalerrposition(int cursorpos)
{
	cur->internalpos = cursorpos;
	return 0;
}

int
geterrcode(void)
{
	return cur->sqlerrcode;
}

int
geterrposition(void)
{
	return cur->cursorpos;
}

int
getinternalerrposition(void)
{
	return cur->internalpos;
}

/* As elog.c's: the five characters of a SQLSTATE. */
char *
unpack_sql_state(int sql_state)
{
	static char buf[12];
	int			i;

	for (i = 0; i < 5; i++)
	{
		buf[i] = PGUNSIXBIT(sql_state);
		sql_state >>= 6;
	}
	buf[i] = '\0';
	return buf;
}

void
write_stderr(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* ---------- the rest ---------- */

static char *stack_base = NULL;

/* As postgres.c's, with max_stack_depth's default of 2 MB. */
void
check_stack_depth(void)
{
	char		here;
	long		depth = stack_base - &here;

	if (depth < 0)
		depth = -depth;
	if (depth > 2L * 1024 * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("stack depth limit exceeded")));
}

/* As namespace.c's: the names of a qualified name joined with dots. */
char *
NameListToString(List *names)
{
	StringInfoData string;
	ListCell   *l;

	initStringInfo(&string);
	foreach(l, names)
	{
		Node	   *name = (Node *) lfirst(l);

		if (l != list_head(names))
			appendStringInfoChar(&string, '.');
		if (IsA(name, String))
			appendStringInfoString(&string, strVal(name));
		else if (IsA(name, A_Star))
			appendStringInfoChar(&string, '*');
		else
			elog(ERROR, "unexpected node type in name list: %d",
				 (int) nodeTag(name));
	}
	return string.data;
}

/* As define.c's: the grammar reads a hash partition's modulus with it. */
int32
defGetInt32(DefElem *def)
{
	if (def->arg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SYNTAX_ERROR),
				 errmsg("%s requires an integer value",
						def->defname)));
	switch (nodeTag(def->arg))
	{
		case T_Integer:
			return (int32) intVal(def->arg);
		default:
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("%s requires an integer value",
							def->defname)));
	}
	return 0;					/* keep compiler quiet */
}

void
shim_init(void)
{
	char		here;

	stack_base = &here;
	TopMemoryContext = shim_context_create(NULL, "TopMemoryContext");
	ErrorContext = shim_context_create(TopMemoryContext, "ErrorContext");
	CurrentMemoryContext = TopMemoryContext;
	/* a UTF-8 database, and a UTF-8 client as psql's usual one */
	SetDatabaseEncoding(PG_UTF8);
	SetClientEncoding(PG_UTF8);
	InitializeClientEncoding();
}

/*
 * Functions the linked objects refer to that the raw parser cannot reach:
 * catalog lookups, fmgr, and node types the grammar never makes.  If one
 * is called after all, the harness has a hole: say which and abort.
 */
#define SHIM_UNREACHABLE(name) \
	do { \
		fprintf(stderr, "fuzz shim: %s called\n", name); \
		abort(); \
	} while (0)

#define UNREACHABLE_FUNC(ret, name, args) \
	ret name args; \
	ret name args { SHIM_UNREACHABLE(#name); }

UNREACHABLE_FUNC(Datum, DirectFunctionCall1Coll, (PGFunction func, Oid collation, Datum arg1))
UNREACHABLE_FUNC(Datum, DirectFunctionCall3Coll, (PGFunction func, Oid collation, Datum arg1, Datum arg2, Datum arg3))
UNREACHABLE_FUNC(Datum, FunctionCall6Coll, (FmgrInfo *flinfo, Oid collation, Datum arg1, Datum arg2, Datum arg3, Datum arg4, Datum arg5, Datum arg6))
UNREACHABLE_FUNC(Datum, OidFunctionCall6Coll, (Oid functionId, Oid collation, Datum arg1, Datum arg2, Datum arg3, Datum arg4, Datum arg5, Datum arg6))
UNREACHABLE_FUNC(Oid, FindDefaultConversionProc, (int32 for_encoding, int32 to_encoding))
UNREACHABLE_FUNC(void, fmgr_info_cxt, (Oid functionId, FmgrInfo *finfo, MemoryContext mcxt))
UNREACHABLE_FUNC(Datum, namein, (FunctionCallInfo fcinfo))
UNREACHABLE_FUNC(struct varlena *, pg_detoast_datum, (struct varlena *datum))
UNREACHABLE_FUNC(struct varlena *, pg_detoast_datum_packed, (struct varlena *datum))
UNREACHABLE_FUNC(bool, IsTransactionState, (void))
UNREACHABLE_FUNC(const ExtensibleNodeMethods *, GetExtensibleNodeMethods, (const char *name, bool missing_ok))
UNREACHABLE_FUNC(Bitmapset *, bms_copy, (const Bitmapset *a))
UNREACHABLE_FUNC(bool, bms_equal, (const Bitmapset *a, const Bitmapset *b))
UNREACHABLE_FUNC(Datum, datumCopy, (Datum value, bool typByVal, int typLen))
UNREACHABLE_FUNC(bool, datumIsEqual, (Datum value1, Datum value2, bool typByVal, int typLen))
UNREACHABLE_FUNC(bool, type_is_rowtype, (Oid typid))
UNREACHABLE_FUNC(Oid, get_rel_type_id, (Oid relid))
UNREACHABLE_FUNC(char *, get_rel_name, (Oid relid))
UNREACHABLE_FUNC(void, get_typlenbyval, (Oid typid, int16 *typlen, bool *typbyval))
UNREACHABLE_FUNC(Oid, get_opcode, (Oid opno))
UNREACHABLE_FUNC(Oid, get_promoted_array_type, (Oid typid))
UNREACHABLE_FUNC(void, getTypeInputInfo, (Oid type, Oid *typInput, Oid *typIOParam))
UNREACHABLE_FUNC(void, getTypeOutputInfo, (Oid type, Oid *typOutput, bool *typIsVarlena))
UNREACHABLE_FUNC(char *, format_type_be, (Oid type_oid))
UNREACHABLE_FUNC(Oid, get_typcollation, (Oid typid))
UNREACHABLE_FUNC(bool, type_is_collatable, (Oid typid))
UNREACHABLE_FUNC(Oid, get_base_element_type, (Oid typid))
UNREACHABLE_FUNC(Oid, get_element_type, (Oid typid))
