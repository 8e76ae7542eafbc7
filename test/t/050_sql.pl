
# --sql: "pgmig up/down --sql" prints, without connecting, a script that
# "psql -v ON_ERROR_STOP=1 -f" runs to the same effect as the command.
use strict;
use warnings;

use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('sqlout');
$node->safe_psql('postgres', 'CREATE EXTENSION pgmig');
my $dir = new_project('sqlout');
my %offline = (env => { PGHOST => '/nonexistent', PGPORT => '1' });

# Write the output of "pgmig ARGS --sql" to a file; returns its path.
my $n = 0;
sub sql_script
{
	my ($args, $name) = @_;
	my $out = pgmig_ok(undef, $dir, [ @$args, '--sql' ], undef, "$name: --sql", %offline);
	my $path = "$dir/script" . ++$n . ".sql";
	open my $fh, '>:raw', $path or die;
	print $fh $out;
	close $fh;
	return ($path, $out);
}

# Run a script with psql; returns (exit status, stdout, stderr).
sub run_psql
{
	my ($path, $db) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-h', $node->host, '-p', $node->port, '-d', $db // 'postgres',
		'-v', 'ON_ERROR_STOP=1', '-f', $path ], '<', \'', '>', \$out, '2>', \$err);
	note("psql -f $path: exit $?\n--- stdout\n$out--- stderr\n$err");
	return ($? >> 8, $out, $err);
}

# scripts whose text needs care: quotes, backslashes, dollar quotes, a
# psql meta-command inside a string, "$pgmig$" itself, non-ASCII text
write_migration($dir, '1_tricky.sql', migration(<<'EOS', "DROP FUNCTION tricky();\nDROP TABLE notes;"));
CREATE TABLE notes (id int PRIMARY KEY, body text);
INSERT INTO notes VALUES (1, 'it''s \n not a newline'), (2, E'tab\there'), (3, '\echo not psql'), (4, 'caf' || 'é ☕');
CREATE FUNCTION tricky() RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
	RETURN '$pgmig$ and $$-free' || ' text;';
END
$fn$;
EOS
write_migration($dir, '2_more.sql', migration('ALTER TABLE notes ADD COLUMN tag text;', 'ALTER TABLE notes DROP COLUMN tag;'));

my ($script, $text) = sql_script(['up'], 'up');
like($text, qr/^-- "pgmig up head" as SQL, written by pgmig \S+ from migrations \(2 files\)\.\n-- Run it with: psql -v ON_ERROR_STOP=1 -f FILE\n/,
	'the script says what it is');
