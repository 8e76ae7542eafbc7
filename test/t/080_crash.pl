
# Crashes, kills and concurrency around no-transaction revisions, with
# real processes: a client killed with SIGKILL, a backend killed with
# SIGKILL (the server restarts), an immediate shutdown, Ctrl-C, and
# appliers waiting for the migration lock while CREATE INDEX CONCURRENTLY
# runs.  Every statement takes effect exactly once, the next run finishes
# what an interrupted one started, nobody deadlocks, and afterwards the
# catalog matches the schema.
use strict;
use warnings;

use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# The server restarts after a backend is killed, as in production, and
# logs WAL as production servers do: under wal_level = minimal (the test
# default), a sequence created in a transaction keeps, after a crash, the
# page its creating transaction wrote, and hands out values again.
my $node = new_node('crash', conf => "restart_after_crash = on\nwal_level = replica");

# A database and a project of its own for each case.
my $case = 0;
sub new_case
{
	my ($name) = @_;
	$case++;
	my $db = "case$case";
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION pgmig');
	my $dir = new_project($name);
	write_migration($dir, '1_t.sql',
		migration("CREATE TABLE big (id int, v int);\nINSERT INTO big SELECT i, i FROM generate_series(1, 1000) i;\nCREATE TABLE marks (m int);",
			"DROP TABLE marks;\nDROP TABLE big;"));
	$ENV{PGDATABASE} = $db;
	return $dir;
}

# Poll until a query returns true.
sub wait_for
{
	my ($sql) = @_;
	return $node->poll_query_until($ENV{PGDATABASE}, $sql);
}

# A query's value in the case's database.
sub value
{
	my ($sql) = @_;
	return $node->safe_psql($ENV{PGDATABASE}, $sql);
}

# The catalog matches the schema: every revision complete, nothing left
# pending, no invalid index; the indexes on big are those given.
sub catalog_matches
{
	my ($name, $revisions, $indexes) = @_;
	is(value("SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM pgmig.schema_migrations"),
		$revisions, "$name: every revision complete, once");
	is(value("SELECT count(*) FROM pgmig.schema_migrations WHERE pending IS NOT NULL OR statements_done IS NOT NULL"),
		'0', "$name: nothing left pending in the catalog");
	is(value("SELECT string_agg(indexrelid::regclass || ':' || indisvalid, ',' ORDER BY indexrelid::regclass::text) FROM pg_index WHERE indrelid = 'big'::regclass"),
		$indexes, "$name: the indexes are there and valid");
	is(value("SELECT count(*) FROM pgmig.runs"), '0', "$name: no run left noted");
	drift_tracked($name);
}

# Drift tracking's map is the schema's, nothing is left pending for it,
# and what the migrations did is not drift.
sub drift_tracked
{
	my ($name) = @_;
	is(value("SELECT count(*) FROM pgmig.snapshot_pending"), '0', "$name: nothing pending for drift tracking");
	is(value("SELECT (SELECT jsonb_object_agg(key, hash) FROM pgmig.snapshot_objects) = pgmig.object_map()"),
		't', "$name: drift tracking's map is the schema's");
	is(value("SELECT count(*) FROM mig_drift()"), '0', "$name: no drift");
}

# The pid of the backend serving the pgmig client, once it runs "query".
sub client_backend
{
	my ($query) = @_;
	my $where = "datname = current_database() AND pid <> pg_backend_pid() AND query LIKE '$query%' AND state = 'active'";
	wait_for("SELECT count(*) > 0 FROM pg_stat_activity WHERE $where") or return undef;
	return value("SELECT pid FROM pg_stat_activity WHERE $where");
}

# Until no other client is connected to the case's database.
sub wait_clients_gone
{
	return wait_for("SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'");
}

