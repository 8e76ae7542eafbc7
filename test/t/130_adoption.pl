
# Switching to pgmig from another tool (issue 12, first part): dbmate's
# project layout found as it is, a database dbmate migrated taken over
# with "pgmig import" (the real dbmate, from the npm registry), "up"
# refusing such a database until then, golang-migrate's catalog, the
# connection strings of SQLAlchemy and JDBC (never showing a password),
# DATABASE_URL from .env, the seeds' ENVIRONMENT=production guard,
# "up --sql" on a database without pgmig, golang-migrate's and sqlx's
# pairs, sqlx's up-only files (format = sqlx) and Diesel's folders.
use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('adoption');

# dbmate from the npm registry (its package pulls the binary in through an
# optional dependency), kept between runs like the benchmark's
my $npm_dir = '/tmp/pgmig-test-npm';
sub find_dbmate
{
	my @found = glob("$npm_dir/node_modules/\@dbmate/*/bin/dbmate");
	return @found && -x $found[0] ? $found[0] : undef;
}
my $dbmate = find_dbmate();
if (!$dbmate)
{
	make_path($npm_dir);
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'npm', 'install', '--prefix', $npm_dir, '--no-audit', '--no-fund',
		'--loglevel=error', 'dbmate' ], '>', \$out, '2>', \$err);
	note("npm install dbmate: exit $?\n$out$err");
	$dbmate = find_dbmate();
}
ok($dbmate, 'dbmate is installed from the npm registry') or BAIL_OUT('no dbmate');

# dbmate's URL for a database of the node (a unix socket)
sub dbmate_url
{
	my ($db) = @_;
	return sprintf('postgres://%s@/%s?socket=%s&port=%d&sslmode=disable',
		scalar(getpwuid($<)), $db, $node->host, $node->port);
}

# run dbmate on folder "dir" against "db"; returns its exit status
sub dbmate_up
{
	my ($db, $dir) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ $dbmate, '--url', dbmate_url($db), '--migrations-dir', $dir,
		'--no-dump-schema', 'up' ], '>', \$out, '2>', \$err);
	note("dbmate up $db: exit $?\n$out$err");
	return $? >> 8;
}

# A dbmate project: db/migrations with versions 1 to 3 (tables t1..t3).
sub dbmate_project
{
	my ($name, @versions) = @_;
	my $root = PostgreSQL::Test::Utils::tempdir($name);
	make_path("$root/db/migrations", "$root/app/src");
	foreach my $v (@versions)
	{
		write_file("$root/db/migrations/2024010${v}000000_t$v.sql",
			"-- migrate:up\nCREATE TABLE t$v (id int);\n\n-- migrate:down\nDROP TABLE t$v;\n");
	}
	return $root;
}

# pgmig in folder "dir" with the node's connection but no PGDATABASE, so
# that DATABASE_URL counts
sub pgmig_url
{
	my ($dir, $args, %env) = @_;
	return pgmig($node, $dir, $args, env => { PGDATABASE => undef, %env });
}

# Write files (relative paths, folders made as needed) under "dir".
sub write_tree
{
	my ($dir, %files) = @_;
	foreach my $f (keys %files)
	{
		make_path("$dir/$1") if $f =~ m{^(.*)/};
		write_file("$dir/$f", $files{$f});
	}
}

# --- dbmate's layout, a database dbmate migrated, and the import
my $root = dbmate_project('dbmate', 1, 2);
$node->safe_psql('postgres', 'CREATE DATABASE dm');
is(dbmate_up('dm', "$root/db/migrations"), 0, 'dbmate: applies versions 1 and 2');
$node->safe_psql('dm', 'CREATE EXTENSION pgmig');
write_file("$root/db/migrations/20240103000000_t3.sql",
	"-- migrate:up\nCREATE TABLE t3 (id int);\n\n-- migrate:down\nDROP TABLE t3;\n");

# found from a subfolder, connection from .env as a SQLAlchemy URL
write_file("$root/.env", "# the app's settings\nexport DATABASE_URL=\"postgresql+psycopg://"
	. scalar(getpwuid($<)) . "\@/dm?host=" . $node->host . "&port=" . $node->port . "\" # dbmate's too\nOTHER=1\n");
my ($st, $out, $err) = pgmig_url("$root/app/src", [ 'status' ]);
is($st, 0, 'layout: status from a subfolder of a dbmate project');
like($out, qr/\[ \] 20240101000000_t1\.sql.*\n.*20240102000000.*\n.*20240103000000/, 'layout: db/migrations is the folder');

