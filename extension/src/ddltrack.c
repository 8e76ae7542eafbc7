/*-------------------------------------------------------------------------
 *
 * ddltrack.c
 *	  What DDL touched: the event triggers that keep drift tracking's map
 *	  current, and the check that nothing a run did went unseen.
 *
 * The DDL event triggers (pgmig.ddl_seen() on ddl_command_end and
 * sql_drop) tell pgmig's own DDL from anyone else's.  pgmig's own is what
 * runs in a catalog section (the scripts of mig_apply and friends) or in a
 * session that holds the migration lock (the client's no-transaction
 * statements, psql running "pgmig up --sql").  For that, the objects each
 * command touched are noted in pgmig.snapshot_pending, in the command's
 * transaction; pgmig.update_map() hashes those again at the run's end
 * (snapshot.c).  Anyone else's DDL sets
 * status_cache.schema_changed: drift must be computed, and the next
 * snapshot hashes the whole schema.  With pgmig.track_drift off, any DDL
 * only marks the map out of date (status_cache.map_valid), so that the
 * next snapshot with tracking on hashes everything.
 *
 * What the event triggers cannot show asks for the whole schema to be
 * hashed again (a pending row with classid 0): a command that PostgreSQL
 * does not report to event triggers and that may change what is hashed
 * (ALTER ROLE ... RENAME, REASSIGN OWNED, event triggers, REINDEX, EXPLAIN
 * ANALYZE of CREATE TABLE AS), a reported command after which the trigger
 * did not fire (it was disabled, session_replication_role is replica,
 * single-user mode), and the few commands whose reach is wider than their
 * objects (extensions, ALTER SCHEMA, DROP OWNED).  The utility hook sees
 * every command while the library is loaded, which it is during any run.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/cmdtag.h"
#include "tcop/deparse_utility.h"
#include "tcop/utility.h"
#include "utils/aclchk_internal.h"
#include "utils/builtins.h"

#include "pgmig.h"

/* ddl_command_end firings of pgmig.ddl_seen() in this backend. */
static uint64 ddl_end_fired = 0;

static ProcessUtility_hook_type prev_utility_hook = NULL;

/* Touched objects gathered from one command, before they are written. */
typedef struct Touched
{
	int			n;
	int			max;
	Datum	   *classids;
	Datum	   *objids;
	Datum	   *renamed;
} Touched;

/* Is DDL now pgmig's own: in a catalog section, or under the migration lock? */
static bool
in_run(void)
{
	return mig_in_catalog() || mig_holds_session_lock();
}

/*
 * Run one statement on the status row or the pending rows, with a plan
 * kept for the session: the triggers fire for every DDL command of a run.
 */
static void
exec_catalog(SPIPlanPtr *plan, const char *sql, int nargs, Oid *argtypes,
			 Datum *values)
{
	int			nestlevel = mig_connect_catalog();
	int			ret = SPI_execute_plan(mig_kept_plan(plan, sql, nargs, argtypes, 0),
									   values, NULL, false, 0);

	if (ret != SPI_OK_UPDATE && ret != SPI_OK_INSERT)
		elog(ERROR, "pgmig drift bookkeeping failed: %s", SPI_result_code_string(ret));
	mig_finish_catalog(nestlevel);
}

/* Note one touched object. */
static void
touch(Touched *t, Oid classid, Oid objid, bool renamed)
{
	if (!OidIsValid(classid) || !OidIsValid(objid))
		return;
	if (t->n == t->max)
	{
		t->max = t->max == 0 ? 16 : t->max * 2;
		t->classids = t->classids == NULL ? palloc(t->max * sizeof(Datum)) :
			repalloc(t->classids, t->max * sizeof(Datum));
		t->objids = t->objids == NULL ? palloc(t->max * sizeof(Datum)) :
			repalloc(t->objids, t->max * sizeof(Datum));
		t->renamed = t->renamed == NULL ? palloc(t->max * sizeof(Datum)) :
			repalloc(t->renamed, t->max * sizeof(Datum));
	}
	t->classids[t->n] = ObjectIdGetDatum(classid);
	t->objids[t->n] = ObjectIdGetDatum(objid);
	t->renamed[t->n] = BoolGetDatum(renamed);
	t->n++;
}