# ---------------------------------------------------------------------------
# A client killed with SIGKILL during a statement of a no-transaction
# revision that can run in a transaction block: the statement commits only
# with its progress record, so the next run does it once.
{
	my $dir = new_case('kill_client');
	write_migration($dir, '2_nontx.sql',
		migration("CREATE INDEX CONCURRENTLY big_id ON big (id);\nINSERT INTO marks SELECT 1 FROM pg_sleep(2);\nCREATE INDEX CONCURRENTLY big_v ON big (v);\nINSERT INTO marks VALUES (2);",
			"DROP INDEX CONCURRENTLY big_v;\nDROP INDEX CONCURRENTLY big_id;", notx => 1));
	my $h = pgmig_start($node, $dir, ['up']);
	ok(defined client_backend('INSERT INTO marks SELECT 1 FROM pg_sleep'), 'kill client: the slow statement runs');
	$h->{run}->signal('KILL');
	$h->{run}->finish;
	ok(wait_clients_gone(), 'kill client: its backend went away');
	my ($out, $err) = pgmig_ok($node, $dir, ['up'],
		qr/^resuming 2 at statement 2 of 4\napplied 2 nontx \([\d.]+ \S+, no transaction, 3 statements\)\n\z/,
		'kill client: the next run resumes at the statement that was cut short', allow_stderr => 1);
	like($err, qr/^pgmig: warning: interrupted: the apply run to head that process \d+ started at .* ended without recording how/m,
		'kill client: the next run says an earlier run was interrupted');
	is(value('SELECT string_agg(m::text, \',\' ORDER BY m) FROM marks'), '1,2', 'kill client: each statement took effect once');
	catalog_matches('kill client', '1:complete,2:complete', 'big_id:true,big_v:true');
	like(value("SELECT string_agg(message, '|') FROM pgmig.events WHERE NOT success"),
		qr/interrupted: the apply run to head .*\|interrupted: the attempt ended without recording why .*statements done: 1/,
		'kill client: the audit log has the interrupted run and revision');
}