($st, $out, $err) = pgmig_url("$root/app/src", [ 'up' ]);
is($st, 1, 'refusal: up exits 1 on a database dbmate migrated');
like($err, qr/database "dm" was migrated by dbmate, and pgmig has no history of it/, 'refusal: names dbmate');
like($err, qr/hint: Run "pgmig import" first/, 'refusal: says to import');
is($node->safe_psql('dm', 'SELECT count(*) FROM pgmig.revisions'), '0', 'refusal: nothing registered');
is($node->safe_psql('dm', "SELECT count(*) FROM pg_tables WHERE tablename = 't3'"), '0', 'refusal: nothing run');

($st, $out, $err) = pgmig_url("$root/app/src", [ 'import', '-v' ]);
is($st, 0, 'import: exit 0');
like($out, qr/imported 2 revisions from dbmate \(public\.schema_migrations\)/, 'import: says what it took');
is($node->safe_psql('dm', "SELECT string_agg(id || ':' || method, ' ' ORDER BY id) FROM pgmig.schema_migrations"),
	'20240101000000:stamped 20240102000000:stamped', 'import: versions 1 and 2 recorded, not run');
is($node->safe_psql('dm', "SELECT string_agg(action || ' ' || revision || ' ' || message, ', ' ORDER BY event_id) FROM pgmig.events WHERE action = 'import'"),
	'import 20240101000000 imported from dbmate (public.schema_migrations), import 20240102000000 imported from dbmate (public.schema_migrations)',
	'import: an import event each, naming the source');
is($node->safe_psql('dm', 'SELECT count(*) FROM public.schema_migrations'), '2', "import: dbmate's table is left as it is");

($st, $out, $err) = pgmig_url("$root/app/src", [ 'up' ]);
is($st, 0, 'import: then up exits 0');
like($out, qr/^applied 20240103000000 t3/m, 'import: up applies only what dbmate had not');
unlike($out, qr/20240101000000|20240102000000/, 'import: and nothing dbmate applied');

($st, $out, $err) = pgmig_url("$root/app/src", [ 'import' ]);
is($st, 1, 'import: a second import exits 1');
like($err, qr/already has pgmig history/, 'import: a second import is refused');

# --- versions without a file: nothing imported
my $gone = dbmate_project('gone', 1, 2, 3);
$node->safe_psql('postgres', 'CREATE DATABASE gone');
is(dbmate_up('gone', "$gone/db/migrations"), 0, 'missing file: dbmate applies 1 to 3');
$node->safe_psql('gone', 'CREATE EXTENSION pgmig');
unlink "$gone/db/migrations/20240102000000_t2.sql";
($st, $out, $err) = pgmig($node, $gone, [ 'import', '-d', 'gone' ]);
is($st, 1, 'missing file: exit 1');
like($err, qr/1 version that dbmate applied has no file in "db\/migrations"/, 'missing file: reported');
like($err, qr/Versions without a file: 20240102000000\. Nothing was imported\./, 'missing file: named');
is($node->safe_psql('gone', 'SELECT (SELECT count(*) FROM pgmig.schema_migrations) + (SELECT count(*) FROM pgmig.revisions)'),
	'0', 'missing file: nothing recorded, nothing registered');

# --- golang-migrate's catalog, as its documentation defines it: one row
$node->safe_psql('postgres', 'CREATE DATABASE gm');
$node->safe_psql('gm', 'CREATE EXTENSION pgmig; CREATE TABLE t1 (id int); CREATE TABLE t2 (id int);'
	. ' CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);'
	. ' INSERT INTO schema_migrations VALUES (20240102000000, true)');
my $gm = dbmate_project('gm', 1, 2, 3);
($st, $out, $err) = pgmig($node, $gm, [ 'import', '-d', 'gm' ]);
is($st, 1, 'golang-migrate: a dirty version exits 1');
like($err, qr/golang-migrate left version 20240102000000 dirty in public\.schema_migrations/, 'golang-migrate: dirty reported');
$node->safe_psql('gm', 'UPDATE schema_migrations SET dirty = false');
($st, $out, $err) = pgmig($node, $gm, [ 'import', '-d', 'gm' ]);
is($st, 0, 'golang-migrate: clean, exit 0');
is($node->safe_psql('gm', "SELECT string_agg(id, ' ' ORDER BY id) FROM pgmig.schema_migrations"),
	'20240101000000 20240102000000', 'golang-migrate: its version and every one before it');

# --- DBMATE_MIGRATIONS_TABLE names dbmate's table
$node->safe_psql('postgres', 'CREATE DATABASE dmt');
$node->safe_psql('dmt', 'CREATE EXTENSION pgmig; CREATE TABLE t1 (id int);'
	. ' CREATE TABLE dbmate_versions (version varchar(128) PRIMARY KEY);'
	. " INSERT INTO dbmate_versions VALUES ('20240101000000')");
