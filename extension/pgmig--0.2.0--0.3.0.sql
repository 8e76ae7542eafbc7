/* extension/pgmig--0.2.0--0.3.0.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION pgmig UPDATE TO '0.3.0'" to load this file. \quit

/*
 * 0.3.0: reliability.  No-transaction revisions that survive crashes and
 * concurrency, settings and history that only pgmig's administrators can
 * switch off or erase.
 */
