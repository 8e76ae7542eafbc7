# Progress as it happens: "pgmig up" and "down" say on stderr when each
# revision starts and ends, as it happens, although the server runs them
# in one call; on a terminal a live line says where the run is, with the
# phase of an index build.  What stdout says was applied stays what was
# committed.
#
# No timing: a revision that must be caught running waits for an advisory
# lock that the test holds, and the test checks in pg_stat_activity that
# it is still waiting once its start line has arrived; an index build is
# held in a known phase by a transaction that wrote to its table.
use strict;
use warnings;
use Cwd;
use IPC::Run;
use PostgreSQL::Test::Utils;
use Test::More;
use lib 'test/lib';
use PgmigTest;

my $node = new_node('progress');
$node->safe_psql('postgres', 'CREATE EXTENSION pgmig');
my $dir = new_project('progress');

write_migration($dir, '001_one.sql', migration('CREATE TABLE one (x int);', 'DROP TABLE one;'));
# waits, with no lock_timeout, until the test lets it go
write_migration($dir, '002_waits.sql',
	migration("SET lock_timeout = 0;\nSELECT pg_advisory_xact_lock(4242);\nCREATE TABLE two (x int);",
		'DROP TABLE two;'));

# A psql session of the test's own, fed line by line.
sub session
{
	my %s = (in => '', out => '', err => '', timer => IPC::Run::timer(1));
	$s{h} = IPC::Run::start([ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr('postgres') ],
		'<', \$s{in}, '>', \$s{out}, '2>', \$s{err}, $s{timer});
	return \%s;
}

# Run "sql" in the session and wait for its output to match "done".
sub session_do
{
	my ($s, $sql, $done) = @_;
	$s->{timer}->start($PostgreSQL::Test::Utils::timeout_default);
	$s->{out} = '';
	$s->{in} .= $sql;
	$s->{h}->pump until $s->{out} =~ $done || $s->{timer}->is_expired;
	ok($s->{out} =~ $done, "session: $sql") or diag("session stderr: $s->{err}");
}

# Start pgmig with its output read as it comes: on a pipe, or with
# stdout and stderr on one pseudo-terminal ("pty").
sub start_pgmig
{
	my ($args, %opts) = @_;
	my %h = (out => '', err => '', args => $args, timer => IPC::Run::timer(1));
	local %ENV = %ENV;
	delete $ENV{PGMIG_PROGRESS};
	delete $ENV{NO_COLOR};
	%ENV = (%ENV, PGHOST => $node->host, PGPORT => $node->port, PGDATABASE => 'postgres', %{ $opts{env} || {} });
	my $cwd = Cwd::getcwd();
	chdir $dir or die "chdir $dir: $!";
	if ($opts{pty})
	{
		$h{run} = IPC::Run::start([ PgmigTest::pgmig_command(), @$args ], '<', \'', '>pty>', \$h{out}, '2>&1', $h{timer});
	}
	else
	{
		$h{run} = IPC::Run::start([ PgmigTest::pgmig_command(), @$args ], '<', \'', '>', \$h{out}, '2>', \$h{err}, $h{timer});
	}
	chdir $cwd;
	return \%h;
}

# Read pgmig's output until "what" (stderr, or the pty's output) matches.
sub wait_for
{
	my ($h, $what, $like) = @_;
	$h->{timer}->start($PostgreSQL::Test::Utils::timeout_default);
	$h->{run}->pump
	  until $h->{$what} =~ $like || $h->{timer}->is_expired || !$h->{run}->pumpable;
	return 1 if $h->{$what} =~ $like;
	diag("pgmig's output so far:\n$h->{out}\n$h->{err}");
	return 0;
}

# Wait until the pgmig client's backend waits for the test's advisory
# lock, inside the revision that takes it; false if it never does.
sub pgmig_waits
{
	return 1 if $node->poll_query_until('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid()"
		  . " AND wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE '%FROM pgmig.apply(%'",
		'1');
	diag($node->safe_psql('postgres',
		"SELECT application_name, state, wait_event_type, wait_event, query FROM pg_stat_activity"));
	return 0;
}

