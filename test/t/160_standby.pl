
# A primary and a streaming standby (issue 16, replicas): status works on
# the standby, read-only; every command that changes the database refuses
# it before doing anything, in the client and in the server; after an up
# on the primary the standby reports the same head once it has replayed.
use strict;
use warnings;

use PgmigTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', "pgmig.check_map = on\npgmig.check_catalog = on\n");
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION pgmig');

my $dir = new_project('standby');
write_migration($dir, '001_one.sql', migration('CREATE TABLE s1 (id int);', 'DROP TABLE s1;'));
write_migration($dir, '002_two.sql', migration('CREATE TABLE s2 (id int);', 'DROP TABLE s2;'));
pgmig_ok($primary, $dir, [ 'up', '001' ], qr/^applied 001 /, 'primary: up 001');

$primary->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;
$primary->wait_for_catchup($standby);

# read-only commands work there
pgmig_ok($standby, $dir, ['status'], qr/^\[X\] 001_one\.sql\n\[ \] 002_two\.sql  \(head\)/m, 'standby: status');
pgmig_ok($standby, $dir, ['current'], qr/^001 one\n\z/, 'standby: current');
pgmig_ok($standby, $dir, ['check'], qr/^ok: 2 revisions, 1 applied, 1 pending/, 'standby: check');
is($standby->safe_psql('postgres', 'SELECT mig_status()'), $primary->safe_psql('postgres', 'SELECT mig_status()'),
	'standby: mig_status() as on the primary');

# what changes the database refuses it, before doing anything
foreach my $cmd ([ 'up' ], [ 'down', 'base' ], [ 'stamp', '002' ], [ 'redo' ], [ 'verify' ], [ 'up', '--dry-run' ])
{
	my ($st, $out, $err) = pgmig($standby, $dir, $cmd);
	is($st, 1, "standby: @$cmd exits 1");
	like($err, qr/error: database "postgres" is on a standby server\n.*hint: Run pgmig against the primary/s,
		"standby: @$cmd says it is a standby");
}
my ($rc, $out, $err) = ('', '', '');
$rc = $standby->psql('postgres', 'SELECT * FROM mig_apply()', stdout => \$out, stderr => \$err);
like($err, qr/ERROR:  pgmig cannot change a standby server\nDETAIL:  This server is in recovery/,
	'standby: the server refuses mig_apply() too, with its reason');
$rc = $standby->psql('postgres', "SELECT * FROM mig_register('003_x.sql', E'-- migrate:up\\nSELECT 1;\\n')",
	stdout => \$out, stderr => \$err);
like($err, qr/pgmig cannot change a standby server/, 'standby: and mig_register()');

# the primary moves on; the standby follows once it has replayed
pgmig_ok($primary, $dir, ['up'], qr/^applied 002 /, 'primary: up');
$primary->wait_for_catchup($standby);
pgmig_ok($standby, $dir, ['current'], qr/^002 two \(head\)\n\z/, 'standby: the same head after replay');
is($standby->safe_psql('postgres', "SELECT count(*) FROM pg_tables WHERE tablename IN ('s1', 's2')"), '2',
	'standby: and the tables');

# --wait-for-replicas: the standby has the run when up returns
write_migration($dir, '003_three.sql', migration('CREATE TABLE s3 (id int);', 'DROP TABLE s3;'));
pgmig_ok($primary, $dir, [ 'up', '--wait-for-replicas=standby' ], qr/^applied 003 .*\n(?:waiting for the standbys to replay the run \(WAL \S+\)\n)?replayed by standby$/m,
	'primary: up --wait-for-replicas');
is($standby->safe_psql('postgres', "SELECT to_regclass('s3') IS NOT NULL"), 't',
	'standby: the run is replayed when up returns');
write_migration($dir, '004_four.sql', migration('CREATE TABLE s4 (id int);', 'DROP TABLE s4;'));
my ($wst, $wout, $werr) = pgmig($primary, $dir, [ 'up', '--wait-for-replicas=standby,nosuch' ]);
is($wst, 1, '--wait-for-replicas: a standby that is not connected exits 1');
like($werr, qr/no standby named "nosuch" is connected to the primary\n.*detail: The run is committed on the primary/s,
	'--wait-for-replicas: says which, and that the run is committed');
is($primary->safe_psql('postgres', "SELECT count(*) FROM pgmig.schema_migrations WHERE id = '004'"), '1',
	'--wait-for-replicas: the run is committed all the same');

pgmig_done();