# ---------------------------------------------------------------------------
# The backend killed with SIGKILL while CREATE INDEX CONCURRENTLY waits for
# an older snapshot: the server restarts, an invalid index is left, and
# the next run drops it concurrently and builds it again.
{
	my $dir = new_case('kill_backend');
	write_migration($dir, '2_idx.sql',
		migration("CREATE INDEX CONCURRENTLY big_id ON big (id);\nCREATE INDEX CONCURRENTLY big_v ON big (v);",
			"DROP INDEX CONCURRENTLY big_v;\nDROP INDEX CONCURRENTLY big_id;", notx => 1));
	pgmig_ok($node, $dir, [ 'up', '1' ], qr/^applied 1 t /, 'kill backend: up 1');
	my $holder = $node->background_psql($ENV{PGDATABASE}, on_error_stop => 0);
	$holder->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM marks;');
	my $h = pgmig_start($node, $dir, ['up']);
	my $pid = client_backend('CREATE INDEX CONCURRENTLY big_id');
	ok(wait_for("SELECT count(*) > 0 FROM pg_stat_activity WHERE pid = $pid AND wait_event_type = 'Lock'"),
		'kill backend: the build waits for the older snapshot');
	is(value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_id'::regclass"), 'f', 'kill backend: the index is there, invalid');
	kill 'KILL', $pid;
	$h->{run}->finish;
	ok($node->poll_query_until('postgres', 'SELECT true'), 'kill backend: the server restarted');
	eval { $holder->quit };
	is(value("SELECT state || ' ' || statements_done FROM pgmig.schema_migrations WHERE id = '2'"), 'running 0',
		'kill backend: the catalog says revision 2 started');
	my ($out, $err) = pgmig_ok($node, $dir, ['up'],
		qr/^revision 2: ran "DROP INDEX CONCURRENTLY IF EXISTS public\.big_id" to clean up after an interrupted statement\napplied 2 idx \([\d.]+ \S+, no transaction, 2 statements\)\n\z/,
		'kill backend: the next run cleans up and builds the index again', allow_stderr => 1);
	catalog_matches('kill backend', '1:complete,2:complete', 'big_id:true,big_v:true');
}

# ---------------------------------------------------------------------------
# Ctrl-C during the build: the build is canceled and leaves an invalid
# index; the next run drops it and builds it again.  Then an immediate
# shutdown during the build of the second one.
{
	my $dir = new_case('cancel');
	write_migration($dir, '2_idx.sql',
		migration("CREATE INDEX CONCURRENTLY big_id ON big (id);\nCREATE INDEX CONCURRENTLY big_v ON big (v);",
			"DROP INDEX CONCURRENTLY big_v;\nDROP INDEX CONCURRENTLY big_id;", notx => 1));
	pgmig_ok($node, $dir, [ 'up', '1' ], qr/^applied 1 t /, 'cancel: up 1');
	my $holder = $node->background_psql($ENV{PGDATABASE});
	$holder->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM marks;');
	my $h = pgmig_start($node, $dir, ['up']);
	my $pid = client_backend('CREATE INDEX CONCURRENTLY big_id');
	ok(wait_for("SELECT count(*) > 0 FROM pg_stat_activity WHERE pid = $pid AND wait_event_type = 'Lock'"),
		'cancel: the build waits');
	$h->{run}->signal('INT');
	my ($status, $out, $err) = pgmig_finish($h);
	is($status, 1, 'cancel: exit status 1');
	like($err, qr/canceling statement due to user request\nCONTEXT:  up script of revision 2, file "2_idx\.sql" line 2 \(no transaction: statement 1 of 2\)/,
		'cancel: the build was canceled, with file and line');
	$holder->query_safe('COMMIT');
	is(value("SELECT indisvalid FROM pg_index WHERE indexrelid = 'big_id'::regclass"), 'f', 'cancel: an invalid index is left');
	pgmig_ok($node, $dir, ['up'],
		qr/^revision 2: ran "DROP INDEX CONCURRENTLY IF EXISTS public\.big_id" to clean up after an interrupted statement\napplied 2 idx /,
		'cancel: the next run cleans up and builds it again');
	catalog_matches('cancel', '1:complete,2:complete', 'big_id:true,big_v:true');

	# an immediate shutdown during the build of a revision's second index
	# (a snapshot taken between the two builds holds up only the second)
	pgmig_ok($node, $dir, [ 'down', '1' ], qr/^reverted 2 idx /, 'shutdown: down 1');
	write_migration($dir, '2_idx.sql',
		migration("CREATE INDEX CONCURRENTLY big_id ON big (id);\nSELECT pg_sleep(1);\nCREATE INDEX CONCURRENTLY big_v ON big (v);",
			"DROP INDEX CONCURRENTLY big_v;\nDROP INDEX CONCURRENTLY big_id;", notx => 1));
	$h = pgmig_start($node, $dir, ['up']);
	ok(defined client_backend('SELECT pg_sleep(1)'), 'shutdown: the run is between its builds');
	$holder->query_safe('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM marks;');
	$pid = client_backend('CREATE INDEX CONCURRENTLY big_v');
	ok(wait_for("SELECT count(*) > 0 FROM pg_stat_activity WHERE pid = $pid AND wait_event_type = 'Lock'"),
		'shutdown: the second build waits');
	$node->stop('immediate');
	$h->{run}->finish;
	eval { $holder->quit };
	$node->start;
	is(value("SELECT state || ' ' || statements_done FROM pgmig.schema_migrations WHERE id = '2'"), 'running 2',
		'shutdown: the catalog has the first two statements done');
	pgmig_ok($node, $dir, ['up'],
		qr/^resuming 2 at statement 3 of 3\nrevision 2: ran "DROP INDEX CONCURRENTLY IF EXISTS public\.big_v" to clean up after an interrupted statement\napplied 2 idx /,
		'shutdown: the next run resumes, cleans up and finishes', allow_stderr => 1);
	catalog_matches('shutdown', '1:complete,2:complete', 'big_id:true,big_v:true');
}

# ---------------------------------------------------------------------------
# A client run with a CONCURRENTLY revision, and an applier inside a
# transaction waiting for the migration lock: the applier steps aside with
# an error naming the run, the build completes, nobody deadlocks.
{
	my $dir = new_case('waiter');
	write_migration($dir, '2_idx.sql',
		migration("CREATE INDEX CONCURRENTLY big_id ON big (id);\nSELECT pg_sleep(2);\nCREATE INDEX CONCURRENTLY big_v ON big (v);",
			"DROP INDEX CONCURRENTLY big_v;\nDROP INDEX CONCURRENTLY big_id;", notx => 1));
	write_migration($dir, '3_ins.sql', migration('INSERT INTO big VALUES (0, 0);', 'DELETE FROM big WHERE id = 0;'));
	my $h = pgmig_start($node, $dir, ['up']);
	ok(defined client_backend('SELECT pg_sleep(2)'), 'waiter: the run is between its two builds');
	my ($out, $err) = ('', '');
	my $psql = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr($ENV{PGDATABASE}), '-c', 'SELECT * FROM mig_apply()' ],
		'<', \'', '>', \$out, '2>', \$err);
	$psql->finish;
	my ($status, $cout, $cerr) = pgmig_finish($h);
	isnt($psql->result(0), 0, 'waiter: the applier in a transaction fails');
	like($err, qr/ERROR:  the migration run of process \d+ is waiting for this transaction\nDETAIL:  Process \d+ holds the pgmig migration lock and waits for this transaction to end/,
		'waiter: it steps aside, naming the other run');
	is($status, 0, 'waiter: the client run succeeds');
	unlike($cerr, qr/deadlock/, 'waiter: no deadlock');
	like($cout, qr/^applied 2 idx .*\napplied 3 ins /m, 'waiter: the client applied everything');
	catalog_matches('waiter', '1:complete,2:complete,3:complete', 'big_id:true,big_v:true');
	is(value("SELECT count(*) FROM big WHERE id = 0"), '1', 'waiter: revision 3 ran once');
}

