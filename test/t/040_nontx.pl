
# No-transaction revisions (CREATE INDEX CONCURRENTLY): the run is split
# around them, their statements run one by one at top level with their
# progress recorded; one that fails halfway shows in status and resumes.
# Two "pgmig up" started at once apply every revision exactly once, and
# Ctrl-C cancels the running statement.
use strict;
use warnings;

use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = new_node('nontx');
my $dir = new_project('nontx');
pgmig_ok($node, $dir, ['init'], qr/created extension pgmig/, 'init');

write_migration($dir, '1_table.sql',
	migration("CREATE TABLE t (a int, b int);\nINSERT INTO t SELECT i, i FROM generate_series(1, 1000) i;",
		'DROP TABLE t;'));
write_migration($dir, '2_indexes.sql',
	migration("CREATE INDEX CONCURRENTLY t_a ON t (a);\nCREATE INDEX CONCURRENTLY t_b ON t (b);",
		"DROP INDEX CONCURRENTLY t_b;\nDROP INDEX CONCURRENTLY t_a;", notx => 1));
write_migration($dir, '3_after.sql', migration('CREATE TABLE after (id int);', 'DROP TABLE after;'));

# a dry run stops before a no-transaction revision
my ($out, $err) = pgmig_ok($node, $dir, [ 'up', '--dry-run' ],
	qr/^applied 1 table \([\d.]+ ms, dry run\)\ndry run: rolled back\n\z/, 'up --dry-run', allow_stderr => 1);
like($err, qr/warning: dry run stops before no-transaction revision 2: its statements cannot run in a transaction that is rolled back/,
	'dry run: says why it stops');
