
# Many appliers at once: 32 "pgmig up" started together over a history
# that mixes transactional and CREATE INDEX CONCURRENTLY revisions, with
# callers of SELECT mig_apply() inside transactions among them.  Every
# revision is applied exactly once, nobody deadlocks, every index is
# valid, and the catalog matches the schema.
use strict;
use warnings;

use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = new_node('stress', conf => "max_connections = 80");
my $dir = new_project('stress');
pgmig_ok($node, $dir, ['init'], qr/created extension/, 'init');

# odd revisions in a transaction, even ones build an index concurrently
my $n = 10;
foreach my $r (1 .. $n)
{
	my $t = 'st' . (int(($r + 1) / 2));
	if ($r % 2)
	{
		write_migration($dir, "${r}_table.sql",
			migration("CREATE TABLE $t (id int, v int);\nINSERT INTO $t SELECT i, i FROM generate_series(1, 2000) i;\nINSERT INTO applied VALUES ($r);",
				"DROP TABLE $t;"));
	}
	else
	{
		write_migration($dir, "${r}_index.sql",
			migration("CREATE INDEX CONCURRENTLY ${t}_id ON $t (id);\nINSERT INTO applied VALUES ($r);\nCREATE INDEX CONCURRENTLY ${t}_v ON $t (v);",
				"DROP INDEX CONCURRENTLY ${t}_v;\nDROP INDEX CONCURRENTLY ${t}_id;", notx => 1));
	}
}
# what each revision did, once per run of its script
$node->safe_psql('postgres', 'CREATE TABLE applied (r int)');
# register the files, so that the callers of mig_apply() have a plan too
pgmig_ok($node, $dir, [ 'stamp', 'base' ], undef, 'the files are registered', allow_stderr => 1);

my @clients;
foreach my $i (1 .. 32)
{
	push @clients, pgmig_start($node, $dir, ['up']);
	# callers in a transaction, applying the first revision, among them
	if ($i % 4 == 0)
	{
		my %h = (out => '', err => '');
		$h{run} = IPC::Run::start(
			[ 'psql', '-X', '-d', $node->connstr('postgres'), '-v', 'ON_ERROR_STOP=1',
			  '-c', "BEGIN; SELECT revision FROM mig_apply('1'); SELECT pg_sleep(0.1); COMMIT;" ],
			'<', \'', '>', \$h{out}, '2>', \$h{err});
		push @clients, \%h;
	}
}

my ($ok_clients, $ok_callers, $stepped_aside, $other) = (0, 0, 0, 0);
my $all_err = '';
foreach my $h (@clients)
{
	if ($h->{args})
	{
		my ($status, $out, $err) = pgmig_finish($h);
		$ok_clients++ if $status == 0;
		$all_err .= $err;
		next;
	}
	$h->{run}->finish;
	$all_err .= $h->{err};
	if ($h->{run}->result(0) == 0) { $ok_callers++; }
	elsif ($h->{err} =~ /ERROR:  the migration run of process \d+ is waiting for this transaction/) { $stepped_aside++; }
	else { $other++; diag("caller failed: $h->{err}"); }
}
is($ok_clients, 32, 'every pgmig up succeeded');
is($ok_callers + $stepped_aside, 8, 'every caller in a transaction applied, or stepped aside for an index build');
is($other, 0, 'no caller failed otherwise');
unlike($all_err, qr/deadlock detected/i, 'nobody deadlocked');
note("callers that applied: $ok_callers, that stepped aside: $stepped_aside");

is(sql_value($node, "SELECT count(*) FROM pgmig.schema_migrations WHERE state = 'complete' AND pending IS NULL"),
	$n, 'every revision is applied and complete');
is(sql_value($node, "SELECT string_agg(r::text, ',' ORDER BY r) FROM applied"),
	join(',', 1 .. $n), 'every revision ran exactly once');
is(sql_value($node, "SELECT count(*) FROM pgmig.events WHERE action = 'apply' AND success"),
	$n, 'the audit log has one apply per revision');
is(sql_value($node, "SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid WHERE c.relname ~ '^st[0-9]+\$'"),
	$n, 'every index is there');
is(sql_value($node, "SELECT count(*) FROM pg_index WHERE NOT indisvalid"), '0', 'every index is valid');
is(sql_value($node, 'SELECT count(*) FROM pgmig.runs'), '0', 'no run is left noted');
pgmig_ok($node, $dir, ['status'], qr/^Applied: $n\nPending: 0\n/m, 'status agrees');

pgmig_done();