my $dmt = dbmate_project('dmt', 1, 2);
($st, $out, $err) = pgmig($node, $dmt, [ 'up', '-d', 'dmt' ], env => { DBMATE_MIGRATIONS_TABLE => 'dbmate_versions' });
like($err, qr/was migrated by dbmate/, 'DBMATE_MIGRATIONS_TABLE: up refuses');
($st, $out, $err) = pgmig($node, $dmt, [ 'import', '-d', 'dmt' ], env => { DBMATE_MIGRATIONS_TABLE => 'dbmate_versions' });
like($out, qr/imported 1 revision from dbmate \(public\.dbmate_versions\)/, 'DBMATE_MIGRATIONS_TABLE: import reads it');
# --drop: the other tool's table goes in the same transaction
$node->safe_psql('postgres', 'CREATE DATABASE dmdrop');
my $dmdrop = dbmate_project('dmdrop', 1, 2);
is(dbmate_up('dmdrop', "$dmdrop/db/migrations"), 0, 'import --drop: dbmate applies 1 and 2');
$node->safe_psql('dmdrop', 'CREATE EXTENSION pgmig');
write_file("$dmdrop/db/migrations/20240103000000_t3.sql",
	"-- migrate:up\nCREATE TABLE t3 (id int);\n\n-- migrate:down\nDROP TABLE t3;\n");
pgmig_ok($node, $dmdrop, [ 'import', '--drop', '-d', 'dmdrop' ], qr/^dropped public\.schema_migrations$/m,
	'import --drop: says so');
is($node->safe_psql('dmdrop', "SELECT to_regclass('public.schema_migrations') IS NULL"), 't',
	"import --drop: dbmate's table is gone");
pgmig_ok($node, $dmdrop, [ 'up', '-d', 'dmdrop' ], qr/^applied 20240103000000 t3/m,
	'import --drop: then up, without a drift warning for the dropped table');
# an import the server refuses keeps the table: the drop is in its transaction
$node->safe_psql('postgres', 'CREATE DATABASE dmkeep');
$node->safe_psql('dmkeep', "CREATE TABLE t1 (id int); CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
	. " INSERT INTO schema_migrations VALUES ('20240101000000'); CREATE EXTENSION pgmig;"
	. " ALTER DATABASE dmkeep SET pgmig.environment = 'production'");
pgmig_fails($node, $dmdrop, [ 'import', '--drop', '-d', 'dmkeep' ], qr/import refused in a production database/,
	'import --drop: refused by the server after the drop');
is($node->safe_psql('dmkeep', 'SELECT count(*) FROM public.schema_migrations'), '1',
	'import --drop: and the table stays');

# an empty table of another tool is no history
$node->safe_psql('postgres', 'CREATE DATABASE empty');
$node->safe_psql('empty', 'CREATE TABLE schema_migrations (version varchar PRIMARY KEY); CREATE EXTENSION pgmig');
pgmig_ok($node, $dmt, [ 'up', '-d', 'empty' ], qr/^applied 20240102000000/m, 'an empty dbmate table: up runs');

# (other tools' catalogs: Flyway's t/131, Sqitch's t/132, node-pg-migrate's
# t/133, Alembic's t/134)

# --- connection strings: no message shows the password
my $secret = 'Sekr3t-pw';
foreach my $url ("postgresql+psycopg:/user:$secret\@host/db",
	"postgresql://user:$secret\@host/db?bogus=1",
	"jdbc:postgresql://host/db?user=u&password=$secret&frobnicate=1",
	"jdbc:postgresql://host/db?user=u&password=$secret&ssl=maybe",
	"host=/nowhere password='$secret x' dbname")
{
	($st, $out, $err) = pgmig(undef, $root, [ 'status' ], env => { PGDATABASE => undef, DATABASE_URL => $url });
	is($st, 1, "connection string $url: exit 1");
	unlike($err . $out, qr/\Q$secret\E|Sekr3t/, "connection string $url: password not shown");
}
like($err, qr/invalid connection string "host=\/nowhere password=\*\*\*\*\* dbname"/, 'connection string: masked, not dropped');
($st, $out, $err) = pgmig(undef, $root, [ 'status' ], env => { PGDATABASE => undef,
	DATABASE_URL => "jdbc:postgresql://host/db?user=u&password=$secret&frobnicate=1" });
like($err, qr/parameter "frobnicate" of the JDBC URL has no libpq counterpart/, 'JDBC: an unknown parameter is named');
# a database name that begins like a URL scheme is a name, as libpq reads it
$node->safe_psql('postgres', 'CREATE DATABASE postgres_app');
$node->safe_psql('postgres_app', 'CREATE EXTENSION pgmig');
pgmig_ok($node, $root, [ 'status', '-d', 'postgres_app' ], qr/Pending: 3/, 'a database named postgres_app is a name');
# a JDBC URL's parameters as libpq's: currentSchema becomes the search_path
$node->safe_psql('dm', 'CREATE SCHEMA app');
($st, $out, $err) = pgmig($node, $root, [ 'check', '-d', 'jdbc:postgresql:dm?currentSchema=app&prepareThreshold=0' ],
	env => { PGDATABASE => undef });
