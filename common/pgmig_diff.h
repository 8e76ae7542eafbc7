/*-------------------------------------------------------------------------
 *
 * pgmig_diff.h
 *	  Autogenerate: two descriptions of a database's schema in, the DDL
 *	  that takes one to the other out.
 *
 * A description is what the extension's pgmig.describe() returns for a
 * database: one row per object of its schema (outside pgmig, system
 * schemas and extensions' members), with catalog facts rendered by
 * PostgreSQL's own deparsers.  The caller turns rows into PgmigObject
 * structs (the client from a PGresult, the server from SPI); the differ
 * compares two arrays of them and writes the statements of the up script
 * (from -> to) in an order that PostgreSQL accepts: drops in reverse
 * dependency order, then changes, then creations in dependency order,
 * with dependents (views, indexes, ...) dropped and created again around
 * a change to what they depend on.  The down script is the diff the other
 * way round.
 *
 * THE DESCRIPTION (the contract between pgmig.describe() and the differ)
 *
 * pgmig.describe() RETURNS TABLE (kind text, id text, parent text,
 *	   name text, qname text, deps text[], attrs text[], create_sql text,
 *	   drop_sql text), one row per object, in no particular order:
 *
 *	 kind		one of the PGMIG_KIND_* names below
 *	 id			unique and stable across databases: "<kind> <qname>" for
 *				relations, types, sequences, schemas and extensions;
 *				"<kind> <table qname>.<name>" for columns, constraints,
 *				triggers, policies; "<kind> <qname>(<identity args>)" for
 *				functions and procedures (pg_get_function_identity_arguments).
 *				Names are quoted as quote_ident() quotes them.
 *	 parent		id of the object it belongs to (a column's, constraint's,
 *				index's, trigger's, policy's table or materialized view),
 *				else NULL
 *	 name		the object's own name, quoted (a column's, a constraint's)
 *	 qname		its name as DDL writes it, qualified and quoted
 *				(public.users, public."Order"); for columns, constraints,
 *				triggers and policies the same as name
 *	 deps		ids of objects it cannot exist without (from pg_depend and
 *				the catalogs: a column's type, a view's tables, a
 *				foreign key's referenced table and its unique constraint
 *				or index, a trigger's function, a table's partition
 *				parent; a column a view or policy names is "column
 *				<table qname>.<name>", a whole relation its own id):
 *				creations follow them, drops precede them.  A sequence
 *				does not depend on its owning column (the column's
 *				default depends on the sequence; OWNED BY is a separate
 *				step after both exist).  Every dep is the id of a row,
 *				and they have no cycle: a child depends on its parent; a
 *				dependency on a column is one on its table too; a column
 *				of a view or materialized view (not a row) is its
 *				relation's id; an array type is its element type, a
 *				table's row type the table; an extension's member is
 *				the extension; an inherited index, constraint or trigger
 *				depends on its parent's; objects not described (system
 *				objects, pgmig's, collations, operators, ...) are left
 *				out
 *	 attrs		key, value, key, value, ...: the facts compared (below);
 *				a key absent means the fact does not apply or is default
 *	 create_sql the statement that creates it as it is (without a final
 *				semicolon), or NULL where the differ composes it (tables,
 *				columns)
 *	 drop_sql	the statement that drops it, or NULL where composed
 *
 * Every object may have the attrs "comment" (its comment) and
 * "comment_on" (what COMMENT ON names it: "COLUMN public.t.c",
 * "CONSTRAINT c ON public.t", "FUNCTION public.f(integer)", ...);
 * comment_on is there whether or not there is a comment.  Names in attrs
 * are quoted (collation pg_catalog."C", check."My check", owner), enum
 * labels are not.
 *
 * Kinds and their attrs:
 *
 *	 schema		(none)
 *	 extension	version; schema (quoted)
 *	 enum		label.1, label.2, ... (in sort order)
 *	 domain		type (format_type of the base type), collation (quoted,
 *				qualified, only when not the type's default), default,
 *				not_null ("t"), check.<constraint name> (pg_get_constraintdef)
 *	 composite	attr.1, attr.2, ...: "<name> <type>[ COLLATE <collation>]"
 *	 range		subtype, subtype_opclass, collation, canonical, subtype_diff
 *				(create_sql carries them all)
 *	 sequence	type, start, increment, minvalue, maxvalue, cache, cycle
 *				("t"/"f"), all always there, owned_by (id of the owning
 *				column), persistence ("u" only: an unlogged sequence); not
 *				for an identity column's sequence, which belongs to its
 *				column
 *	 table		relkind ("r", "p"; foreign tables are not described),
 *				persistence ("p", "u"; both keys always there),
 *				partition_by (pg_get_partkeydef), partition_of (parent's id),
 *				partition_bound (pg_get_expr of relpartbound), inherits.1, ...
 *				(ids of parents), options (reloptions as WITH (...) takes
 *				them: "fillfactor=80, autovacuum_enabled=false"), rls ("t"),
 *				rls_forced ("t"), access_method (when not heap)
 *	 column		position (its place among the table's columns, 1, 2, ...,
 *				without the gaps dropped columns leave: the order CREATE
 *				TABLE writes them in; not compared, since ADD COLUMN can
 *				only append), type (format_type),
 *				collation (as for domains), not_null ("t"), default
 *				(pg_get_expr), identity ("a" always, "d" by default),
 *				identity_options ("START WITH 1 INCREMENT BY 1 ..."),
 *				identity_sequence (the qualified name of its sequence,
 *				which a renamed table keeps),
 *				generated (the stored expression), inherited ("t": the
 *				column comes from a parent or the partitioned table, and is
 *				not written in CREATE TABLE; every column of a partition);
 *				columns are rows for tables only
 *	 constraint	type (contype: "p", "u", "f", "c", "x"), def
 *				(pg_get_constraintdef, with NOT VALID when not validated),
 *				deferrable ("t"), deferred ("t"), inherited ("t"; on a
 *				partition, every constraint its table has from the
 *				partitioned one)
 *	 index		def (pg_get_indexdef); inherited ("t": a partition's
 *				index attached to its parent's, created with it); not
 *				for indexes that back a constraint, which belong to it
 *	 view		def (pg_get_viewdef(oid, true)), options (reloptions),
 *				columns (column names and types, "a integer, b text": a
 *				view whose columns change cannot be replaced)
 *	 matview	def, options, columns, as for views
 *	 function	def (pg_get_functiondef), result (pg_get_function_result),
 *				kind ("f", "p", "w": prokind)
 *	 trigger	def (pg_get_triggerdef; constraint triggers too, whose
 *				pg_constraint row is not described as a constraint),
 *				inherited ("t": cloned from the partitioned parent's);
 *				a trigger on a view has the view as its parent
 *	 policy		def (the whole CREATE POLICY statement)
 *
 * create_sql and drop_sql by kind ("q" is the qname; no final semicolon;
 * NULL where the differ composes the statement):
 *
 *	 schema		CREATE SCHEMA q / DROP SCHEMA q
 *	 extension	CREATE EXTENSION IF NOT EXISTS name WITH SCHEMA s
 *				VERSION 'v' / DROP EXTENSION name
 *	 enum		CREATE TYPE q AS ENUM ('a', 'b') / DROP TYPE q
 *	 domain		CREATE DOMAIN q AS type [COLLATE c] [DEFAULT d] [NOT NULL]
 *				[CONSTRAINT n CHECK (...)]... / DROP DOMAIN q; CREATE
 *				DOMAIN takes no NOT VALID, so each check that is not
 *				validated follows as ";\nALTER DOMAIN q ADD CONSTRAINT n
 *				CHECK (...) NOT VALID" (two statements or more)
 *	 composite	CREATE TYPE q AS (a integer, ...) / DROP TYPE q
 *	 range		CREATE TYPE q AS RANGE (SUBTYPE = ..., ...) / DROP TYPE q
 *	 sequence	CREATE SEQUENCE q AS type START WITH s INCREMENT BY i
 *				MINVALUE m MAXVALUE x CACHE c [NO ]CYCLE / DROP SEQUENCE q
 *	 table, column, constraint: NULL / NULL
 *	 index		pg_get_indexdef, without the ONLY of a partitioned
 *				table's index (made for its partitions too) / DROP INDEX q
 *	 view		CREATE VIEW q [WITH (options)] AS def / DROP VIEW q
 *	 matview	CREATE MATERIALIZED VIEW q [WITH (options)] AS def /
 *				DROP MATERIALIZED VIEW q
 *	 function	pg_get_functiondef (CREATE OR REPLACE ...) /
 *				DROP FUNCTION q(args) or DROP PROCEDURE q(args)
 *	 trigger	pg_get_triggerdef / DROP TRIGGER name ON table
 *	 policy		CREATE POLICY name ON table AS PERMISSIVE|RESTRICTIVE
 *				FOR cmd TO roles [USING (...)] [WITH CHECK (...)] /
 *				DROP POLICY name ON table
 *
 * With privileges described, any object may also have "owner" and "acl"
 * (aclitem[] as text), "alter_target" (what ALTER ... OWNER TO names:
 * "TABLE public.t", "VIEW public.v", "PROCEDURE public.p()") and
 * "grant_target" (what GRANT ... ON names: "TABLE public.t" for tables,
 * views and materialized views, "SEQUENCE public.s", "FUNCTION
 * public.f(integer)", "TYPE public.e", "DOMAIN public.d", "SCHEMA s").
 * A column's acl holds its column privileges, granted on its table's
 * grant_target with the column named: GRANT SELECT (c) ON TABLE public.t.
 *
 * Two objects with the same id are the same object; they are equal when
 * their attrs (but "position") and create_sql are equal.  deps are not
 * compared.  pgmig_schema_equal() compares two descriptions so, as the
 * proof of a generated revision does.
 *
 * THE DIFFER
 *
 * Renames are not inferred: a drop and an add are written, and where a
 * dropped and an added table or column have the same definition the
 * result offers a commented-out RENAME beside them.  Every change that
 * can lose data (dropping a table, a column or an enum value, narrowing a
 * column's type) is listed as a warning and marked with a comment in the
 * script.
 *
 *-------------------------------------------------------------------------
 */