# ---------- on a pipe: a line as each revision starts and ends ----------
my $lock = session();
session_do($lock, "SELECT pg_advisory_lock(4242);\n\\echo locked\n", qr/locked/);

# a user's client_min_messages hides nothing from the client
my $h = start_pgmig(['up'], env => { PGOPTIONS => '-c client_min_messages=error' });
ok(wait_for($h, 'err', qr/^applying 002 waits\n/m), 'pipe: the start line of 002 arrives');
ok(pgmig_waits(), 'pipe: 002 is running, held by the test');
# read what came meanwhile: it cannot have ended
$h->{run}->pump_nb;
like($h->{err}, qr/\Aapplying 001 one\nran the up script of 001 one \([\d.]+ ms\)\napplying 002 waits\n\z/,
	'pipe: 001 started and ended, 002 started and not ended');
is($h->{out}, '', 'pipe: nothing said applied before the commit');
session_do($lock, "SELECT pg_advisory_unlock(4242);\n\\echo unlocked\n", qr/unlocked/);
my ($status, $out, $err) = pgmig_finish($h);
is($status, 0, 'pipe: up succeeds');
like($err, qr/\Aapplying 001 one\nran the up script of 001 one \([\d.]+ ms\)\napplying 002 waits\nran the up script of 002 waits \([\d.]+ (?:ms|s)\)\n\z/,
	'pipe: a line as each revision starts and ends');
like($out, qr/\Aapplied 001 one \([\d.]+ ms\)\napplied 002 waits \([\d.]+ (?:ms|s)\)\n\z/, 'pipe: stdout says what was committed');
unlike($err, qr/[\e\r]/, 'pipe: no escape codes, no carriage returns');

# the same going down, and redo, which shares the code
($status, $out, $err) = pgmig($node, $dir, [ 'down', 'base' ], env => { PGMIG_PROGRESS => undef });
is($status, 0, 'down succeeds');
like($err, qr/\Areverting 002 waits\nran the down script of 002 waits \([^)]*\)\nreverting 001 one\nran the down script of 001 one \([^)]*\)\n\z/,
	'down: a line as each revision starts and ends');
like($out, qr/\Areverted 002 waits .*\nreverted 001 one .*\n\z/, 'down: stdout says what was committed');

# PGMIG_PROGRESS=lines gives the same; off and -q give none
($status, $out, $err) = pgmig($node, $dir, [ 'up', '--dry-run' ], env => { PGMIG_PROGRESS => 'lines' });
like($err, qr/\Aapplying 001 one\nran the up script of 001 one \([\d.]+ ms, dry run\)\napplying 002 waits\nran the up script of 002 waits \([^)]*, dry run\)\n\z/,
	'up --dry-run: lines, marked dry run');
($status, $out, $err) = pgmig($node, $dir, [ 'up', '-q' ], env => { PGMIG_PROGRESS => undef });
is($status, 0, 'up -q succeeds');
is($out . $err, '', 'up -q: no progress, nothing at all');
($status, $out, $err) = pgmig($node, $dir, [ 'redo' ], env => { PGMIG_PROGRESS => 'off' });
is($err, '', 'PGMIG_PROGRESS=off: no progress');
like($out, qr/\Areverted 002 waits .*\napplied 002 waits .*\n\z/, 'PGMIG_PROGRESS=off: stdout as ever');
($status, $out, $err) = pgmig($node, $dir, ['redo'], env => { PGMIG_PROGRESS => 'sometimes' });
is($status, 2, 'a bad PGMIG_PROGRESS is a usage error');
like($err, qr/invalid value "sometimes" for environment variable PGMIG_PROGRESS/, 'a bad PGMIG_PROGRESS: the message');

# rolled-back work is never said to be applied; a script's own notices stay
write_migration($dir, '003_notice.sql',
	migration("DO \$\$BEGIN RAISE NOTICE 'hello from 003'; END\$\$;\nCREATE TABLE three (x int);", 'DROP TABLE three;'));