is($st, 0, 'JDBC: jdbc:postgresql:dbname connects') or diag($err);

# --- ENVIRONMENT=production, as the seeds set it
my $prod = dbmate_project('prod', 1);
$node->safe_psql('postgres', 'CREATE DATABASE prod');
$node->safe_psql('prod', 'CREATE EXTENSION pgmig');
($st, $out, $err) = pgmig($node, $prod, [ 'up', '-d', 'prod' ], env => { ENVIRONMENT => 'production' });
is($st, 1, 'production: up without confirmation exits 1');
like($err, qr/production migration not confirmed/, 'production: refused');
like($err, qr/CONFIRM_PRODUCTION_MIGRATION=yes/, 'production: says how to confirm');
is($node->safe_psql('prod', 'SELECT count(*) FROM pgmig.revisions'), '0', 'production: refused before connecting');
pgmig_ok($node, $prod, [ 'up', '-d', 'prod', '--dry-run' ], qr/dry run/, 'production: a dry run needs no confirmation',
	env => { ENVIRONMENT => 'production' });
pgmig_ok($node, $prod, [ 'up', '-d', 'prod' ], qr/^applied 20240101000000/m, 'production: confirmed with the seeds\' variable',
	env => { ENVIRONMENT => 'production', CONFIRM_PRODUCTION_MIGRATION => 'yes' });

# --- up --sql on a database without pgmig creates it
$node->safe_psql('postgres', 'CREATE DATABASE bare');
my $sqlproj = dbmate_project('sql', 1, 2);
($st, $out, $err) = pgmig(undef, $sqlproj, [ 'up', '--sql' ]);
is($st, 0, 'up --sql: exit 0');
my $script = write_file("$sqlproj/up.sql", $out);
my ($pout, $perr) = ('', '');
IPC::Run::run([ 'psql', '-X', '-h', $node->host, '-p', $node->port, '-d', 'bare', '-v', 'ON_ERROR_STOP=1',
	'-f', $script ], '<', \'', '>', \$pout, '2>', \$perr);
is($? >> 8, 0, 'up --sql: runs on a database without pgmig') or diag($perr);
is($node->safe_psql('bare', "SELECT extversion IS NOT NULL FROM pg_extension WHERE extname = 'pgmig'"), 't',
	'up --sql: the extension is created');
is($node->safe_psql('bare', 'SELECT count(*) FROM pgmig.schema_migrations'), '2', 'up --sql: and the revisions applied');

# --- init in a dbmate project says what it found, creates no migrations/
my $init = dbmate_project('init', 1);
$node->safe_psql('postgres', 'CREATE DATABASE initdb');
pgmig_ok($node, $init, [ 'init', '-d', 'initdb' ], qr/migrations folder db\/migrations exists: 1 migration file/,
	'init: names the folder it found');
ok(!-e "$init/migrations", 'init: no empty migrations/ beside it');

# --- other tools' layouts are named, never parsed as broken dbmate files
# nor skipped
my %offline = (env => { PGHOST => '/nonexistent', PGPORT => '1', DATABASE_URL => undef });
my %layouts = (
);
foreach my $tool (sort keys %layouts)
{
	my $dir = new_project("layout_$tool");
	write_tree("$dir/migrations", map { $_ => "CREATE TABLE x (id int);\n" } @{ $layouts{$tool} });
	# a dbmate file beside them is fine; the others are named
	write_migration($dir, '20240101000000_ok.sql', migration('SELECT 1;'));
	my ($st, $out, $err) = pgmig(undef, $dir, [ 'check', '--offline' ], %offline);
	is($st, 1, "layout $tool: exit 1");
	like($err, qr/migrations folder "migrations" holds \Q$tool\E's layout, which pgmig does not read yet/,
		"layout $tool: named");
	unlike($err, qr/20240101000000_ok|before "-- migrate:up"|does not start with a version/,
		"layout $tool: not parsed as dbmate's");
	my $n = scalar @{ $layouts{$tool} };
	like($err, qr/\($n in all\)/, "layout $tool: counted");
}

# --- golang-migrate's and sqlx's layout, read as it is
my $gm_dir = new_project('golang');
my %gm = (
	'1_init.up.sql' => "CREATE TABLE g1 (id int);\n",
	'1_init.down.sql' => "DROP TABLE g1;\n",
	'2_index.up.sql' => "-- no-transaction\nCREATE INDEX CONCURRENTLY g1_id ON g1 (id);\n",
	'2_index.down.sql' => "DROP INDEX g1_id;\n",
	'10_more.up.sql' => "CREATE TABLE g10 (id int);\n",
	'10_more.down.sql' => "DROP TABLE g10;\nDROP TABLE no_such_table;\n");