/* The catalog whose rows a GRANT on objects of this type changes, if hashed. */
static Oid
grant_catalog(ObjectType objtype)
{
	switch (objtype)
	{
		case OBJECT_TABLE:
		case OBJECT_SEQUENCE:
			return RelationRelationId;
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			return ProcedureRelationId;
		case OBJECT_SCHEMA:
			return NamespaceRelationId;
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			return TypeRelationId;
		default:
			return InvalidOid;	/* databases, languages, ...: not hashed */
	}
}

/*
 * Does the statement change how other objects' definitions read (they
 * name the object), beyond the objects it belongs to?
 */
static bool
renames(Node *parsetree)
{
	if (parsetree == NULL)
		return false;
	switch (nodeTag(parsetree))
	{
		case T_RenameStmt:
		case T_AlterObjectSchemaStmt:
		case T_AlterOwnerStmt:
			return true;
		case T_AlterEnumStmt:
			return ((AlterEnumStmt *) parsetree)->oldVal != NULL;
		default:
			return false;
	}
}

/*
 * ATTACH and DETACH PARTITION change the partition, which the command's
 * address does not name; a detached one no longer depends on the table.
 */
static void
touch_partition(Touched *t, Node *subcmd)
{
	AlterTableCmd *cmd = (AlterTableCmd *) subcmd;

	if (subcmd == NULL || !IsA(subcmd, AlterTableCmd))
		return;
	if (cmd->subtype == AT_AttachPartition || cmd->subtype == AT_DetachPartition
#if PG_VERSION_NUM >= 140000
		|| cmd->subtype == AT_DetachPartitionFinalize
#endif
		)
	{
		PartitionCmd *part = (PartitionCmd *) cmd->def;

		touch(t, RelationRelationId, RangeVarGetRelid(part->name, NoLock, true), false);
	}
}

/* Note what one reported command touched; false if it needs the whole schema. */
static bool
touch_command(Touched *t, CollectedCommand *cmd, const char *tag)
{
	ListCell   *lc;

	if (strcmp(tag, "CREATE EXTENSION") == 0 || strcmp(tag, "ALTER EXTENSION") == 0 ||
		strcmp(tag, "ALTER SCHEMA") == 0 || strcmp(tag, "DROP OWNED") == 0)
		return false;
	switch (cmd->type)
	{
		case SCT_Simple:
			touch(t, cmd->d.simple.address.classId,
				  cmd->d.simple.address.objectId, renames(cmd->parsetree));
			break;
		case SCT_AlterTable:
			touch(t, cmd->d.alterTable.classId, cmd->d.alterTable.objectId, false);
			foreach(lc, cmd->d.alterTable.subcmds)
			{
				CollectedATSubcmd *sub = (CollectedATSubcmd *) lfirst(lc);

				touch(t, sub->address.classId, sub->address.objectId, false);
				touch_partition(t, sub->parsetree);
			}
			break;
		case SCT_Grant:
			{
				Oid			classid = grant_catalog(cmd->d.grant.istmt->objtype);

				if (OidIsValid(classid))
					foreach(lc, cmd->d.grant.istmt->objects)
						touch(t, classid, lfirst_oid(lc), false);
			}
			break;
		default:
			/* operator classes and families, text search, default privileges */
			break;
	}
	return true;
}