like($text, qr/^SELECT revision, action FROM :"pgmig_schema".mig_register\(\n  ARRAY\[\n    '1_tricky.sql',\n    '2_more.sql'\]::pg_catalog.text\[\],$/m,
	'it registers every file in one call');
like($text, qr/^(\$pgmig\w+\$)-- migrate:up\nCREATE TABLE notes.*^\1,$/ms, 'contents are dollar-quoted, with a tag not in the text');
like($text, qr/^SELECT revision, description, duration FROM :"pgmig_schema".mig_apply\('head'\);\nCOMMIT;\n\z/m,
	'then mig_apply in the same transaction');
my ($rc, $out, $err) = run_psql($script);
is($rc, 0, 'psql runs the script');
like($out, qr/^ 1        \| tricky/m, 'psql shows what was applied');
pgmig_ok($node, $dir, ['status'], qr/^\[X\] 1_tricky.sql\n\[X\] 2_more.sql  \(head\)\n/, 'status: both applied by psql');
is(sql_value($node, 'SELECT string_agg(body, \'|\' ORDER BY id) FROM notes'),
	"it's \\n not a newline|tab\there|\\echo not psql|café ☕", 'the texts arrived intact');
is(sql_value($node, 'SELECT tricky()'), '$pgmig$ and $$-free text;', 'the function body arrived intact');
is(sql_value($node, "SELECT count(*) FROM pgmig.revisions WHERE file_checksum IS NULL"), '0', 'registered with checksums');
pgmig_ok($node, $dir, ['up'], qr/^nothing to apply\n\z/, 'the client agrees: nothing registered differs');
($rc) = run_psql($script);
is($rc, 0, 'running the script again is harmless');

# relative targets and down
($script) = sql_script([ 'down', '-1' ], 'down -1');
is((run_psql($script))[0], 0, 'psql runs down -1');
is(sql_value($node, 'SELECT string_agg(id, \',\') FROM pgmig.schema_migrations'), '1', 'down -1 reverted 2');
($script, $text) = sql_script([ 'up', '+1', '--commit-each' ], 'up +1 --commit-each');
like($text, qr/^COMMIT;\nCALL :"pgmig_schema".mig_apply_each\('\+1'\);\n\z/m, '--commit-each calls mig_apply_each');
is((run_psql($script))[0], 0, 'psql runs up +1 --commit-each');
is(sql_value($node, 'SELECT string_agg(id, \',\' ORDER BY id) FROM pgmig.schema_migrations'), '1,2', 'up +1 applied 2');

# a no-transaction revision: the script splits the run with \gexec
write_migration($dir, '3_index.sql',
	migration("CREATE INDEX CONCURRENTLY notes_body ON notes (body);\nCREATE INDEX CONCURRENTLY notes_tag ON notes (tag);",
		"DROP INDEX CONCURRENTLY notes_tag;\nDROP INDEX CONCURRENTLY notes_body;", notx => 1));
write_migration($dir, '4_last.sql', migration('CREATE TABLE last (id int);', 'DROP TABLE last;'));
($script, $text) = sql_script(['up'], 'up with a no-transaction revision');
like($text, qr/^\\gexec$/m, 'the split run uses \gexec');
like($text, qr/^CALL pgmig.lock\(\);\nBEGIN;$/m, 'and takes the session lock first, waiting without a snapshot');
($rc, $out, $err) = run_psql($script);
is($rc, 0, 'psql runs the split script');
is(sql_value($node, "SELECT string_agg(indexrelid::regclass || ':' || indisvalid, ',' ORDER BY 1) FROM pg_index WHERE indrelid = 'notes'::regclass AND NOT indisprimary"),
	'notes_body:true,notes_tag:true', 'the indexes were built concurrently');
is(sql_value($node, "SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM pgmig.schema_migrations"),
	'1:complete,2:complete,3:complete,4:complete', 'everything is applied and complete');
is(sql_value($node, "SELECT count(*) FROM pgmig.events WHERE revision = '3' AND action = 'apply' AND success"), '1',
	'the no-transaction revision was logged');
my $applies = sql_value($node, "SELECT count(*) FROM pgmig.events WHERE action = 'apply'");
($rc) = run_psql($script);
is($rc, 0, 'the split script again is harmless');
is(sql_value($node, "SELECT count(*) FROM pgmig.events WHERE action = 'apply'"), $applies, 'and applies nothing');

($script, $text) = sql_script([ 'down', 'base' ], 'down base');
like($text, qr/FROM :"pgmig_schema".mig_plan\('base', true\)/, 'down base plans on the server');
is((run_psql($script))[0], 0, 'psql runs down base');
is(sql_value($node, 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'everything reverted');
is(sql_value($node, "SELECT to_regclass('notes') IS NULL"), 't', 'the tables are gone');

# a failing script stops psql, with the revision, file and line
write_migration($dir, '5_bad.sql', migration("SELECT 1;\nSELECT no_such_column FROM last;"));
($script) = sql_script(['up'], 'up with a failing revision');
($rc, $out, $err) = run_psql($script);
isnt($rc, 0, 'psql stops on the error');
like($err, qr/ERROR:  column "no_such_column" does not exist.*CONTEXT:  up script of revision 5, file "5_bad.sql" line 3/s,
	'the error names revision, file and line');
unlink "$dir/migrations/5_bad.sql";

# --confirm, for a production database
$node->safe_psql('postgres', "ALTER DATABASE postgres SET pgmig.environment = 'production'");
($script) = sql_script(['up'], 'up in production');
($rc, $out, $err) = run_psql($script);
isnt($rc, 0, 'production: refused without --confirm');
like($err, qr/apply refused in a production database/, 'production: the refusal');
($script, $text) = sql_script([ 'up', '--confirm' ], 'up --confirm');
like($text, qr/^SET pgmig.confirm = 'yes';$/m, '--confirm sets pgmig.confirm');
is((run_psql($script))[0], 0, 'production: runs with --confirm');
is(sql_value($node, 'SELECT count(*) FROM pgmig.schema_migrations'), '4', 'production: applied');
is(sql_value($node, "SELECT count(*) FROM pgmig.revisions WHERE id = '5'"), '0', 'a file gone is forgotten');

# A role with only CONNECT and CREATE on the database makes a schema named
# after the superuser (first on the superuser's search_path, "$user") with
# functions named like pgmig's, which make it superuser when a superuser
# calls them.  The script, run by the superuser, must call pgmig's own.
$node->safe_psql('postgres', "ALTER DATABASE postgres RESET pgmig.environment");
my $su = sql_value($node, 'SELECT current_user');
$node->safe_psql('postgres', qq{
	CREATE ROLE hijacker LOGIN;
	GRANT CREATE ON DATABASE postgres TO hijacker;
	SET ROLE hijacker;
	CREATE SCHEMA "$su";
	CREATE FUNCTION "$su".escalate() RETURNS void LANGUAGE plpgsql AS \$\$
	BEGIN
		EXECUTE 'ALTER ROLE hijacker SUPERUSER';
	END \$\$;
	CREATE FUNCTION "$su".mig_register(text[], text[], boolean DEFAULT false)
		RETURNS TABLE (revision text, action text) LANGUAGE sql AS 'SELECT "$su".escalate(); SELECT NULL::text, NULL::text';
	CREATE FUNCTION "$su".mig_unregister(text[]) RETURNS integer
		LANGUAGE sql AS 'SELECT "$su".escalate(); SELECT 0';
	CREATE FUNCTION "$su".mig_apply(text DEFAULT 'head', boolean DEFAULT false)
		RETURNS TABLE (revision text, description text, duration interval)
		LANGUAGE sql AS 'SELECT "$su".escalate(); SELECT NULL::text, NULL::text, NULL::interval';
	CREATE FUNCTION "$su".mig_revert(text, boolean DEFAULT false)
		RETURNS TABLE (revision text, description text, duration interval)
		LANGUAGE sql AS 'SELECT "$su".escalate(); SELECT NULL::text, NULL::text, NULL::interval';
	CREATE FUNCTION "$su".mig_plan(text DEFAULT 'head', boolean DEFAULT false)
		RETURNS TABLE (step integer, revision text, description text, action text, transactional boolean, source_file text)
		LANGUAGE sql AS 'SELECT "$su".escalate(); SELECT 1, NULL::text, NULL::text, NULL::text, true, NULL::text';
	CREATE PROCEDURE "$su".mig_apply_each(text DEFAULT 'head')
		LANGUAGE sql AS 'SELECT "$su".escalate()';
});
# the bait works: called unqualified by the superuser, it escalates
$node->safe_psql('postgres', 'SELECT count(*) FROM mig_plan()');
is(sql_value($node, "SELECT rolsuper FROM pg_roles WHERE rolname = 'hijacker'"), 't',
	'hijack: an unqualified call by the superuser runs the bait');
$node->safe_psql('postgres', 'ALTER ROLE hijacker NOSUPERUSER');
write_migration($dir, '6_after_hijack.sql', migration('CREATE TABLE after_hijack (id int);', 'DROP TABLE after_hijack;'));
foreach my $args ([ 'up' ], [ 'up', '--commit-each' ], [ 'down', '-1' ], [ 'up', '+1' ])
{
	my ($script) = sql_script($args, "hijack: @$args");
	($rc, $out, $err) = run_psql($script);
	is($rc, 0, "hijack: psql runs \"pgmig @$args --sql\"");
	is(sql_value($node, "SELECT rolsuper FROM pg_roles WHERE rolname = 'hijacker'"), 'f',
		"hijack: \"pgmig @$args --sql\" called no function of the other role");
}
is(sql_value($node, "SELECT count(*) FROM pgmig.schema_migrations WHERE id = '6'"), '1',
	'hijack: and pgmig applied the revision');
# the split script too
write_migration($dir, '7_index_after_hijack.sql',
	migration('CREATE INDEX CONCURRENTLY after_hijack_id ON after_hijack (id);', 'DROP INDEX CONCURRENTLY after_hijack_id;', notx => 1));
($script, $text) = sql_script(['up'], 'hijack: split');
like($text, qr/^\\gexec$/m, 'hijack: the script is split');
($rc, $out, $err) = run_psql($script);
is($rc, 0, 'hijack: psql runs the split script');
is(sql_value($node, "SELECT rolsuper FROM pg_roles WHERE rolname = 'hijacker'"), 'f',
	'hijack: the split script called no function of the other role');
is(sql_value($node, "SELECT count(*) FROM pgmig.schema_migrations WHERE id = '7'"), '1',
	'hijack: and pgmig applied the no-transaction revision');
$node->safe_psql('postgres', qq{DROP SCHEMA "$su" CASCADE; REVOKE CREATE ON DATABASE postgres FROM hijacker; DROP ROLE hijacker;});

# a server whose pgmig library is not the script's version refuses it
# before anything runs (a SQL function plays the other library)
$node->safe_psql('postgres', q{ALTER FUNCTION pgmig.library_version() RENAME TO library_version_real;
	CREATE FUNCTION pgmig.library_version() RETURNS text LANGUAGE sql AS $$SELECT '9.9.9'$$;});
($script) = sql_script(['up'], 'library: up');
($rc, $out, $err) = run_psql($script);
isnt($rc, 0, 'library: psql stops');
like($err, qr/ERROR:  this script is for pgmig version \S+, but the server runs pgmig library version 9\.9\.9\nHINT:  Restart the server/,
	'library: the script names both versions');
$node->safe_psql('postgres', q{DROP FUNCTION pgmig.library_version();
	ALTER FUNCTION pgmig.library_version_real() RENAME TO library_version;});
is((run_psql($script))[0], 0, 'library: the script runs with the library of its version');

# malformed targets are found offline
pgmig_fails(undef, $dir, [ 'up', '--sql', '99' ], qr/revision "99" does not exist/, 'an unknown target', %offline);

pgmig_done();