write_tree("$gm_dir/migrations", %gm);
pgmig_ok(undef, $gm_dir, [ 'check', '--offline' ], qr/^ok: 3 revisions, head 10; format: golang-migrate$/,
	'golang-migrate: check names the format');
like((pgmig($node, $gm_dir, [ 'status', '-d', 'postgres_app' ]))[1], qr/^Format: golang-migrate$/m, 'golang-migrate: status names the format');
like((pgmig($node, $gm_dir, [ 'status', '--json', '-d', 'postgres_app' ]))[1], qr/"format":"golang-migrate"/, 'golang-migrate: and its JSON');
$node->safe_psql('postgres', 'CREATE DATABASE gmdb');
$node->safe_psql('gmdb', 'CREATE EXTENSION pgmig');
pgmig_ok($node, $gm_dir, [ 'up', '-d', 'gmdb' ],
	qr/^applied 1 init .*\napplied 2 index \([\d.]+ ms, no transaction, 1 statement\)\napplied 10 more /,
	'golang-migrate: up in version order (10 after 2), sqlx\'s -- no-transaction honored');
is($node->safe_psql('gmdb', "SELECT string_agg(source_file, ' ' ORDER BY sortkey::numeric) FROM pgmig.revisions"),
	'1_init.up.sql 2_index.up.sql 10_more.up.sql', 'golang-migrate: a revision per pair, named by its up file');
is($node->safe_psql('gmdb', "SELECT count(*) FROM pg_indexes WHERE indexname = 'g1_id'"), '1',
	'golang-migrate: the index was built');
($st, $out, $err) = pgmig($node, $gm_dir, [ 'down', 'base', '-d', 'gmdb' ]);
like($err, qr/down script of revision 10, file "10_more\.down\.sql" line 2/, 'golang-migrate: a down error names the down file and line');
write_migration($gm_dir, '10_more.down.sql', "DROP TABLE g10;\n");
pgmig_ok($node, $gm_dir, [ 'down', 'base', '-d', 'gmdb' ], qr/^reverted 10 more .*\nreverted 2 index .*\nreverted 1 init /,
	'golang-migrate: down base reverts them all, newest first');
is($node->safe_psql('gmdb', "SELECT count(*) FROM pg_tables WHERE tablename IN ('g1', 'g10')"), '0',
	'golang-migrate: and the tables are gone');
unlink "$gm_dir/migrations/10_more.down.sql";
pgmig_ok($node, $gm_dir, [ 'up', '-d', 'gmdb' ], qr/applied 10 more/, 'golang-migrate: up again');
pgmig_fails($node, $gm_dir, [ 'down', '-1', '-d', 'gmdb' ],
	qr/revision 10 is irreversible\nDETAIL:  Its up file "10_more\.up\.sql" has no down file beside it/,
	'golang-migrate: an up file alone is irreversible');
pgmig_ok(undef, $gm_dir, [ 'new', '-m', 'add users' ], qr/^created migrations\/11_add_users\.up\.sql\ncreated migrations\/11_add_users\.down\.sql$/,
	'golang-migrate: new writes a pair');
# its malformed files
write_migration($gm_dir, '12_lonely.down.sql', "SELECT 1;\n");
pgmig_fails(undef, $gm_dir, [ 'check', '--offline' ], qr/file "migrations\/12_lonely\.down\.sql" has no up file beside it/,
	'golang-migrate: a down file without its up file', %offline);
unlink "$gm_dir/migrations/12_lonely.down.sql";
write_migration($gm_dir, '12_dbmate.up.sql', "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n");
pgmig_fails(undef, $gm_dir, [ 'check', '--offline' ],
	qr/section line in a file of golang-migrate's layout\n.*CONTEXT:  file "12_dbmate\.up\.sql" line 1/s,
	'golang-migrate: a dbmate file named as a pair is refused, its down would run going up', %offline);
unlink "$gm_dir/migrations/12_dbmate.up.sql";
write_migration($gm_dir, '001_again.up.sql', "SELECT 1;\n");
pgmig_fails(undef, $gm_dir, [ 'check', '--offline' ], qr/duplicate version 1 in files "migrations\/001_again\.up\.sql" and "migrations\/1_init\.up\.sql"/,
	'golang-migrate: 001 and 1 are the same version', %offline);
unlink "$gm_dir/migrations/001_again.up.sql";
write_migration($gm_dir, '20240101000000_dbmate.sql', migration('SELECT 1;'));
pgmig_fails(undef, $gm_dir, [ 'check', '--offline' ], qr/migrations folder "migrations" mixes dbmate's layout and golang-migrate's/,
	'golang-migrate: a folder mixing layouts is refused', %offline);