/* Write the touched objects of a ddl_command_end to the pending rows. */
static void
note_commands(void)
{
	static SPIPlanPtr commands_plan = NULL;
	static SPIPlanPtr insert_plan = NULL;
	Touched		t = {0};
	bool		full = false;
	int			nestlevel = mig_connect_catalog();
	uint64		i;

	if (SPI_execute_plan(mig_kept_plan(&commands_plan,
									   "SELECT command_tag, command"
									   " FROM pg_catalog.pg_event_trigger_ddl_commands()"
									   " WHERE NOT in_extension"
									   "   AND schema_name IS DISTINCT FROM 'pg_temp'",
									   0, NULL, 0),
						 NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "pg_event_trigger_ddl_commands() failed");
	for (i = 0; i < SPI_processed && !full; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		bool		isnull;
		char	   *tag = SPI_getvalue(tup, SPI_tuptable->tupdesc, 1);
		Datum		cmd = SPI_getbinval(tup, SPI_tuptable->tupdesc, 2, &isnull);

		if (!isnull && !touch_command(&t, (CollectedCommand *) DatumGetPointer(cmd), tag))
			full = true;
	}
	SPI_freetuptable(SPI_tuptable);
	if (full)
		mig_note_pending(InvalidOid, InvalidOid);
	else if (t.n > 0)
	{
		Oid			argtypes[3] = {OIDARRAYOID, OIDARRAYOID, BOOLARRAYOID};
		Datum		args[3];

		args[0] = mig_array(t.classids, NULL, t.n, OIDOID);
		args[1] = mig_array(t.objids, NULL, t.n, OIDOID);
		args[2] = mig_array(t.renamed, NULL, t.n, BOOLOID);
		exec_catalog(&insert_plan, "INSERT INTO pgmig.snapshot_pending"
					 " SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2),"
					 " pg_catalog.unnest($3))",
					 3, argtypes, args);
	}
	mig_finish_catalog(nestlevel);
}

/*
 * Write the dropped objects of a sql_drop to the pending rows, with the
 * table or domain that a dropped column, constraint, trigger, policy, rule
 * or default was part of (named by its address, as its row is gone).
 */
static void
note_drops(void)
{
	static SPIPlanPtr plan = NULL;

	exec_catalog(&plan, "INSERT INTO pgmig.snapshot_pending"
				 " SELECT o.classid, o.objid, false"
				 " FROM pg_catalog.pg_event_trigger_dropped_objects() o"
				 " WHERE NOT o.is_temporary"
				 " UNION"
				 " SELECT v.c, v.o, false"
				 " FROM pg_catalog.pg_event_trigger_dropped_objects() d,"
				 "  LATERAL (SELECT pg_catalog.format('%I.%I', d.address_names[1],"
				 "                                    d.address_names[2])) n(name),"
				 "  LATERAL (VALUES ('pg_catalog.pg_class'::pg_catalog.regclass::pg_catalog.oid,"
				 "                   pg_catalog.to_regclass(n.name)::pg_catalog.oid),"
				 "                  ('pg_catalog.pg_type'::pg_catalog.regclass::pg_catalog.oid,"
				 "                   pg_catalog.to_regtype(n.name)::pg_catalog.oid)) v(c, o)"
				 " WHERE NOT d.is_temporary"
				 "   AND pg_catalog.cardinality(d.address_names) >= 3 AND v.o IS NOT NULL",
				 0, NULL, NULL);
}

PG_FUNCTION_INFO_V1(pgmig_ddl_seen);

/*
 * Event trigger on ddl_command_end and sql_drop: DDL ran.  Note what it
 * touched if it is pgmig's own, else that drift must be computed (see the
 * header).  An extension's script changes only its members, left out of
 * drift.
 */
Datum
pgmig_ddl_seen(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	bool		drop;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		elog(ERROR, "pgmig_ddl_seen: not called by event trigger manager");
	trigdata = (EventTriggerData *) fcinfo->context;
	drop = strcmp(trigdata->event, "sql_drop") == 0;
	if (!drop)
		ddl_end_fired++;
	if (creating_extension)
		PG_RETURN_NULL();

	if (!mig_map_kept())
	{
		/* a catalog before 0.3.0: only note DDL outside pgmig */
		if (pgmig_track_drift && !mig_in_catalog())
			mig_note_schema_changed(drop);
	}
	else if (!pgmig_track_drift)
	{
		static SPIPlanPtr plan = NULL;

		exec_catalog(&plan, "UPDATE pgmig.status_cache SET map_valid = false WHERE map_valid",
					 0, NULL, NULL);
	}
	else if (!in_run())
		mig_note_schema_changed(drop);
	else if (drop)
		note_drops();
	else
		note_commands();
	PG_RETURN_NULL();
}

/*
 * Commands that PostgreSQL does not report to event triggers and that
 * change nothing pgmig hashes.
 */
static bool
harmless(CommandTag tag, Node *parsetree)
{
	switch (tag)
	{
		case CMDTAG_ALTER_ROLE:
			return !IsA(parsetree, RenameStmt);
		case CMDTAG_ANALYZE:
		case CMDTAG_BEGIN:
		case CMDTAG_CALL:
		case CMDTAG_CHECKPOINT:
		case CMDTAG_CLOSE_CURSOR:
		case CMDTAG_CLOSE_CURSOR_ALL:
		case CMDTAG_CLUSTER:
		case CMDTAG_COMMIT:
		case CMDTAG_COMMIT_PREPARED:
		case CMDTAG_COPY:
		case CMDTAG_CREATE_ROLE:
		case CMDTAG_DEALLOCATE:
		case CMDTAG_DEALLOCATE_ALL:
		case CMDTAG_DECLARE_CURSOR:
		case CMDTAG_DISCARD:
		case CMDTAG_DISCARD_ALL:
		case CMDTAG_DISCARD_PLANS:
		case CMDTAG_DISCARD_SEQUENCES:
		case CMDTAG_DISCARD_TEMP:
		case CMDTAG_DO:
		case CMDTAG_DROP_ROLE:
		case CMDTAG_EXECUTE:
		case CMDTAG_FETCH:
		case CMDTAG_GRANT_ROLE:
		case CMDTAG_LISTEN:
		case CMDTAG_LOAD:
		case CMDTAG_LOCK_TABLE:
		case CMDTAG_MOVE:
		case CMDTAG_NOTIFY:
		case CMDTAG_PREPARE:
		case CMDTAG_PREPARE_TRANSACTION:
		case CMDTAG_RELEASE:
		case CMDTAG_RESET:
		case CMDTAG_REVOKE_ROLE:
		case CMDTAG_ROLLBACK:
		case CMDTAG_ROLLBACK_PREPARED:
		case CMDTAG_SAVEPOINT:
		case CMDTAG_SET:
		case CMDTAG_SET_CONSTRAINTS:
		case CMDTAG_SHOW:
		case CMDTAG_START_TRANSACTION:
		case CMDTAG_TRUNCATE_TABLE:
		case CMDTAG_UNLISTEN:
		case CMDTAG_VACUUM:
			return true;
		default:
			return false;
	}
}

/*
 * The utility hook: while a run is in progress, a command that the event
 * triggers did not report, and that may have changed what is hashed, asks
 * for the whole schema to be hashed again (also with drift tracking off:
 * the request waits for it to be on).  Outside runs the hook does nothing:
 * the session that renames a role need not have loaded pgmig, and
 * mig_drift() compares the whole schema anyway.
 */
static void
track_utility(PlannedStmt *pstmt, const char *queryString,
#if PG_VERSION_NUM >= 140000
			  bool readOnlyTree,
#endif
			  ProcessUtilityContext context, ParamListInfo params,
			  QueryEnvironment *queryEnv, DestReceiver *dest,
			  QueryCompletion *qc)
{
	bool		watch = context != PROCESS_UTILITY_SUBCOMMAND && !creating_extension &&
		in_run();
	uint64		fired = ddl_end_fired;
	Node	   *parsetree = pstmt->utilityStmt;
	/* read before the command runs, which may scribble on its tree */
	CommandTag	tag = watch ? CreateCommandTag(parsetree) : CMDTAG_UNKNOWN;

	if (prev_utility_hook)
		prev_utility_hook(pstmt, queryString,
#if PG_VERSION_NUM >= 140000
						  readOnlyTree,
#endif
						  context, params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString,
#if PG_VERSION_NUM >= 140000
								readOnlyTree,
#endif
								context, params, queryEnv, dest, qc);

	if (watch && IsTransactionState())
	{
		bool		seen = command_tag_event_trigger_ok(tag) ?
			ddl_end_fired != fired : harmless(tag, parsetree);

		if (!seen && mig_map_kept())
			mig_note_pending(InvalidOid, InvalidOid);
	}
}

/* Install the utility hook; called once from _PG_init(). */
void
mig_ddltrack_init(void)
{
	prev_utility_hook = ProcessUtility_hook;
	ProcessUtility_hook = track_utility;
}