#ifndef PGMIG_DIFF_H
#define PGMIG_DIFF_H

#include "pgmig_message.h"

/* The kinds of object a description holds. */
#define PGMIG_KIND_SCHEMA		"schema"
#define PGMIG_KIND_EXTENSION	"extension"
#define PGMIG_KIND_ENUM			"enum"
#define PGMIG_KIND_DOMAIN		"domain"
#define PGMIG_KIND_COMPOSITE	"composite"
#define PGMIG_KIND_RANGE		"range"
#define PGMIG_KIND_SEQUENCE		"sequence"
#define PGMIG_KIND_TABLE		"table"
#define PGMIG_KIND_COLUMN		"column"
#define PGMIG_KIND_CONSTRAINT	"constraint"
#define PGMIG_KIND_INDEX		"index"
#define PGMIG_KIND_VIEW			"view"
#define PGMIG_KIND_MATVIEW		"matview"
#define PGMIG_KIND_FUNCTION		"function"
#define PGMIG_KIND_TRIGGER		"trigger"
#define PGMIG_KIND_POLICY		"policy"

/* One object of a description (a row of pgmig.describe()). */
typedef struct PgmigObject
{
	char	   *kind;
	char	   *id;
	char	   *parent;			/* NULL if none */
	char	   *name;
	char	   *qname;
	int			ndeps;
	char	  **deps;
	int			nattrs;			/* pairs */
	char	  **attr_keys;
	char	  **attr_values;
	char	   *create_sql;		/* NULL: composed by the differ */
	char	   *drop_sql;		/* NULL: composed by the differ */
} PgmigObject;