unlink "$gm_dir/migrations/20240101000000_dbmate.sql";
# pgmig.conf's format insists on one layout
write_file("$gm_dir/pgmig.conf", "format = dbmate\n");
pgmig_fails(undef, $gm_dir, [ 'check', '--offline' ], qr/file "migrations\/10_more\.up\.sql" is not in dbmate's layout\n.*detail: pgmig\.conf sets format = dbmate\./s,
	'format = dbmate: a pair file is refused', %offline);
unlink "$gm_dir/pgmig.conf";
pgmig_fails(undef, $gm_dir, [ 'check', '--offline', '--format', 'dbmate' ], qr/file "migrations\/10_more\.up\.sql" is not in dbmate's layout/,
	'--format dbmate: a pair file is refused', %offline);
pgmig_ok(undef, $gm_dir, [ 'check', '--offline', '--format=golang-migrate' ], qr/format: golang-migrate/,
	'--format golang-migrate: as the names say', %offline);
pgmig_fails(undef, $gm_dir, [ 'check', '--offline', '--format=liquibase' ], qr/--format must be dbmate, golang-migrate, sqlx, diesel, flyway, sqitch or node-pg-migrate/,
	'--format liquibase: a usage error', status => 2, %offline);
write_file("$gm_dir/pgmig.conf", "format = liquibase\n");
pgmig_fails(undef, $gm_dir, [ 'check', '--offline' ], qr/unknown format "liquibase" in pgmig\.conf/,
	'format = liquibase: not a format pgmig reads', %offline);
unlink "$gm_dir/pgmig.conf";
my $empty_gm = new_project('golang_empty');
write_file("$empty_gm/pgmig.conf", "format = golang-migrate\n");
pgmig_ok(undef, $empty_gm, [ 'new', '-m', 'first' ], qr/^created migrations\/\d+_first\.up\.sql\ncreated migrations\/\d+_first\.down\.sql$/,
	'format = golang-migrate: new writes a pair in an empty folder');
write_migration($empty_gm, '20240101000000_dbmate.sql', migration('SELECT 1;'));
pgmig_fails(undef, $empty_gm, [ 'check', '--offline' ], qr/file "migrations\/20240101000000_dbmate\.sql" is not in golang-migrate's layout/,
	'format = golang-migrate: a dbmate file is refused', %offline);

# up --sql sends both files of each pair
$node->safe_psql('postgres', 'CREATE DATABASE gmsql');
($st, $out, $err) = pgmig(undef, $gm_dir, [ 'up', '--sql' ]);
my $gm_script = write_file("$gm_dir/up.sql", $out);
IPC::Run::run([ 'psql', '-X', '-h', $node->host, '-p', $node->port, '-d', 'gmsql', '-v', 'ON_ERROR_STOP=1',
	'-f', $gm_script ], '<', \'', '>', \my $gout, '2>', \my $gerr);
is($? >> 8, 0, 'golang-migrate: up --sql runs') or diag($gerr);
is($node->safe_psql('gmsql', "SELECT count(*) FROM pgmig.revisions WHERE down_script IS NOT NULL"), '3',
	'golang-migrate: up --sql registered the down files too');
# a database golang-migrate migrated, taken over
$node->safe_psql('postgres', 'CREATE DATABASE gmimp');
$node->safe_psql('gmimp', 'CREATE TABLE g1 (id int); CREATE INDEX g1_id ON g1 (id);'
	. ' CREATE TABLE schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);'
	. ' INSERT INTO schema_migrations VALUES (2, false); CREATE EXTENSION pgmig');
pgmig_ok($node, $gm_dir, [ 'import', '-d', 'gmimp' ], qr/^imported 2 revisions from golang-migrate/m,
	'golang-migrate: import of its own catalog');
pgmig_ok($node, $gm_dir, [ 'up', '-d', 'gmimp' ], qr/^applied 10 more .*\napplied 11 add users /,
	'golang-migrate: then up applies only what it had not');

# --- sqlx's simple (up-only) files: told from a dbmate file that lost its
# "-- migrate:up" line only by format = sqlx
my $sx = new_project('sqlx');
write_file("$sx/migrations/1_init.sql", "CREATE TABLE sx1 (id int);\n");
write_file("$sx/migrations/2_index.sql", "-- no-transaction\nCREATE INDEX CONCURRENTLY sx1_id ON sx1 (id);\n");
pgmig_fails(undef, $sx, [ 'check', '--offline' ],
	qr/statement before "-- migrate:up"\nHINT:  .*If it is one of sqlx's up-only migrations, say the folder is sqlx's: format = sqlx.*\nCONTEXT:  file "1_init\.sql" line 1/,
	'sqlx: a simple file without format = sqlx is a dbmate file without its section, hinting at sqlx', %offline);
