
# node-pg-migrate's SQL migrations read as they are (issue 12): the
# "-- Up Migration" and "-- Down Migration" markers in either order, an
# up-only file irreversible, sqlx's "-- no-transaction" first line, the
# order of its numbers (17 digits are a UTC time, compared with its
# millisecond timestamps), malformed files, its JavaScript migrations
# refused; and a database the real node-pg-migrate (from the npm registry)
# migrated halfway, taken over with "pgmig import", then "pgmig up"
# applying the rest.
use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('nodepgm');
my %offline = (env => { PGHOST => '/nonexistent', PGPORT => '1', DATABASE_URL => undef });
my ($st, $out, $err);

# A folder "name" holding %files (migrations/ under a temporary root).
sub project
{
	my ($name, %files) = @_;
	my $root = PostgreSQL::Test::Utils::tempdir($name);
	make_path("$root/migrations");
	write_file("$root/migrations/$_", $files{$_}) foreach keys %files;
	return $root;
}

# 2023-11-14T00:00:00.000Z is 1699920000000 ms: before the 13-digit
# timestamps below, though its number is larger
my %base = (
	'20231114000000000_schema.sql' =>
		"-- Up Migration\nCREATE SCHEMA app;\n\n-- Down Migration\nDROP SCHEMA app;\n",
	# the down section first: node-pg-migrate takes either order
	'1700000000000_users.sql' =>
		"-- Down Migration\nDROP TABLE app.users;\n-- Up Migration\nCREATE TABLE app.users (id int);\n",
	'1700000000001_posts.sql' =>
		"--up migration\nCREATE TABLE app.posts (id int);\n---- DOWN   Migration\nDROP TABLE app.posts;\n");
my $root = project('npm', %base,
	'1700000000002_index.sql' => "-- no-transaction\n-- Up Migration\n"
		. "CREATE INDEX CONCURRENTLY users_id ON app.users (id);\n"
		. "-- Down Migration\nDROP INDEX CONCURRENTLY app.users_id;\n");

# --- the layout, offline
pgmig_ok(undef, $root, [ 'check', '--offline' ], qr/^ok: 4 revisions, head 1700000000002; format: node-pg-migrate$/,
	'check names the format', %offline);
($out) = pgmig_ok(undef, $root, [ 'history', '--offline' ], undef, 'history offline', %offline);
like($out, qr/^1700000000001 -> 1700000000002 \(head\), index\n1700000000000 -> 1700000000001, posts\n20231114000000000 -> 1700000000000, users\n<base> -> 20231114000000000, schema$/,
	'the 17-digit UTC time orders before the later millisecond timestamps');

# --- apply all, revert all
$node->safe_psql('postgres', 'CREATE EXTENSION pgmig');
pgmig_ok($node, $root, [ 'up' ], qr/applied 1700000000002/, 'up applies all');
is($node->safe_psql('postgres', 'SELECT string_agg(id, \',\' ORDER BY id) FROM pgmig.schema_migrations'),
	'1700000000000,1700000000001,1700000000002,20231114000000000', 'up: all four recorded');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_indexes WHERE indexname = 'users_id'"), '1',
	'up: the no-transaction revision made its index concurrently');
($out) = pgmig_ok($node, $root, [ 'status' ], qr/^Format: node-pg-migrate$/m, 'status names the format');
pgmig_ok($node, $root, [ 'down', 'base' ], qr/reverted 20231114000000000/, 'down base reverts all');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_namespace WHERE nspname = 'app'"), '0',
	'down: the down sections ran, the schema is gone');
