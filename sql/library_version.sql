--
-- pgmig.library_version(): the version of the shared library, compiled
-- from the control file's default_version.  The 0.3.0 update creates it;
-- after CREATE EXTENSION it matches the catalog's version (the client
-- checks both against its own).
--
CREATE EXTENSION pgmig VERSION '0.2.0';
SELECT to_regprocedure('pgmig.library_version()') IS NULL AS not_before_0_3_0;
ALTER EXTENSION pgmig UPDATE TO '0.3.0';
-- the library is the one installed, whatever version the catalog is at
SELECT pgmig.library_version() = (SELECT default_version FROM pg_available_extensions
								  WHERE name = 'pgmig') AS installed_library;
DROP EXTENSION pgmig;

CREATE EXTENSION pgmig;
SELECT pgmig.library_version() = extversion AS same_as_catalog,
	   pgmig.library_version() = (SELECT default_version FROM pg_available_extensions
								  WHERE name = 'pgmig') AS same_as_control_file
FROM pg_extension WHERE extname = 'pgmig';
-- anyone may ask; it is a member of the extension
SELECT has_function_privilege('public', 'pgmig.library_version()', 'EXECUTE') AS public_may_call,
	   EXISTS (SELECT FROM pg_depend
			   WHERE objid = 'pgmig.library_version()'::regprocedure AND deptype = 'e') AS member;
DROP EXTENSION pgmig;
