
# The --json outputs against their schemas in json-schema/ (issue 13):
# status, history (with -v, and offline), current and heads (online and
# offline), in states that fill every field: branches and labels, a
# pending out-of-order revision, a half-done no-transaction revision, a
# failure in the audit log, an applied revision whose file is gone, drift.
use strict;
use warnings;

use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('json');
$node->safe_psql('postgres', 'CREATE EXTENSION pgmig');
my $dir = new_project('json');

# every output of the inspecting commands, validated
sub validate_all
{
	my ($when) = @_;
	my %commands = (
		'status --json' => 'status.json',
		'history --json' => 'history.json',
		'history -v --json' => 'history.json',
		'history --offline --json' => 'history.json',
		'current --json' => 'heads.json',
		'heads --json' => 'heads.json',
		'heads --offline --json' => 'heads.json');
	foreach my $cmd (sort keys %commands)
	{
		my ($st, $out, $err) = pgmig($node, $dir, [ split / /, $cmd ]);
		is($st, 0, "$when: $cmd exits 0");
		like(validate_json($out, $commands{$cmd}), qr/^valid$/, "$when: $cmd matches json-schema/$commands{$cmd}");
	}
}

# the validator works: a field the schema does not know is refused
like(validate_json('[{"revision":"1","description":"x","head":true,"state":"complete","colour":"blue"}]', 'heads.json'),
	qr/^invalid: Additional properties are not allowed/, 'the validator refuses an unknown field');
like(validate_json('[{"revision":"1","description":"x","head":true,"state":"sleeping"}]', 'heads.json'),
	qr/^invalid:/, 'the validator refuses an unknown state');

# an empty database
validate_all('empty');

# branches, labels, applied, pending, a failure in the log
write_migration($dir, '001_base.sql', migration('CREATE TABLE j1 (id int);', 'DROP TABLE j1;'));
write_migration($dir, '002_left.sql', migration('CREATE TABLE j2 (id int);', 'DROP TABLE j2;', label => 'left'));
write_migration($dir, '003_right.sql', migration('CREATE TABLE j3 (id int);', 'DROP TABLE j3;', revises => '001'));
write_migration($dir, '005_leaf.sql', migration('CREATE TABLE j5 (id int);', 'DROP TABLE j5;', revises => '001'));
pgmig_ok($node, $dir, [ 'up', 'heads' ], qr/applied 005/, 'set-up: three heads applied');
write_migration($dir, '004_fails.sql', migration('SELECT * FROM no_such_table;', undef, revises => '002 003'));
pgmig_fails($node, $dir, [ 'up', '004' ], qr/no_such_table/, 'set-up: a failing revision');
validate_all('branches and a failure');

# a half-done no-transaction revision, an out-of-order one, drift, a gone file
write_migration($dir, '004_fails.sql', migration("CREATE INDEX CONCURRENTLY j1_id ON j1 (id);\nSELECT * FROM no_such_table;",
	undef, revises => '002 003', notx => 1));
pgmig_fails($node, $dir, [ 'up', '004' ], qr/no_such_table/, 'set-up: a half-done revision');
write_migration($dir, '0025_late.sql', migration('SELECT 1;', undef, revises => '001'));
$node->safe_psql('postgres', 'CREATE TABLE outside_migrations (id int)');
unlink "$dir/migrations/005_leaf.sql";
validate_all('half-done, out of order, drift, a file gone');
my ($st, $out) = pgmig($node, $dir, [ 'status', '--json' ]);
like($out, qr/"state":"failed"/, 'the half-done state is in the output validated');
like($out, qr/"drift":\[\{"change":"added","object":"table public\.outside_migrations"\}/, 'and the drift');
like($out, qr/"file":null/, 'and the gone file');

pgmig_done();