write_migration($dir, '004_fails.sql', migration("CREATE TABLE four (x int);\nSELECT 1/0;", 'DROP TABLE four;'));
($status, $out, $err) = pgmig($node, $dir, ['up'], env => { PGMIG_PROGRESS => undef });
is($status, 1, 'a failing run fails');
like($err, qr/\Aapplying 003 notice\nNOTICE:  hello from 003\nran the up script of 003 notice \([^)]*\)\napplying 004 fails\npgmig: error: division by zero\n/,
	'a failing run: its revisions started and ran, the notice shown');
like($err, qr/nothing was applied: the transaction was rolled back\n\z/, 'a failing run: rolled back');
unlike($out . $err, qr/^(?:applied|committed)/m, 'a failing run: nothing said applied');
is($out, '', 'a failing run: nothing on stdout');
unlink "$dir/migrations/004_fails.sql";

# ---------- on a terminal: the live line ----------
SKIP:
{
	skip 'IO::Pty is not installed', 1 unless eval { require IO::Pty; 1 };

	pgmig_ok($node, $dir, [ 'down', '001' ], undef, 'down to 001');
	session_do($lock, "SELECT pg_advisory_lock(4242);\n\\echo locked\n", qr/locked/);
	$h = start_pgmig(['up'], pty => 1, env => { COLUMNS => 200 });
	ok(wait_for($h, 'out', qr/applying 1 of 2: 002 waits, statement 2 of 3 at line 3, [\d.]+ s/),
		'pty: the live line says revision, statement and line');
	ok(pgmig_waits(), 'pty: 002 is running, held by the test');
	$h->{run}->pump_nb;
	unlike($h->{out}, qr/applied/, 'pty: nothing said applied before the commit');
	session_do($lock, "SELECT pg_advisory_unlock(4242);\n\\echo unlocked\n", qr/unlocked/);
	($status, $out) = pgmig_finish($h);
	is($status, 0, 'pty: up succeeds');
	like($out, qr/\r\e\[K/, 'pty: the live line is rewritten in place');
	like($out, qr/(?:\n|\e\[K)applied 002 waits .*\r?\napplied 003 notice .*\r?\n\z/, 'pty: the result on lines of its own');
	unlike($out =~ s/.*\e\[K//sr, qr/applying/, 'pty: the live line is erased at the end');
	unlike($out, qr/^ran the /m, 'pty: no plain lines');

	# NO_COLOR: no escape codes, the line erased with spaces
	pgmig_ok($node, $dir, [ 'down', '001' ], undef, 'down to 001 again');
	$h = start_pgmig(['up'], pty => 1, env => { NO_COLOR => 1, COLUMNS => 200 });
	($status, $out) = pgmig_finish($h);
	is($status, 0, 'pty, NO_COLOR: up succeeds');
	like($out, qr/\rapplying 1 of 2: 002 waits/, 'pty, NO_COLOR: the live line');
	unlike($out, qr/\e/, 'pty, NO_COLOR: no escape codes');

	# an index build held waiting for a writer: its phase on the live line
	$node->safe_psql('postgres', 'CREATE TABLE big AS SELECT g AS x FROM generate_series(1, 100000) g');
	write_migration($dir, '005_index.sql',
		migration("SELECT 1;\nCREATE INDEX CONCURRENTLY big_x ON big (x);", 'DROP INDEX CONCURRENTLY big_x;', notx => 1));
	session_do($lock, "BEGIN;\nINSERT INTO big VALUES (0);\n\\echo inserted\n", qr/inserted/);
	$h = start_pgmig(['up'], pty => 1, env => { COLUMNS => 200 });
	ok(wait_for($h, 'out',
		qr/applying 1 of 1: 005 index, statement 2 of 2 at line 3, [\d.]+ s, CREATE INDEX CONCURRENTLY: waiting for writers before build, lockers 0 of 1/),
		'pty: the live line shows the phase of CREATE INDEX CONCURRENTLY');
	session_do($lock, "COMMIT;\n\\echo committed\n", qr/committed/);
	($status, $out) = pgmig_finish($h);
	is($status, 0, 'pty: the index is built');
	like($out, qr/applied 005 index \([^)]*no transaction, 2 statements\)\r?\n\z/, 'pty: the no-transaction revision applied');
}

$lock->{in} .= "\\q\n";
$lock->{h}->finish;

pgmig_done();
