# A database Alembic migrated, taken over (issue 12): the real Alembic
# (Debian's python3-alembic, python3-psycopg2) upgrades a database to a
# middle revision; the project's SQL files name the Alembic revision each
# was converted from ("-- pgmig:alembic REV"); "pgmig import" records
# alembic_version's heads and their ancestors as applied, and "pgmig up"
# applies the rest.  Heads without a file, ancestors that are no Alembic
# revision, and two files of one revision are reported; nothing is
# imported then.
use strict;
use warnings;

use Cwd qw(getcwd);
use File::Path qw(make_path);
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('alembic');
my ($st, $out, $err);
my $python = '/usr/bin/python3';

# an Alembic project: three revisions, each op.execute()ing its SQL
my $proj = PostgreSQL::Test::Utils::tempdir('alembic');
my @revs = (
	[ 'a1b2c3d4e5f6', undef, 'CREATE TABLE accounts (id int PRIMARY KEY)', 'DROP TABLE accounts' ],
	[ 'b2c3d4e5f6a1', 'a1b2c3d4e5f6', 'ALTER TABLE accounts ADD COLUMN email text', 'ALTER TABLE accounts DROP COLUMN email' ],
	[ 'c3d4e5f6a1b2', 'b2c3d4e5f6a1', 'CREATE INDEX accounts_email ON accounts (email)', 'DROP INDEX accounts_email' ]);
my $url = sprintf('postgresql+psycopg2://%s@/alimp?host=%s&port=%d',
	scalar(getpwuid($<)), $node->host, $node->port);
make_path("$proj/alembic/versions", "$proj/migrations");
write_file("$proj/alembic.ini", "[alembic]\nscript_location = alembic\nsqlalchemy.url = $url\n");
write_file("$proj/alembic/env.py", <<'EOF');
from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section),
                            prefix="sqlalchemy.", poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
EOF
write_file("$proj/alembic/script.py.mako", "");
my $n = 0;
foreach my $r (@revs)
{
	my ($rev, $down, $up_sql, $down_sql) = @$r;
	$n++;
	write_file("$proj/alembic/versions/${rev}_step$n.py",
		"from alembic import op\n\nrevision = '$rev'\ndown_revision = " . (defined $down ? "'$down'" : 'None')
		  . "\nbranch_labels = None\ndepends_on = None\n\n"
		  . "def upgrade():\n    op.execute(\"$up_sql\")\n\n"
		  . "def downgrade():\n    op.execute(\"$down_sql\")\n");
	# the same revision converted to pgmig's layout
	write_migration($proj, sprintf('%03d_step%d.sql', $n, $n),
		"-- converted from Alembic's revision $rev\n-- pgmig:alembic $rev\n"
		  . "-- migrate:up\n$up_sql;\n-- migrate:down\n$down_sql;\n");
}

# run Alembic in the project; returns its exit status
sub alembic
{
	my (@args) = @_;
	my ($o, $e) = ('', '');
	my $cwd = getcwd();
	chdir $proj or die "chdir $proj: $!";
	IPC::Run::run([ $python, '-m', 'alembic', @args ], '<', \'', '>', \$o, '2>', \$e);
	chdir $cwd;
	note("alembic @args: exit $?\n$o$e");
	return $? >> 8;
}

$node->safe_psql('postgres', 'CREATE DATABASE alimp');
is(alembic('upgrade', 'b2c3d4e5f6a1'), 0, 'real Alembic upgrades to the middle revision');
is($node->safe_psql('alimp', 'SELECT version_num FROM alembic_version'), 'b2c3d4e5f6a1',
	'alembic_version has its head');
$node->safe_psql('alimp', 'CREATE EXTENSION pgmig');
pgmig_fails($node, $proj, [ 'up', '-d', 'alimp' ], qr/was migrated by Alembic.*hint: Run "pgmig import" first/s,
	'Alembic: up refuses its database, and says to import');