is($node->safe_psql('postgres', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'down: nothing recorded');

# an up-only file is irreversible
write_file("$root/migrations/1700000000003_seed.sql", "-- Up Migration\nINSERT INTO app.users VALUES (1);\n");
pgmig_ok($node, $root, [ 'up' ], qr/applied 1700000000003/, 'an up-only file applies');
pgmig_fails($node, $root, [ 'down', '1700000000002' ], qr/irreversible|no down/i, 'an up-only file: down refused');
is($node->safe_psql('postgres', 'SELECT count(*) FROM app.users'), '1', 'an up-only file: its row stays');

# pgmig new writes node-pg-migrate's template, with its millisecond timestamp
pgmig_ok(undef, $root, [ 'new', '-m', 'more users' ], qr/created .*\/\d{13}_more_users\.sql$/, 'new writes a node-pg-migrate file', %offline);
my ($new) = glob("$root/migrations/*_more_users.sql");
is(read_file_text($new), "-- Up Migration\n\n-- Down Migration\n", 'new: the template');
unlink $new;

# --- malformed files, each named with its line
my %bad = (
	'statement before the first marker' => [ "SELECT 1;\n-- Up Migration\nSELECT 2;\n",
		qr/statement before "-- Up Migration".*CONTEXT:  file "1_x\.sql" line 1/s ],
	'a down marker alone' => [ "-- Down Migration\nDROP TABLE t;\n",
		qr/has "-- Down Migration" but no "-- Up Migration".*detail: Without "-- Up Migration", node-pg-migrate runs the whole file/s ],
	'a second up marker' => [ "-- Up Migration\nSELECT 1;\n-- up migration\nSELECT 2;\n",
		qr/second "-- Up Migration".*CONTEXT:  file "1_x\.sql" line 3/s ]);
foreach my $case (sort keys %bad)
{
	my $p = project('bad', '1_x.sql' => $bad{$case}[0]);
	pgmig_fails(undef, $p, [ 'check', '--offline' ], $bad{$case}[1], "malformed: $case", %offline);
}
my $p = project('bad', '12345678901234567_x.sql' => "-- Up Migration\nSELECT 1;\n");
pgmig_fails(undef, $p, [ 'check', '--offline' ], qr/starts with 17 digits that are no time/, 'malformed: 17 digits, no time', %offline);
$p = project('bad', '1234567890123456_x.sql' => "-- Up Migration\nSELECT 1;\n");
pgmig_fails(undef, $p, [ 'check', '--offline' ], qr/starts with a number node-pg-migrate cannot order/, 'malformed: 16 digits', %offline);
# two names of one time: 2023-11-14T22:13:20.000Z is 1700000000000
$p = project('bad', %base, '20231114221320000_again.sql' => "-- Up Migration\nSELECT 1;\n");
pgmig_fails(undef, $p, [ 'check', '--offline' ], qr/1700000000000_users\.sql.*20231114221320000_again\.sql|20231114221320000_again\.sql.*1700000000000_users\.sql/s,
	'two files of one time are a duplicate', %offline);

# a file of node-pg-migrate's named as a pair's would run its down going up
$p = project('pair', '1_x.up.sql' => "-- Up Migration\nSELECT 1;\n-- Down Migration\nSELECT 2;\n");
pgmig_fails(undef, $p, [ 'check', '--offline' ], qr/section line in a file of golang-migrate's layout.*CONTEXT:  file "1_x\.up\.sql" line 3/s,
	'a pair file with "-- Down Migration" is refused', %offline);
$p = project('sqlx', '1_x.sql' => "-- Up Migration\nSELECT 1;\n-- Down Migration\nSELECT 2;\n");
pgmig_fails(undef, $p, [ 'check', '--offline', '--format=sqlx' ], qr/file "1_x\.sql" has node-pg-migrate's sections/,
	'--format=sqlx refuses a node-pg-migrate file', %offline);

# JavaScript and TypeScript migrations: an error naming them, never skipped
$p = project('js', %base, '1700000000005_more.js' => "exports.up = (pgm) => {};\n",
	'1700000000006_more.ts' => "export const up = () => {};\n");
$err = pgmig_fails(undef, $p, [ 'check', '--offline' ],
	qr/has 2 JavaScript or TypeScript migrations\npgmig: detail: pgmig runs SQL only: "1700000000005_more\.js", "1700000000006_more\.ts"\.\npgmig: hint: Convert them to SQL/,
	'JavaScript migrations are refused, named', %offline);

# a mix with dbmate's files, and format insisting on one
$p = project('mix', %base, '1700000000009_dbmate.sql' => "-- migrate:up\nSELECT 1;\n");
pgmig_fails(undef, $p, [ 'check', '--offline' ], qr/mixes dbmate's layout and node-pg-migrate's/, 'a mix with dbmate is refused', %offline);
pgmig_fails(undef, $root, [ 'check', '--offline', '--format=dbmate' ], qr/is not in dbmate's layout/, '--format=dbmate refuses node-pg-migrate files', %offline);
pgmig_ok(undef, $root, [ 'check', '--offline', '--format=node-pg-migrate' ], qr/format: node-pg-migrate$/, '--format=node-pg-migrate', %offline);
$p = project('fmt', '1_x.sql' => "-- migrate:up\nSELECT 1;\n");
pgmig_fails(undef, $p, [ 'check', '--offline', '--format=node-pg-migrate' ], qr/is not in node-pg-migrate's layout.*hint: node-pg-migrate's SQL files/s,
	'--format=node-pg-migrate refuses a dbmate file', %offline);

# --- the real node-pg-migrate, from the npm registry
my $npm_dir = '/tmp/pgmig-test-npm';
my $npm_bin = "$npm_dir/node_modules/.bin/node-pg-migrate";
if (!-x $npm_bin || !-d "$npm_dir/node_modules/pg")
{
	make_path($npm_dir);
	my ($o, $e) = ('', '');
	IPC::Run::run([ 'npm', 'install', '--prefix', $npm_dir, '--no-audit', '--no-fund',
		'--loglevel=error', 'node-pg-migrate', 'pg' ], '>', \$o, '2>', \$e);
	note("npm install node-pg-migrate: exit $?\n$o$e");
}
ok(-x $npm_bin, 'node-pg-migrate is installed from the npm registry') or BAIL_OUT('no node-pg-migrate');

# run node-pg-migrate in "dir" against "db"; returns its exit status
sub npm_migrate
{
	my ($db, $dir, @args) = @_;
	my ($o, $e) = ('', '');
	local $ENV{DATABASE_URL} = sprintf('postgresql://%s@localhost/%s?host=%s&port=%d',
		scalar(getpwuid($<)), $db, $node->host, $node->port);
	IPC::Run::run([ $npm_bin, '-m', "$dir/migrations", @args ], '>', \$o, '2>', \$e);
	note("node-pg-migrate @args: exit $?\n$o$e");
	return $? >> 8;
}

my $real = project('real', %base,
	'1700000000002_tags.sql' => "-- Up Migration\nCREATE TABLE app.tags (id int);\n-- Down Migration\nDROP TABLE app.tags;\n");
$node->safe_psql('postgres', 'CREATE DATABASE npm');
is(npm_migrate('npm', $real, 'up', '2'), 0, 'node-pg-migrate up 2');
is($node->safe_psql('npm', 'SELECT string_agg(name, \',\' ORDER BY id) FROM pgmigrations'),
	'20231114000000000_schema,1700000000000_users', 'node-pg-migrate ran the first two in its order');
$node->safe_psql('npm', 'CREATE EXTENSION pgmig');
pgmig_fails($node, $real, [ 'up', '-d', 'npm' ],
	qr/was migrated by node-pg-migrate, and pgmig has no history of it.*hint: Run "pgmig import" first/s,
	'up refuses before the import');
is($node->safe_psql('npm', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'up refused: nothing done');

# a name without a file: reported, nothing imported
$node->safe_psql('postgres', 'CREATE DATABASE npmbad');
$node->safe_psql('npmbad', 'CREATE EXTENSION pgmig');
is(npm_migrate('npmbad', $real, 'up', '1'), 0, 'node-pg-migrate up 1');
$node->safe_psql('npmbad', "INSERT INTO pgmigrations (name, run_on) VALUES ('1600000000000_gone', now())");
pgmig_fails($node, $real, [ 'import', '-d', 'npmbad' ],
	qr/1 migration that node-pg-migrate ran has no file.*Names without a file: 1600000000000_gone\. Nothing was imported\./s,
	'import: a name without a file is reported');
is($node->safe_psql('npmbad', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'import refused: nothing imported');

pgmig_ok($node, $real, [ 'import', '-d', 'npm' ], qr/imported 2 revisions from node-pg-migrate \(public\.pgmigrations\)/,
	'import takes over what node-pg-migrate ran');
is($node->safe_psql('npm', "SELECT string_agg(id || ':' || method, ',' ORDER BY id) FROM pgmig.schema_migrations"),
	'1700000000000:stamped,20231114000000000:stamped', 'import: recorded, not run');
($out) = pgmig_ok($node, $real, [ 'up', '-d', 'npm' ], undef, 'up after the import');
unlike($out, qr/applied (20231114000000000|1700000000000)\b/, 'up: what node-pg-migrate ran is not run again');
like($out, qr/applied 1700000000001.*\n.*applied 1700000000002/s, 'up: the rest, in order');
is($node->safe_psql('npm', "SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'app'"),
	'posts,tags,users', 'up: the schema has every table');
is($node->safe_psql('npm', 'SELECT count(*) FROM pgmig.schema_migrations'), '4', 'up: four recorded');
is($node->safe_psql('npm', 'SELECT count(*) FROM pgmigrations'), '2', 'import: node-pg-migrate\'s table is left');
# the files stay node-pg-migrate's (it knows nothing of pgmig's runs)
is(npm_migrate('npm', $real, 'up', '--dry-run'), 0, 'node-pg-migrate still reads the folder');

pgmig_done($node);