write_file("$sx/migrations/10_more.up.sql", "CREATE TABLE sx10 (id int);\n");
write_file("$sx/migrations/10_more.down.sql", "DROP TABLE sx10;\n");
pgmig_fails(undef, $sx, [ 'check', '--offline' ], qr/mixes dbmate's layout and golang-migrate's.*hint: .*format = sqlx/s,
	'sqlx: simple files and pairs without format = sqlx are a mix, hinting at sqlx', %offline);
write_file("$sx/pgmig.conf", "format = sqlx\n");
pgmig_ok(undef, $sx, [ 'check', '--offline' ], qr/^ok: 3 revisions, head 10; format: sqlx$/,
	'format = sqlx: simple files and pairs, named', %offline);
$node->safe_psql('postgres', 'CREATE DATABASE sxdb');
$node->safe_psql('sxdb', 'CREATE EXTENSION pgmig');
pgmig_ok($node, $sx, [ 'up', '-d', 'sxdb' ], qr/^applied 1 init .*\napplied 2 index .*\napplied 10 more /,
	'format = sqlx: up in version order (10 after 2)');
is($node->safe_psql('sxdb', "SELECT count(*) FROM pg_indexes WHERE indexname = 'sx1_id'"), '1',
	'format = sqlx: -- no-transaction honoured, the index built concurrently');
is($node->safe_psql('sxdb', "SELECT string_agg(id || ':' || (down_script IS NOT NULL), ' ' ORDER BY length(sortkey), sortkey) FROM pgmig.revisions"),
	'1:false 2:false 10:true', 'format = sqlx: simple files are irreversible, the pair is not');
pgmig_ok($node, $sx, [ 'down', '2', '-d', 'sxdb' ], qr/^reverted 10 /, 'format = sqlx: down reverts the pair');
pgmig_fails($node, $sx, [ 'down', '1', '-d', 'sxdb' ], qr/irreversible|no down/i, 'format = sqlx: a simple file is irreversible');
# up --sql says the format to the server too
$node->safe_psql('postgres', 'CREATE DATABASE sxsql');
($st, $out, $err) = pgmig(undef, $sx, [ 'up', '--sql' ]);
like($out, qr/SET LOCAL pgmig\.format = 'sqlx';/, 'format = sqlx: up --sql sets pgmig.format');
my $sx_script = write_file("$sx/up.sql", $out);
IPC::Run::run([ 'psql', '-X', '-h', $node->host, '-p', $node->port, '-d', 'sxsql', '-v', 'ON_ERROR_STOP=1',
	'-f', $sx_script ], '<', \'', '>', \my $sxout, '2>', \my $sxerr);
is($? >> 8, 0, 'format = sqlx: up --sql runs') or diag($sxerr);
is($node->safe_psql('sxsql', 'SELECT count(*) FROM pgmig.schema_migrations'), '3', 'format = sqlx: up --sql applied all');
unlink "$sx/up.sql";
# malformed: a dbmate file, a version that is no number
write_file("$sx/migrations/11_dbmate.sql", migration('SELECT 1;', 'SELECT 2;'));
pgmig_fails(undef, $sx, [ 'check', '--offline' ], qr/section line in a file of sqlx's layout.*CONTEXT:  file "11_dbmate\.sql" line 1/s,
	'format = sqlx: a dbmate file is refused, its down would run going up', %offline);
unlink "$sx/migrations/11_dbmate.sql";
write_file("$sx/migrations/1.5_x.sql", "SELECT 1;\n");
pgmig_fails(undef, $sx, [ 'check', '--offline' ], qr/file name "1\.5_x\.sql" has a version that is not a number/,
	'format = sqlx: a version that is no number', %offline);
unlink "$sx/migrations/1.5_x.sql";
# the server reads them only under pgmig.format = sqlx
($st, $out, $err) = $node->psql('sxdb', "SELECT * FROM mig_register('3_x.sql', 'SELECT 3;')");
like($err, qr/statement before "-- migrate:up"/, 'mig_register: a simple file needs pgmig.format');
is($node->safe_psql('sxdb', "SET pgmig.format = 'sqlx'; SELECT action FROM mig_register('3_x.sql', 'SELECT 3;')"), 'new',
	'mig_register: under pgmig.format = sqlx it is read');
($st, $out, $err) = $node->psql('sxdb', "LOAD 'pgmig'; SET pgmig.format = 'flyway'");
like($err, qr/invalid value for parameter "pgmig\.format"/, 'pgmig.format: only sqlx');

# --- Diesel's layout: a folder per revision
my $dz = new_project('diesel');
my %dz = (
	'00000000000000_diesel_initial_setup/up.sql' => "CREATE FUNCTION dz_setup() RETURNS int LANGUAGE sql AS \$\$ SELECT 1 \$\$;\n",
	'00000000000000_diesel_initial_setup/down.sql' => "DROP FUNCTION dz_setup();\n",
	'2024-01-01-000000_create_posts/up.sql' => "CREATE TABLE posts (id int);\n",
	'2024-01-01-000000_create_posts/down.sql' => "DROP TABLE posts;\nDROP TABLE no_such_table;\n",
	'2024-01-02-000000_index_posts/up.sql' => "CREATE INDEX CONCURRENTLY posts_id ON posts (id);\n",
	'2024-01-02-000000_index_posts/down.sql' => "DROP INDEX posts_id;\n",
	'2024-01-02-000000_index_posts/metadata.toml' => "# Diesel's\nrun_in_transaction = false\n");