/* A description: the objects of one database's schema. */
typedef struct PgmigSchema
{
	int			n;
	PgmigObject *objects;
} PgmigSchema;

/* How to write the scripts. */
typedef struct PgmigDiffOptions
{
	bool		concurrently;	/* indexes on existing tables built
								 * CONCURRENTLY (in the separate list
								 * "online"), new foreign keys and checks
								 * on existing tables NOT VALID, then
								 * validated */
	bool		privileges;		/* compare owners and grants too */
} PgmigDiffOptions;

/* A statement of a script, with what it changes and whether it can lose data. */
typedef struct PgmigStep
{
	char	   *sql;			/* without a final semicolon */
	char	   *summary;		/* one line, e.g. "added column
								 * public.users.phone"; NULL for a
								 * statement that continues the change of
								 * the step before it */
	bool		destructive;	/* can lose data: warned and commented */
	bool		online;			/* must run outside a transaction block */
	char	   *revert_sql;		/* online steps only: the statement that
								 * undoes it (DROP INDEX CONCURRENTLY ...) */
} PgmigStep;

/* The result of a diff. */
typedef struct PgmigDiff
{
	int			nsteps;
	PgmigStep  *steps;			/* in the order they run */
	int			nrenames;
	char	  **renames;		/* "ALTER TABLE ... RENAME ..." to offer,
								 * commented out */
} PgmigDiff;

/*
 * The statements that take a database described by "from" to what "to"
 * describes.  False (err filled in) when a change cannot be expressed, with
 * the object named.
 */
extern bool pgmig_diff(const PgmigSchema *from, const PgmigSchema *to,
					   const PgmigDiffOptions *options, PgmigDiff *diff,
					   PgmigError *err);

/*
 * Compare two descriptions (see above); returns how many objects differ,
 * and lists up to "max" of them in *diffs ("added table public.t",
 * "changed column public.t.c", ...; palloc'd) if diffs is not NULL.
 */
extern int	pgmig_schema_equal(const PgmigSchema *a, const PgmigSchema *b,
							   char ***diffs, int max);

/* The value of attribute "key" of an object, or NULL. */
extern const char *pgmig_object_attr(const PgmigObject *obj, const char *key);

/* Free what a diff holds. */
extern void pgmig_diff_free(PgmigDiff *diff);

#endif							/* PGMIG_DIFF_H */
