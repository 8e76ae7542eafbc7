/*-------------------------------------------------------------------------
 *
 * guard.c
 *	  The drop guard: the migration history is not erased without an
 *	  administrator's word.
 *
 * DROP EXTENSION pgmig deletes the catalog: every applied revision and the
 * append-only audit log.  The event trigger pgmig_drop_guard refuses it,
 * and DROP SCHEMA ... CASCADE or DROP OWNED BY that would drop pgmig with
 * them, while the catalog holds history, unless the session confirms with
 * pgmig.allow_drop.  It fires at ddl_command_start for these three command
 * tags only: a sql_drop trigger does not fire for the command that drops
 * it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "commands/dbcommands.h"
#include "commands/event_trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "pgmig.h"

/* How a command would drop extension pgmig. */
typedef enum DropsPgmig
{
	DROPS_NOTHING,
	DROPS_EXTENSION,			/* DROP EXTENSION pgmig */
	DROPS_SCHEMA,				/* DROP SCHEMA <its schema> CASCADE */
	DROPS_OWNED					/* DROP OWNED BY <its owner>, or <its
								 * schema's owner> CASCADE */
} DropsPgmig;

/*
 * pgmig's schema (where its functions are) and owner; false if pgmig is
 * not installed.
 */
static bool
pgmig_extension(Oid *schema, Oid *owner)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("pgmig"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	found = HeapTupleIsValid(tup);
	if (found)
	{
		*schema = ((Form_pg_extension) GETSTRUCT(tup))->extnamespace;
		*owner = ((Form_pg_extension) GETSTRUCT(tup))->extowner;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return found;
}

/* The owner of schema "nspid", or InvalidOid. */
static Oid
schema_owner(Oid nspid)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nspid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	owner = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	ReleaseSysCache(tup);
	return owner;
}

/* Does a DROP's list of names (String nodes) hold "name"? */
static bool
names_include(List *names, const char *name)
{
	ListCell   *lc;

	foreach(lc, names)
		if (strcmp(strVal(lfirst(lc)), name) == 0)
			return true;
	return false;
}

/*
 * Would this DROP EXTENSION, DROP SCHEMA or DROP OWNED drop pgmig?  *name
 * is set to the schema or role that takes it along, *owner to pgmig's
 * owner.  A member of pgmig cannot be dropped by itself, and DROP SCHEMA
 * without CASCADE stops at the objects in the schema; the owner of
 * pgmig's schema takes it along only with CASCADE.  A command that the
 * current role may not run at all is left to PostgreSQL to refuse.
 */
static DropsPgmig
drops_pgmig(Node *parsetree, const char **name, Oid *owner)
{
	Oid			schema;
	Oid			user = GetUserId();
	ListCell   *lc;

	if (!pgmig_extension(&schema, owner))
		return DROPS_NOTHING;
	if (IsA(parsetree, DropStmt))
	{
		DropStmt   *stmt = (DropStmt *) parsetree;

		if (stmt->removeType == OBJECT_EXTENSION &&
			names_include(stmt->objects, "pgmig") &&
			has_privs_of_role(user, *owner))
			return DROPS_EXTENSION;
		if (stmt->removeType == OBJECT_SCHEMA &&
			stmt->behavior == DROP_CASCADE)
		{
			*name = get_namespace_name(schema);
			if (*name != NULL && names_include(stmt->objects, *name) &&
				has_privs_of_role(user, schema_owner(schema)))
				return DROPS_SCHEMA;
		}
	}
	else if (IsA(parsetree, DropOwnedStmt))
	{
		DropOwnedStmt *stmt = (DropOwnedStmt *) parsetree;

		foreach(lc, stmt->roles)
		{
			RoleSpec   *spec = lfirst_node(RoleSpec, lc);
			Oid			role;

			if (spec->roletype == ROLESPEC_PUBLIC)
				continue;
			role = get_rolespec_oid(spec, true);
			if (!OidIsValid(role) || !has_privs_of_role(user, role))
				continue;
			if (role == *owner ||
				(stmt->behavior == DROP_CASCADE && role == schema_owner(schema)))
			{
				*name = GetUserNameFromId(role, false);
				return DROPS_OWNED;
			}
		}
	}
	return DROPS_NOTHING;
}

/*
 * Does the catalog hold history: applied revisions, or audit events?  Read
 * as pgmig's owner, whatever the current role may read.
 */
static bool
holds_history(Oid owner)
{
	Oid			save_userid;
	int			save_sec_context;
	int			nestlevel;
	bool		isnull;
	bool		result;

	GetUserIdAndSecContext(&save_userid, &save_sec_context);
	SetUserIdAndSecContext(owner, save_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	nestlevel = mig_connect_catalog();
	if (SPI_execute("SELECT EXISTS (SELECT FROM pgmig.schema_migrations)"
					" OR EXISTS (SELECT FROM pgmig.events)",
					true, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "history query failed");
	result = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	mig_finish_catalog(nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec_context);
	return result && !isnull;
}

/* "word" as one word of a POSIX shell command line. */
static char *
shell_word(const char *word)
{
	StringInfoData buf;
	const char *p;

	if (word[0] != '\0' &&
		strspn(word, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789_.-") == strlen(word))
		return pstrdup(word);
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '\'');
	for (p = word; *p != '\0'; p++)
	{
		if (*p == '\'')
			appendStringInfoString(&buf, "'\\''");
		else
			appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '\'');
	return buf.data;
}

PG_FUNCTION_INFO_V1(pgmig_drop_guard);

/*
 * Event trigger on ddl_command_start for DROP EXTENSION, DROP SCHEMA and
 * DROP OWNED: refuse a command that would drop pgmig with its history,
 * unless pgmig.allow_drop confirms it.
 */
Datum
pgmig_drop_guard(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	DropsPgmig	drops;
	const char *name = NULL;
	Oid			owner = InvalidOid;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_drop_guard: not called by event trigger manager");
	if (pgmig_allow_drop)
		PG_RETURN_NULL();
	trigdata = (EventTriggerData *) fcinfo->context;
	drops = drops_pgmig(trigdata->parsetree, &name, &owner);
	if (drops == DROPS_NOTHING || !holds_history(owner))
		PG_RETURN_NULL();
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 drops == DROPS_EXTENSION ?
			 errmsg("cannot drop extension pgmig while it holds migration history") :
			 drops == DROPS_SCHEMA ?
			 errmsg("cannot drop schema \"%s\" because extension pgmig in it holds migration history",
					name) :
			 errmsg("cannot drop objects owned by role \"%s\" because extension pgmig holds migration history",
					name),
			 errdetail("Dropping extension pgmig deletes the applied revisions in pgmig.schema_migrations and the audit log pgmig.events."),
			 errhint("Save the history first with \"pg_dump --data-only --table='pgmig.*' --file=pgmig-history.sql %s\", then confirm with SET pgmig.allow_drop = on.",
					 shell_word(get_database_name(MyDatabaseId)))));
	PG_RETURN_NULL();
}