write_tree("$dz/migrations", %dz);
pgmig_ok(undef, $dz, [ 'check', '--offline' ], qr/^ok: 3 revisions, head 2024-01-02-000000; format: diesel$/,
	'Diesel: check names the format');
$node->safe_psql('postgres', 'CREATE DATABASE dzdb');
$node->safe_psql('dzdb', 'CREATE EXTENSION pgmig');
pgmig_ok($node, $dz, [ 'up', '-d', 'dzdb' ],
	qr/^applied 00000000000000 diesel initial setup .*\napplied 2024-01-01-000000 create posts .*\napplied 2024-01-02-000000 index posts \([\d.]+ ms, no transaction, 1 statement\)/,
	'Diesel: up in version order, metadata.toml\'s run_in_transaction = false honored');
is($node->safe_psql('dzdb', "SELECT string_agg(source_file, ' ' ORDER BY sortkey::numeric) FROM pgmig.revisions"),
	'00000000000000_diesel_initial_setup/up.sql 2024-01-01-000000_create_posts/up.sql 2024-01-02-000000_index_posts/up.sql',
	'Diesel: a revision per folder, named by its up.sql');
($st, $out, $err) = pgmig($node, $dz, [ 'down', 'base', '-d', 'dzdb' ]);
like($err, qr/down script of revision 2024-01-01-000000, file "2024-01-01-000000_create_posts\/down\.sql" line 2/,
	'Diesel: a down error names the folder\'s down.sql and the line');
write_file("$dz/migrations/2024-01-01-000000_create_posts/down.sql", "DROP TABLE posts;\n");
pgmig_ok($node, $dz, [ 'down', 'base', '-d', 'dzdb' ], qr/reverted 00000000000000 diesel initial setup/,
	'Diesel: down base');
is($node->safe_psql('dzdb', "SELECT to_regclass('posts') IS NULL"), 't', 'Diesel: reverted');
pgmig_ok(undef, $dz, [ 'new', '-m', 'add users' ],
	qr/^created migrations\/\d{4}-\d\d-\d\d-\d{6}_add_users\/up\.sql\ncreated migrations\/\d{4}-\d\d-\d\d-\d{6}_add_users\/down\.sql$/,
	'Diesel: new writes a folder, named as Diesel names them');
# a folder without its up.sql, and a mix with another layout
make_path("$dz/migrations/2024-01-03-000000_broken");
write_file("$dz/migrations/2024-01-03-000000_broken/down.sql", "SELECT 1;\n");
pgmig_fails(undef, $dz, [ 'check', '--offline' ], qr/file "migrations\/2024-01-03-000000_broken\/down\.sql" has no up file beside it/,
	'Diesel: a folder without up.sql', %offline);
remove_tree("$dz/migrations/2024-01-03-000000_broken");
write_file("$dz/migrations/5_x.up.sql", "SELECT 1;\n");
pgmig_fails(undef, $dz, [ 'check', '--offline' ], qr/mixes golang-migrate's layout and diesel's/,
	'Diesel: a folder mixing layouts', %offline);
unlink "$dz/migrations/5_x.up.sql";
# a database Diesel migrated, as its documentation defines its table
$node->safe_psql('postgres', 'CREATE DATABASE dzimp');
$node->safe_psql('dzimp', 'CREATE FUNCTION dz_setup() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$; CREATE TABLE posts (id int);'
	. ' CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL,'
	. ' run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);'
	. " INSERT INTO __diesel_schema_migrations (version) VALUES ('00000000000000'), ('20240101000000');"
	. ' CREATE EXTENSION pgmig');
pgmig_fails($node, $dz, [ 'up', '-d', 'dzimp' ], qr/was migrated by Diesel.*hint: Run "pgmig import" first/s,
	'Diesel: up refuses its database, and says to import');
pgmig_ok($node, $dz, [ 'import', '-d', 'dzimp' ], qr/^imported 2 revisions from Diesel \(public\.__diesel_schema_migrations\)/m,
	'Diesel: import of its catalog');
pgmig_ok($node, $dz, [ 'up', '-d', 'dzimp' ], qr/^applied 2024-01-02-000000 index posts .*\napplied \d{4}-\d\d-\d\d-\d{6} add users /,
	'Diesel: then up applies only what Diesel had not');

# Sqitch's layout and catalog: t/132_sqitch.pl

pgmig_done();