# ---------------------------------------------------------------------------
# Two psql runs of the same "pgmig up --sql" script, 0.3 s apart: the
# second waits for the lock without a snapshot, then finds nothing to do.
{
	my $dir = new_case('sql_twice');
	write_migration($dir, '2_idx.sql',
		migration("CREATE INDEX CONCURRENTLY big_id ON big (id);\nSELECT pg_sleep(1);\nCREATE INDEX CONCURRENTLY big_v ON big (v);",
			"DROP INDEX CONCURRENTLY big_v;\nDROP INDEX CONCURRENTLY big_id;", notx => 1));
	write_migration($dir, '3_ins.sql', migration('INSERT INTO big VALUES (0, 0);', 'DELETE FROM big WHERE id = 0;'));
	my $script = pgmig_ok(undef, $dir, [ 'up', '--sql' ], undef, 'sql twice: --sql',
		env => { PGHOST => '/nonexistent', PGPORT => '1' });
	my $path = "$dir/up.sql";
	open my $fh, '>:raw', $path or die;
	print $fh $script;
	close $fh;
	my @psql = ('psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $node->connstr($ENV{PGDATABASE}), '-f', $path);
	my (@out, @err, @runs);
	foreach my $i (0, 1)
	{
		($out[$i], $err[$i]) = ('', '');
		$runs[$i] = IPC::Run::start(\@psql, '<', \'', '>', \$out[$i], '2>', \$err[$i]);
		usleep(300_000) if $i == 0;
	}
	$_->finish foreach @runs;
	is($runs[0]->result(0), 0, 'sql twice: the first script succeeds');
	is($runs[1]->result(0), 0, 'sql twice: the second script succeeds');
	unlike($err[0] . $err[1], qr/deadlock|ERROR/, 'sql twice: no error, no deadlock');
	catalog_matches('sql twice', '1:complete,2:complete,3:complete', 'big_id:true,big_v:true');
	is(value("SELECT string_agg(revision, ',' ORDER BY event_id) FROM pgmig.events WHERE action = 'apply' AND success"),
		'1,2,3', 'sql twice: each revision applied once');
}

# ---------------------------------------------------------------------------
# "down" with a revision that stopped halfway going up: it is reverted by
# its down script, children first, never left over reverted parents.
{
	my $dir = new_case('half_down');
	write_migration($dir, '2_nt.sql',
		migration("CREATE INDEX CONCURRENTLY big_id ON big (id);\nSELECT count(*) FROM ext;",
			"DROP INDEX CONCURRENTLY IF EXISTS big_id;", notx => 1));
	pgmig_fails($node, $dir, ['up'], qr/relation "ext" does not exist/, 'half down: 2 stops after its first statement');
	is(value("SELECT state || ' ' || statements_done FROM pgmig.schema_migrations WHERE id = '2'"), 'failed 1',
		'half down: 2 is half-done');
	pgmig_ok($node, $dir, [ 'down', '1' ], qr/^reverted 2 nt \([\d.]+ \S+, no transaction, 1 statement\)\n\z/,
		'half down: down 1 reverts the half-done revision above it');
	is(value("SELECT count(*) FROM pg_class WHERE relname = 'big_id'"), '0', 'half down: its index is gone');
	pgmig_fails($node, $dir, ['up'], qr/relation "ext" does not exist/, 'half down: 2 fails again');
	pgmig_ok($node, $dir, [ 'down', 'base' ], qr/^reverted 2 nt .*\nreverted 1 t /,
		'half down: down base reverts the half-done revision, then its parent');
	$node->safe_psql($ENV{PGDATABASE}, 'CREATE TABLE ext (x int)');
	pgmig_ok($node, $dir, ['up'], qr/^applied 1 t .*\napplied 2 nt \([\d.]+ \S+, no transaction, 2 statements\)\n\z/,
		'half down: up then applies both whole', allow_stderr => 1);
	is(value("SELECT string_agg(indexrelid::regclass || ':' || indisvalid, ',') FROM pg_index WHERE indrelid = 'big'::regclass"),
		'big_id:true', 'half down: the index is there');
}

# ---------------------------------------------------------------------------
# A client killed with SIGKILL during a transactional revision: nothing is
# applied, and the next run records the interrupted run.
{
	my $dir = new_case('kill_tx');
	write_migration($dir, '2_slow.sql', migration("INSERT INTO marks VALUES (1);\nSELECT pg_sleep(60);", 'DELETE FROM marks;'));
	my $h = pgmig_start($node, $dir, ['up']);
	my $pid = client_backend('SELECT revision, description');
	ok(wait_for("SELECT count(*) > 0 FROM pg_stat_activity WHERE pid = $pid AND wait_event = 'PgSleep'"),
		'kill tx: the slow revision runs');
	$h->{run}->signal('KILL');
	$h->{run}->finish;
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
	ok(wait_clients_gone(), 'kill tx: its backend went away');
	is(value('SELECT count(*) FROM pgmig.schema_migrations'), '0', 'kill tx: nothing applied');
	write_migration($dir, '2_slow.sql', migration('INSERT INTO marks VALUES (1);', 'DELETE FROM marks;'));
	my ($out, $err) = pgmig_ok($node, $dir, ['up'], qr/^applied 1 t .*\napplied 2 slow /,
		'kill tx: the next run applies', allow_stderr => 1);
	like($err, qr/^pgmig: warning: interrupted: the apply run to head that process $pid started at /m,
		'kill tx: and reports the interrupted run');
	is(value("SELECT count(*) FROM pgmig.events WHERE NOT success AND message LIKE 'interrupted: the apply run%' AND pid = $pid"), '1',
		'kill tx: the audit log has it, with the process');
	is(value('SELECT count(*) FROM marks'), '1', 'kill tx: the statement took effect once');
}

# ---------------------------------------------------------------------------
# A client killed with SIGKILL during "up --commit-each", after a revision
# committed: that revision stays applied, what it did waits for drift
# tracking (pending rows, written with its DDL; the run's end, which
# brings the map up to date, did not come) and is not drift; the next
# run takes it in.
{
	my $dir = new_case('kill_each');
	write_migration($dir, '2_table.sql',
		migration("CREATE TABLE each_t (a int);\nCREATE INDEX each_t_a ON each_t (a);", 'DROP TABLE each_t;'));
	write_migration($dir, '3_slow.sql',
		migration("ALTER TABLE each_t ADD COLUMN b int;\nSELECT pg_sleep(60);", 'ALTER TABLE each_t DROP COLUMN b;'));
	my $h = pgmig_start($node, $dir, [ 'up', '--commit-each' ]);
	ok(wait_for("SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'"),
		'kill each: the slow revision runs');
	my $pid = value("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'");
	$h->{run}->signal('KILL');
	$h->{run}->finish;
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
	ok(wait_clients_gone(), 'kill each: its backend went away');
	is(value("SELECT string_agg(id, ',' ORDER BY id) FROM pgmig.schema_migrations"), '1,2',
		'kill each: the revisions committed before stay applied');
	is(value("SELECT count(*) > 0 FROM pgmig.snapshot_pending"), 't', 'kill each: what they did waits for drift tracking');
	is(value("SELECT count(*) FROM mig_drift()"), '0', 'kill each: it is not drift');
	write_migration($dir, '3_slow.sql', migration('ALTER TABLE each_t ADD COLUMN b int;', 'ALTER TABLE each_t DROP COLUMN b;'));
	pgmig_ok($node, $dir, [ 'up', '--commit-each' ], qr/^applied 3 slow /, 'kill each: the next run applies the rest',
		allow_stderr => 1);
	drift_tracked('kill each, then up');
	is(value("SELECT fingerprint = mig_fingerprint() FROM pgmig.snapshots ORDER BY snapshot_id DESC LIMIT 1"), 't',
		'kill each: the snapshot recorded at the end of the next run is the schema\'s');
}

# ---------------------------------------------------------------------------
# CALL mig_apply_each() whose backend is terminated during its second
# revision: the first stays applied, and the next run records the
# interrupted one.
{
	my $dir = new_case('kill_each');
	write_migration($dir, '2_slow.sql', migration("INSERT INTO marks VALUES (2);\nSELECT pg_sleep(60);", 'DELETE FROM marks;'));
	pgmig_ok($node, $dir, [ 'stamp', 'base' ], undef, 'kill each: the files are registered');
	my ($out, $err) = ('', '');
	my $psql = IPC::Run::start([ 'psql', '-X', '-d', $node->connstr($ENV{PGDATABASE}), '-c', 'CALL mig_apply_each()' ],
		'<', \'', '>', \$out, '2>', \$err);
	my $pid;
	ok(wait_for("SELECT count(*) > 0 FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'"),
		'kill each: the second revision runs');
	$pid = value("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'PgSleep'");
	$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
	$psql->finish;
	is(value('SELECT string_agg(id, \',\') FROM pgmig.schema_migrations'), '1', 'kill each: the first revision stays applied');
	write_migration($dir, '2_slow.sql', migration('INSERT INTO marks VALUES (2);', 'DELETE FROM marks;'));
	pgmig_ok($node, $dir, [ 'stamp', '1' ], undef, 'kill each: the edited file is registered');
	($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-d', $node->connstr($ENV{PGDATABASE}), '-c', 'CALL mig_apply_each()' ],
		'<', \'', '>', \$out, '2>', \$err);
	like($err, qr/WARNING:  interrupted: the apply run to head that process $pid started at /,
		'kill each: the next run warns of the interrupted one');
	is(value("SELECT count(*) FROM pgmig.events WHERE NOT success AND pid = $pid AND message LIKE 'interrupted:%'"), '1',
		'kill each: and records it in the audit log');
	is(value('SELECT string_agg(id, \',\' ORDER BY id) FROM pgmig.schema_migrations'), '1,2', 'kill each: then applies the rest');
	is(value('SELECT count(*) FROM pgmig.runs'), '0', 'kill each: no run left noted');
}

pgmig_done();