# a head without a file: nothing imported
my $f2 = "$proj/migrations/002_step2.sql";
my $text2 = read_file_text($f2);
write_file($f2, $text2 =~ s/-- pgmig:alembic \S+\n//r);
pgmig_fails($node, $proj, [ 'import', '-d', 'alimp' ],
	qr/Alembic's head b2c3d4e5f6a1 has no file in "migrations"\n.*detail: No file has the line "-- pgmig:alembic b2c3d4e5f6a1"/,
	'Alembic: a head without a file');
# an ancestor that was never Alembic's
write_file($f2, $text2);
write_migration($proj, '000_extra.sql', "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n");
pgmig_fails($node, $proj, [ 'import', '-d', 'alimp' ],
	qr/revision 000 \(file "migrations\/000_extra\.sql"\) comes before Alembic's head, and names no Alembic revision/,
	'Alembic: an ancestor that names no Alembic revision');
unlink "$proj/migrations/000_extra.sql";
# two files of one revision
write_migration($proj, '004_again.sql', "-- pgmig:alembic a1b2c3d4e5f6\n-- migrate:up\nSELECT 1;\n");
pgmig_fails($node, $proj, [ 'import', '-d', 'alimp' ],
	qr/files "migrations\/001_step1\.sql" and "migrations\/004_again\.sql" both name Alembic revision a1b2c3d4e5f6/,
	'Alembic: two files of one revision');
unlink "$proj/migrations/004_again.sql";
is($node->safe_psql('alimp', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'Alembic: nothing imported so far');
# a malformed directive is the file's error, with its line
write_migration($proj, '004_bad.sql', "-- pgmig:alembic\n-- migrate:up\nSELECT 1;\n");
pgmig_fails(undef, $proj, [ 'check', '--offline' ],
	at_file_line('alembic directive needs one revision', '004_bad.sql', 1),
	'Alembic: a directive without its revision', env => { PGHOST => '/nonexistent', PGPORT => '1' });
unlink "$proj/migrations/004_bad.sql";

pgmig_ok($node, $proj, [ 'import', '-d', 'alimp' ], qr/^imported 2 revisions from Alembic \(public\.alembic_version\)/m,
	'Alembic: import of its head and its ancestors');
is($node->safe_psql('alimp', "SELECT string_agg(id || ':' || method, ',' ORDER BY id) FROM pgmig.schema_migrations"),
	'001:stamped,002:stamped', 'Alembic: the head and its ancestor recorded as stamped');
pgmig_ok($node, $proj, [ 'up', '-d', 'alimp' ], qr/^applied 003 step3 [^\n]*\n(?!applied)/,
	'Alembic: then up applies only what Alembic had not');
is($node->safe_psql('alimp', "SELECT to_regclass('accounts_email') IS NOT NULL"), 't',
	'Alembic: the schema has the rest');
is($node->safe_psql('alimp', 'SELECT version_num FROM alembic_version'), 'b2c3d4e5f6a1',
	'Alembic: its table is left alone');

# two heads (alembic_version as Alembic keeps a branched history: a row
# per head): each head's ancestors, and only those
$node->safe_psql('postgres', 'CREATE DATABASE albranch');
$node->safe_psql('albranch', 'CREATE TABLE accounts (id int PRIMARY KEY); CREATE TABLE audit (id int);'
	. ' CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY);'
	. " INSERT INTO alembic_version VALUES ('a1b2c3d4e5f6'), ('d4e5f6a1b2c3'); CREATE EXTENSION pgmig");
write_migration($proj, '004_audit.sql', "-- pgmig:revises 001\n-- pgmig:alembic d4e5f6a1b2c3\n"
	. "-- migrate:up\nCREATE TABLE audit (id int);\n-- migrate:down\nDROP TABLE audit;\n");
write_migration($proj, '005_merge.sql', "-- pgmig:revises 003 004\n-- migrate:up\n-- migrate:down\n");
pgmig_ok($node, $proj, [ 'import', '--drop', '-d', 'albranch' ], qr/^imported 2 revisions from Alembic/m,
	'Alembic: import of two heads');
is($node->safe_psql('albranch', "SELECT string_agg(id, ',' ORDER BY id) FROM pgmig.schema_migrations"),
	'001,004', 'Alembic: both heads, the one shared ancestor once, nothing else');
is($node->safe_psql('albranch', "SELECT to_regclass('alembic_version') IS NULL"), 't',
	'Alembic: --drop dropped alembic_version');
pgmig_ok($node, $proj, [ 'up', '-d', 'albranch' ], qr/^applied 002 .*\napplied 003 .*\napplied 005 /,
	'Alembic: up applies the other branch and the merge');

pgmig_done();