is(sql_value($node, 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'dry run: nothing applied');

pgmig_ok($node, $dir, ['up'],
	qr/^applied 1 table \([\d.]+ ms\)\napplied 2 indexes \([\d.]+ ms, no transaction, 2 statements\)\napplied 3 after \([\d.]+ ms\)\n\z/,
	'up splits the run around the no-transaction revision');
is(sql_value($node, "SELECT string_agg(indexrelid::regclass || ':' || indisvalid, ',' ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = 't'::regclass"),
	't_a:true,t_b:true', 'the indexes were built concurrently and are valid');
is(sql_value($node, "SELECT state || ' ' || coalesce(statements_done::text, 'null') FROM pgmig.schema_migrations WHERE id = '2'"),
	'complete null', 'the no-transaction revision is complete');
pgmig_ok($node, $dir, ['status'], qr/^\[X\] 2_indexes.sql\n/m, 'status');
pgmig_ok($node, $dir, [ 'show', '2' ], qr/^Transaction: no$/m, 'show: no transaction');

# reverting it runs its down script the same way
pgmig_ok($node, $dir, [ 'down', '1' ],
	qr/^reverted 3 after \([\d.]+ ms\)\nreverted 2 indexes \([\d.]+ ms, no transaction, 2 statements\)\n\z/, 'down 1');
is(sql_value($node, "SELECT count(*) FROM pg_index WHERE indrelid = 't'::regclass"), '0', 'the indexes are gone');
pgmig_ok($node, $dir, ['up'], qr/^applied 2 indexes .*\napplied 3 after /, 'up again');
($out, $err) = pgmig_ok($node, $dir, ['redo', '1'],
	qr/^reverted 3 .*\nreverted 2 indexes .*no transaction.*\napplied 2 indexes .*no transaction.*\napplied 3 after /,
	'redo across a no-transaction revision', allow_stderr => 1);
like($err, qr/^pgmig: warning: the round trip cannot be checked before the redo: revision 2 is a no-transaction revision\n\z/,
	'redo: a no-transaction revision cannot be checked in advance');

# one that fails halfway: what came before stays, it shows as failed
write_migration($dir, '4_before.sql', migration('CREATE TABLE before_half (id int);', 'DROP TABLE before_half;'));
write_migration($dir, '5_half.sql',
	migration("CREATE INDEX CONCURRENTLY t_ab ON t (a, b);\n\nINSERT INTO t (a)\n  SELECT x FROM later;\nCREATE INDEX CONCURRENTLY t_ba ON t (b, a);",
		"DROP INDEX CONCURRENTLY t_ba;\nDROP INDEX CONCURRENTLY t_ab;", notx => 1));
write_migration($dir, '6_next.sql', migration('CREATE TABLE next (id int);', 'DROP TABLE next;'));
($err, $out) = pgmig_fails($node, $dir, ['up'],
	qr/^pgmig: error: relation "later" does not exist\nLINE 2:   SELECT x FROM later;\n.*\nCONTEXT:  up script of revision 5, file "5_half.sql" line 5 \(no transaction: statement 2 of 3\)\n/,
	'a no-transaction revision failing halfway');
like($err, qr/no-transaction revision 5 stopped after 1 of 3 statements; "pgmig status" shows it, "pgmig up" resumes it/,
	'says where it stopped');
like($err, qr/1 revision applied and committed before the failure stays so/, 'says what stays applied');
like($out, qr/^applied 4 before \([\d.]+ ms\)\n\z/, 'the revision before it was applied');
is(sql_value($node, "SELECT string_agg(id || ' ' || state || ' ' || coalesce(statements_done::text, '-'), ',' ORDER BY id) FROM pgmig.schema_migrations WHERE id >= '4'"),
	'4 complete -,5 failed 1', 'the catalog records the failure after one statement');
is(sql_value($node, "SELECT count(*) FROM pg_class WHERE relname = 't_ab'"), '1', 'its first statement stays done');
is(sql_value($node, "SELECT format('%s %s %s', success, sqlstate, message) FROM pgmig.events WHERE revision = '5' ORDER BY event_id DESC LIMIT 1"),
	'f 42P01 relation "later" does not exist', 'the audit log has the failure');
# (what its first statement did is the migration's, not drift)
pgmig_ok($node, $dir, ['status'],
	qr/^\[!\] 5_half.sql  \(no transaction: failed after 1 statement\)\n\[ \] 6_next.sql  \(head\)\n\nApplied: 4\nPending: 1\nHead: 6\nwarning: 1 no-transaction revision stopped halfway; "pgmig up" resumes one going up, "pgmig down" one going down\n\z/m,
	'status shows it half-done');
pgmig_fails($node, $dir, ['check'], qr/no-transaction revision 5 stopped halfway \(failed after 1 statements\)\n.*hint: Fix the cause, then run "pgmig up" to resume it/s,
	'check reports it');
pgmig_ok($node, $dir, ['current'], qr/^4 before\n\z/, 'current: the last complete revision');

# fix the cause: up resumes at the statement that failed
$node->safe_psql('postgres', 'CREATE TABLE later (x int); INSERT INTO later VALUES (-1)');
pgmig_ok($node, $dir, ['up'],
	qr/^resuming 5 at statement 2 of 3\napplied 5 half \([\d.]+ ms, no transaction, 2 statements\)\napplied 6 next /,
	'up resumes');
is(sql_value($node, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relname IN ('t_ab', 't_ba')"),
	't_ab,t_ba', 'both indexes exist');
is(sql_value($node, "SELECT count(*) FROM t WHERE a = -1"), '1', 'the failed statement ran once');

# Ctrl-C during a transactional revision: canceled, nothing applied
write_migration($dir, '7_slow.sql', migration("CREATE TABLE slow (id int);\nSELECT pg_sleep(60);", 'DROP TABLE slow;'));
sub wait_for_sleep
{
	foreach (1 .. 600)
	{
		return 1 if sql_value($node,
			"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pgmig.apply%' OR query LIKE 'SELECT pg_sleep(60)%'") > 0
		  && sql_value($node, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") > 0;
		usleep(50_000);
	}
	return 0;
}
my $h = pgmig_start($node, $dir, ['up']);
ok(wait_for_sleep(), 'the slow revision is running');
$h->{run}->signal('INT');
my ($status, $sout, $serr) = pgmig_finish($h);
is($status, 1, 'Ctrl-C: exit status 1');
like($serr, qr/error: canceling statement due to user request\n.*CONTEXT:  .*up script of revision 7, file "7_slow.sql" line 3/s,
	'Ctrl-C: the statement was canceled');
like($serr, qr/nothing was applied: the transaction was rolled back/, 'Ctrl-C: nothing applied');
is(sql_value($node, "SELECT count(*) FROM pgmig.schema_migrations WHERE id = '7'"), '0', 'Ctrl-C: 7 is not applied');
is(sql_value($node, "SELECT to_regclass('slow') IS NULL"), 't', 'Ctrl-C: its table was rolled back');

# Ctrl-C during a no-transaction statement: recorded as failed
write_migration($dir, '7_slow.sql',
	migration("SELECT 1;\nSELECT pg_sleep(CASE WHEN to_regclass('go_on') IS NULL THEN 60 ELSE 0 END);",
		'SELECT 1;', notx => 1));
$h = pgmig_start($node, $dir, ['up']);
ok(wait_for_sleep(), 'the slow no-transaction statement is running');
$h->{run}->signal('INT');
($status, $sout, $serr) = pgmig_finish($h);
is($status, 1, 'Ctrl-C in a no-transaction revision: exit status 1');
like($serr, qr/canceling statement due to user request\nCONTEXT:  up script of revision 7, file "7_slow.sql" line 3 \(no transaction: statement 2 of 2\)/,
	'Ctrl-C in a no-transaction revision: where');
is(sql_value($node, "SELECT state || ' ' || statements_done FROM pgmig.schema_migrations WHERE id = '7'"), 'failed 1',
	'Ctrl-C in a no-transaction revision: recorded as failed');
unlike($serr, qr/nothing was applied/, 'Ctrl-C in a no-transaction revision: no word of a rollback');
$node->safe_psql('postgres', 'CREATE TABLE go_on ()');
pgmig_ok($node, $dir, ['up'], qr/^resuming 7 at statement 2 of 2\napplied 7 slow \([\d.]+ ms, no transaction, 1 statement\)\n\z/,
	'up resumes the canceled statement');

# the lock_timeout directive holds for the statements the client runs
my $locker = $node->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE t IN ACCESS EXCLUSIVE MODE;');
write_migration($dir, '8_timeout.sql',
	"-- pgmig:lock_timeout 100ms\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_ab2 ON t (a, b);\n");
$err = pgmig_fails($node, $dir, [ 'up', '--lock-retries=0' ],
	qr/error: canceling statement due to lock timeout\nCONTEXT:  up script of revision 8, file "8_timeout.sql" line 3/,
	'lock_timeout: a waiting statement gives up');
$locker->query_safe('ROLLBACK');
$locker->quit;
$node->safe_psql('postgres', 'DROP INDEX IF EXISTS t_ab2');
pgmig_ok($node, $dir, ['up'], qr/^applied 8 timeout /, 'lock_timeout: up once the lock is free');

# a down script failing halfway: the revision is still applied, half
# reverted, and "down" resumes it where it stopped
write_migration($dir, '9_resume.sql',
	migration("CREATE INDEX CONCURRENTLY t_r1 ON t (a);\nCREATE INDEX CONCURRENTLY t_r2 ON t (b);",
		"DROP INDEX CONCURRENTLY t_r2;\nSELECT count(*) FROM needed_by_down;\nDROP INDEX CONCURRENTLY t_r1;",
		notx => 1));
pgmig_ok($node, $dir, ['up'], qr/^applied 9 resume /, 'half reverted: applied');
$err = pgmig_fails($node, $dir, [ 'down', '-1' ], qr/relation "needed_by_down" does not exist/,
	'half reverted: the down script fails at its second statement');
like($err, qr/stopped reverting after 1 of 3 statements; "pgmig status" shows it, "pgmig down" resumes it/,
	'half reverted: says how to resume');
is(sql_value($node, "SELECT state || ' ' || statements_done FROM pgmig.schema_migrations WHERE id = '9'"),
	'revert_failed 1', 'half reverted: recorded');
pgmig_fails($node, $dir, ['check'], qr/stopped halfway \(revert_failed after 1 statements\)\n.*hint: Fix the cause, then run "pgmig down" to resume it/s,
	'half reverted: check says down resumes it');
pgmig_ok($node, $dir, ['up'], qr/^nothing to apply\n\z/, 'half reverted: up leaves it alone');
$node->safe_psql('postgres', 'CREATE TABLE needed_by_down ()');
pgmig_ok($node, $dir, [ 'down', '-1' ], qr/reverted 9 resume .*no transaction, 2 statements/,
	'half reverted: down resumes at the statement that failed');
is(sql_value($node, "SELECT count(*) FROM pgmig.schema_migrations WHERE id = '9'"), '0', 'half reverted: now reverted');
is(sql_value($node, "SELECT count(*) FROM pg_class WHERE relname IN ('t_r1', 't_r2')"), '0',
	'half reverted: both indexes are gone');
unlink("$dir/migrations/9_resume.sql");

# two "pgmig up" at once: every revision applied exactly once
$node->safe_psql('postgres', 'CREATE DATABASE race');
$ENV{PGDATABASE} = 'race';
my $race = new_project('race');
write_migration($race, '1_slow.sql', migration("CREATE TABLE r1 (id int);\nSELECT pg_sleep(1);"));
write_migration($race, '2_two.sql', migration('CREATE TABLE r2 (id int);'));
write_migration($race, '3_index.sql', migration('CREATE INDEX CONCURRENTLY r2_id ON r2 (id);', undef, notx => 1));
write_migration($race, '4_four.sql', migration('CREATE TABLE r4 (id int);'));
pgmig_ok($node, $race, ['init'], qr/created extension/, 'init the race database');
my @runs = map { pgmig_start($node, $race, ['up']) } 1 .. 2;
my @results = map { [ pgmig_finish($_) ] } @runs;
is_deeply([ map { $_->[0] } @results ], [ 0, 0 ], 'both runs succeed');
my @appliers = grep { $_->[1] =~ /^applied 1 slow .*\napplied 2 two .*\napplied 3 index .*no transaction.*\napplied 4 four /s } @results;
my @waiters = grep { $_->[1] eq "nothing to apply\n" } @results;
is(scalar @appliers, 1, 'one run applied everything');
is(scalar @waiters, 1, 'the other found nothing to do');
like($waiters[0][2], qr/^pgmig: waiting for another migration run to finish \(server process \d+\)\n\z/,
	'the other waited for the lock') if @waiters;
is($node->safe_psql('race', "SELECT string_agg(revision || ':' || n, ',' ORDER BY revision) FROM (SELECT revision, count(*) AS n FROM pgmig.events WHERE action = 'apply' GROUP BY revision) e"),
	'1:1,2:1,3:1,4:1', 'each revision was applied exactly once');

# another session holding the lock: pgmig waits (Ctrl-C stops the wait),
# then goes on once the lock is free
my ($key1, $key2) = (0x70676D69, 0x67);	# PGMIG_LOCK_KEY1/2 of pgmig_lock.h
my $holder = $node->background_psql('race');
$holder->query_safe("SELECT pg_advisory_lock($key1, $key2)");
write_migration($race, '5_five.sql', migration('CREATE TABLE r5 (id int);'));

# Pump a background pgmig until its stderr matches, for at most a minute.
sub wait_for_stderr
{
	my ($h, $re) = @_;
	foreach (1 .. 1200)
	{
		$h->{run}->pump_nb;
		return 1 if $h->{err} =~ $re;
		usleep(50_000);
	}
	return 0;
}
$h = pgmig_start($node, $race, ['up']);
ok(wait_for_stderr($h, qr/waiting for another migration run to finish \(server process \d+\)/),
	'pgmig waits for a lock held by another session, and names it');
$h->{run}->signal('INT');
($status, $sout, $serr) = pgmig_finish($h);
is($status, 1, 'Ctrl-C while waiting: exit status 1');
like($serr, qr/error: canceled while waiting for the migration lock/, 'Ctrl-C while waiting: the message');
is($node->safe_psql('race', "SELECT count(*) FROM pgmig.revisions WHERE id = '5'"), '0',
	'Ctrl-C while waiting: nothing was registered');
$h = pgmig_start($node, $race, ['up']);
ok(wait_for_stderr($h, qr/waiting for another migration run/), 'waiting again');
$holder->query_safe("SELECT pg_advisory_unlock($key1, $key2)");
$holder->quit;
($status, $sout, $serr) = pgmig_finish($h);
is($status, 0, 'the run goes on once the lock is free');
like($sout, qr/^applied 5 five /, 'and applies');

# What counts as "changed since applied" is the same for mig_status() and
# pgmig status: an edited up script of a revision that is applied, or on
# its way down; not of one that stopped going up (it starts over, edited).
my $chg = new_project('changed');
$node->safe_psql('postgres', 'CREATE DATABASE changed');
$node->safe_psql('changed', 'CREATE EXTENSION pgmig');
{
	local $ENV{PGDATABASE} = 'changed';
	write_migration($chg, '1_t.sql', migration('CREATE TABLE ct (a int);', 'DROP TABLE ct;'));
	write_migration($chg, '2_down_fails.sql',
		migration('CREATE INDEX CONCURRENTLY ct_a ON ct (a);', "DROP INDEX CONCURRENTLY ct_a;\nSELECT nope;", notx => 1));
	write_migration($chg, '3_up_fails.sql',
		migration("CREATE TABLE ct3 (a int);\nSELECT nope;", 'DROP TABLE ct3;', notx => 1, revises => '1'));
	pgmig_fails($node, $chg, [ 'up', 'heads' ], qr/column "nope" does not exist/, 'changed: 3 stops going up');
	pgmig_fails($node, $chg, [ 'down', '1' ], qr/column "nope" does not exist/,
		'changed: down 1 reverts 3, then 2 stops going down');
	pgmig_fails($node, $chg, [ 'up', '3' ], qr/column "nope" does not exist/, 'changed: 3 stops going up again');
	is($node->safe_psql('changed', "SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM pgmig.schema_migrations"),
		'1:complete,2:revert_failed,3:failed', 'changed: one revision half-reverted, one half-applied');
	write_migration($chg, '2_down_fails.sql',
		migration("CREATE INDEX CONCURRENTLY ct_a ON ct (a);\nSELECT 2;", "DROP INDEX CONCURRENTLY ct_a;\nSELECT nope;", notx => 1));
	my $three = write_migration($chg, '3_up_fails.sql',
		migration("CREATE TABLE ct3 (a int);\nSELECT 3;", 'DROP TABLE ct3;', notx => 1, revises => '1'));
	# the edit of the half-applied one may be registered (it starts over)
	$node->safe_psql('changed', "SELECT count(*) FROM mig_register('3_up_fails.sql', \$f\$" . read_file_text($three) . "\$f\$)");
	my ($out) = pgmig_ok($node, $chg, ['status'], undef, 'changed: status', allow_stderr => 1);
	like($out, qr/^\[!\] 2_down_fails\.sql .*changed since it was applied/m,
		'changed: status marks the edited half-reverted one (applied) changed');
	unlike($out, qr/^\S+ 3_up_fails\.sql .*changed/m, 'changed: status does not mark the edited half-applied one');
	unlike($node->safe_psql('changed', 'SELECT mig_status()'), qr/changed since applied/,
		'changed: nor does mig_status()');
}

pgmig_done();
