
# Production safety: drift (status, check --drift, the warning of the next
# run), the round trip of down scripts (verify, and redo's check before
# it runs), dry runs that leave the database byte for byte as it was, and
# lock safety: a migration waiting for a lock held by another session
# times out, lets application queries through and retries, or gives up
# naming the table and the process; transactional revisions in the server,
# no-transaction ones in the client.
use strict;
use warnings;

use JSON::PP;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

# (no autovacuum: its locks on the tables would only add noise to the lock tests)
my $node = new_node('safety', conf => "autovacuum = off\n");
my $dir = new_project('safety');
pgmig_ok($node, $dir, ['init'], qr/created extension pgmig/, 'init');

# What must not change when a command changes nothing: the schema's
# fingerprint, the catalog's row counts, and the registered files.
sub db_state
{
	return sql_value($node, q{
		SELECT concat_ws(' | ', mig_fingerprint(),
			(SELECT count(*) FROM pgmig.schema_migrations),
			(SELECT count(*) FROM pgmig.events),
			(SELECT count(*) FROM pgmig.snapshots),
			(SELECT string_agg(id || ':' || file_checksum, ',' ORDER BY id) FROM pgmig.revisions))});
}

# The whole database as pg_dump writes it, schema and data, pgmig's
# catalog included (the extension marks its tables for pg_dump).  Since
# 15.14, pg_dump writes a random \restrict key unless given one.
my @dump_options = `pg_dump --help` =~ /--restrict-key/ ? ('--restrict-key=pgmigtest') : ();
sub dump_db
{
	my ($out, $err) = run_command([ 'pg_dump', @dump_options, '-d', $node->connstr('postgres') ]);
	die "pg_dump failed: $err" if $err ne '';
	return $out;
}

# Pump the background runs until "cond" holds; false after the default
# timeout of the test suite.
sub eventually
{
	my ($cond, @runs) = @_;
	my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
	while (time < $deadline)
	{
		$_->{run}->pump_nb foreach @runs;
		return 1 if $cond->();
		usleep(50_000);
	}
	return 0;
}

# Register migration files in psql; returns how many were registered.
sub register_sql
{
	my @names = @_;
	my $sql = 'SELECT count(*) FROM mig_register(ARRAY['
	  . join(', ', map { "'$_'" } @names) . '], ARRAY['
	  . join(', ', map { '$pgmig$' . read_file_text("$dir/migrations/$_") . '$pgmig$' } @names) . '])';
	return $node->safe_psql('postgres', $sql);
}

# An application query with a statement_timeout: true if it was served.
sub app_query_served
{
	my ($ret, $out, $err) = $node->psql('postgres',
		"SET statement_timeout = '10s'; SELECT count(*) FROM accounts");
	note("application query: exit $ret, $out $err");
	return $ret == 0 && $out eq '100';
}

# ---------------------------------------------------------------------------
# Drift

write_migration($dir, '1_accounts.sql',
	migration("CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL,\n  balance int NOT NULL DEFAULT 0);",
		'DROP TABLE accounts;'));
pgmig_ok($node, $dir, ['up'], qr/^applied 1 accounts /, 'up');
unlike(pgmig_ok($node, $dir, ['status'], qr/^Applied: 1$/m, 'status after up'), qr/Drift/,
	'status after up: no drift');
pgmig_ok($node, $dir, [ 'check', '--drift' ],
	qr/^ok: 1 revision, 1 applied, 0 pending, head 1\nno drift: the schema is as the last migration run left it\n\z/,
	'check --drift after up');

# data is not schema
$node->safe_psql('postgres',
	"INSERT INTO accounts SELECT g, 'owner ' || g, g FROM generate_series(1, 100) g");
unlike(pgmig_ok($node, $dir, ['status'], undef, 'status after an INSERT'), qr/Drift/,
	'status after an INSERT: no drift');
pgmig_ok($node, $dir, [ 'check', '--drift' ], qr/^no drift/m, 'check --drift after an INSERT');

# a change outside migrations
$node->safe_psql('postgres',
	'ALTER TABLE accounts ADD COLUMN nickname text; CREATE INDEX accounts_owner ON accounts (owner)');
pgmig_ok($node, $dir, ['status'],
	qr/^Head: 1\nDrift: 2 objects changed outside migrations since \d{4}-\d\d-\d\dT[\d:.]+Z: index public\.accounts_owner \(added\), table public\.accounts \(changed\)\n\z/m,
	'status shows the drift');
my $json = decode_json(pgmig_ok($node, $dir, [ 'status', '--json' ], undef, 'status --json with drift'));
is_deeply($json->{drift},
	[ { change => 'added', object => 'index public.accounts_owner' }, { change => 'changed', object => 'table public.accounts' } ],
	'status --json: the drift');
like($json->{drift_since}, qr/^\d{4}-\d\d-\d\dT[\d:.]+Z\z/, 'status --json: since when');
my ($err, $out) = pgmig_fails($node, $dir, [ 'check', '--drift' ],
	qr/^pgmig: error: the schema changed outside migrations\npgmig: detail: Index public\.accounts_owner was added\.\npgmig: detail: Table public\.accounts was changed\.\npgmig: hint: They differ from the fingerprint recorded after the last migration run, at [\d\-T:.]+Z\. Put the change into a migration, or undo it\.\n\z/,
	'check --drift reports the drift');
is($out, '', 'check --drift: no "ok" line');
pgmig_ok($node, $dir, ['check'], qr/^ok: /, 'check without --drift does not look');
like(sql_value($node, 'SELECT mig_status()'),
	qr/; WARNING drift: index public\.accounts_owner \(added\), table public\.accounts \(changed\)$/,
	'mig_status() too');

# a database that does not track drift says nothing of it
my %untracked = (env => { PGOPTIONS => '-c pgmig.track_drift=off' });
unlike(pgmig_ok($node, $dir, ['status'], undef, 'status, drift not tracked', %untracked), qr/Drift/,
	'status: no drift line when drift is not tracked');
is(decode_json(pgmig_ok($node, $dir, [ 'status', '--json' ], undef, 'status --json, drift not tracked', %untracked))->{drift},
	undef, 'status --json: drift is null when not tracked');
pgmig_ok($node, $dir, [ 'check', '--drift' ], qr/^ok: /, 'check --drift, drift not tracked', %untracked,
	allow_stderr => 1);
like((pgmig($node, $dir, [ 'check', '--drift' ], %untracked))[2],
	qr/^pgmig: warning: drift is not tracked in this database: pgmig\.track_drift is off\n\z/,
	'check --drift warns that drift is not tracked');

# the next run warns, then records the schema as it is
write_migration($dir, '2_history.sql',
	migration('CREATE TABLE account_history (account_id int, at timestamptz);', 'DROP TABLE account_history;'));
($out, $err) = pgmig_ok($node, $dir, ['up'], qr/^applied 2 history /, 'up with drift', allow_stderr => 1);
like($err,
	qr/^WARNING:  the schema changed outside migrations\nDETAIL:  2 objects differ from the fingerprint recorded after the last run: index public\.accounts_owner \(added\), table public\.accounts \(changed\)\.\n/,
	'up warns of the drift, naming the objects');
unlike(pgmig_ok($node, $dir, ['status'], undef, 'status after the next run'), qr/Drift/,
	'the drift is gone after the next run');
pgmig_ok($node, $dir, [ 'check', '--drift' ], qr/^no drift/m, 'check --drift after the next run');
is_deeply(decode_json(pgmig_ok($node, $dir, [ 'status', '--json' ], undef, 'status --json without drift'))->{drift},
	[], 'status --json: no drift');

# ---------------------------------------------------------------------------
# The round trip: verify

# a down script that forgets the index its up script made
write_migration($dir, '3_balance_index.sql',
	migration("CREATE INDEX accounts_balance ON accounts (balance);\nALTER TABLE accounts ADD COLUMN flags int NOT NULL DEFAULT 0;",
		'ALTER TABLE accounts DROP COLUMN flags;'));
my $before = db_state();
($err, $out) = pgmig_fails($node, $dir, ['verify'],
	qr/^pgmig: error: down script of revision 3 does not restore the schema\npgmig: detail: After up and down, the schema differs from before up: index public\.accounts_balance \(added\)\.\npgmig: hint: Make the down script in file "3_balance_index\.sql" undo exactly what its up script does\.\n\z/,
	'verify: a down script that leaves an index behind');
is($out, "down differs 3 balance index\n", 'verify: its line');
is(db_state(), $before, 'verify changed nothing, registration included');

# a down script that fails, with the line of the failing statement
write_migration($dir, '3_balance_index.sql',
	migration("CREATE INDEX accounts_balance ON accounts (balance);\nALTER TABLE accounts ADD COLUMN flags int NOT NULL DEFAULT 0;",
		"DROP INDEX accounts_balance;\nALTER TABLE accounts DROP COLUMN flags;"));
write_migration($dir, '4_audit.sql', migration('CREATE TABLE audit (id int);', "-- forgot the name\n\nDROP TABLE audit_log;"));
write_migration($dir, '5_memo.sql', migration('ALTER TABLE accounts ADD COLUMN memo text;'));
($err, $out) = pgmig_fails($node, $dir, ['verify'],
	qr/^pgmig: error: table "audit_log" does not exist\nCONTEXT:  down script of revision 4, file "4_audit\.sql" line 6\n\z/,
	'verify: a failing down script, with file and line');
is($out, "ok           3 balance index\ndown failed  4 audit\nnot checked  5 memo\n", 'verify: a line per revision');
is(db_state(), $before, 'verify changed nothing');

write_migration($dir, '4_audit.sql', migration('CREATE TABLE audit (id int);', 'DROP TABLE audit;'));
pgmig_ok($node, $dir, ['verify'],
	qr/^ok           3 balance index\nok           4 audit\nirreversible 5 memo\nround trip ok for 3 revisions; the check changed nothing\n\z/,
	'verify: every down script works (5 has none)');
pgmig_ok($node, $dir, [ 'verify', '4', '-v' ],
	qr/^new 3\nnew 4\nnew 5\nok           3 balance index\nok           4 audit\nround trip ok for 2 revisions; the check changed nothing\n\z/,
	'verify TARGET, -v');
is(db_state(), $before, 'the database is as before');

# ---------------------------------------------------------------------------
# The round trip: redo checks before it runs

# applied with the down script that forgets the index (up does not check)
write_migration($dir, '3_balance_index.sql',
	migration("CREATE INDEX accounts_balance ON accounts (balance);\nALTER TABLE accounts ADD COLUMN flags int NOT NULL DEFAULT 0;",
		'ALTER TABLE accounts DROP COLUMN flags;'));
pgmig_ok($node, $dir, [ 'up', '4' ], qr/^applied 3 .*\napplied 4 /, 'up 4, with a broken down script');
$before = db_state();
($err, $out) = pgmig_fails($node, $dir, [ 'redo', '2' ],
	qr/^pgmig: error: relation "accounts_balance" already exists\nCONTEXT:  up script of revision 3, file "3_balance_index\.sql" line 2\npgmig: nothing was reverted: the check before the redo failed\n\z/,
	'redo: the index left behind by the down script is caught before anything runs');
is($out, '', 'redo: nothing ran');
is(db_state(), $before, 'redo refused: the database is unchanged');
pgmig_fails($node, $dir, [ 'redo', '2', '--dry-run', '-v' ], qr/relation "accounts_balance" already exists/,
	'redo --dry-run checks too');
is(db_state(), $before, 'redo --dry-run refused: the database is unchanged');

# a failing down script, changed on disk since it was applied
write_migration($dir, '4_audit.sql', migration('CREATE TABLE audit (id int);', "-- forgot the name\n\nDROP TABLE audit_log;"));
($err, $out) = pgmig_fails($node, $dir, [ 'redo', '-v' ],
	qr/^pgmig: error: table "audit_log" does not exist\nCONTEXT:  down script of revision 4, file "4_audit\.sql" line 6\npgmig: nothing was reverted: the check before the redo failed\n\z/,
	'redo: the down script on disk fails, with file and line');
is($out, "updated 4\ndown failed  4 audit\n", 'redo -v: the check of the file on disk');
is(db_state(), $before, 'redo refused: nothing registered, nothing reverted');

# fixed: the check passes, the redo runs
write_migration($dir, '3_balance_index.sql',
	migration("CREATE INDEX accounts_balance ON accounts (balance);\nALTER TABLE accounts ADD COLUMN flags int NOT NULL DEFAULT 0;",
		"DROP INDEX accounts_balance;\nALTER TABLE accounts DROP COLUMN flags;"));
write_migration($dir, '4_audit.sql', migration('CREATE TABLE audit (id int);', 'DROP TABLE audit;'));
pgmig_ok($node, $dir, [ 'redo', '2' ],
	qr/^reverted 4 audit .*\nreverted 3 balance index .*\napplied 3 balance index .*\napplied 4 audit .*\n\z/,
	'redo after fixing the down scripts');
pgmig_ok($node, $dir, [ 'redo', '2', '-v' ],
	qr/^ok           3 balance index\nok           4 audit\nround trip ok for 2 revisions; the check changed nothing\nreverted 4 /,
	'redo -v lists the check');

# an irreversible revision cannot be redone
pgmig_ok($node, $dir, ['up'], qr/^applied 5 memo /, 'up 5, which has no down script');
$before = db_state();
pgmig_fails($node, $dir, ['redo'],
	qr/^pgmig: error: revision 5 cannot be reverted: file "5_memo\.sql" has no down script\npgmig: detail: It has no down script/,
	'redo of an irreversible revision');
is(db_state(), $before, 'redo of an irreversible revision: nothing changed');

# ---------------------------------------------------------------------------
# Dry runs leave the database byte for byte as it was

# Tables, indexes, an ALTER of an existing table, data.  No nextval on a
# sequence that exists before the run: sequences are not transactional,
# so a rolled-back nextval would still show in the dump (the identity of
# "orders" is created, used and dropped within the run).
write_migration($dir, '6_orders.sql', migration(
	"CREATE TABLE orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  account_id int REFERENCES accounts, amount int);\n"
	  . "CREATE INDEX orders_account ON orders (account_id);\n"
	  . "ALTER TABLE accounts ADD COLUMN status text NOT NULL DEFAULT 'open';\n"
	  . "INSERT INTO orders (account_id, amount) SELECT id, 10 FROM accounts;\n"
	  . "UPDATE accounts SET balance = balance + 1;",
	'DROP TABLE orders; ALTER TABLE accounts DROP COLUMN status;'));
write_migration($dir, '7_rich.sql', migration(
	"CREATE VIEW rich AS SELECT id, owner FROM accounts WHERE balance > 50;\n"
	  . "CREATE FUNCTION richest() RETURNS text LANGUAGE sql AS \$\$SELECT owner FROM accounts ORDER BY balance DESC LIMIT 1\$\$;",
	"DROP FUNCTION richest(); DROP VIEW rich;"));
my $dump = dump_db();
like($dump, qr/^COPY pgmig\.schema_migrations /m, 'the dump has the applied revisions');
like($dump, qr/^COPY pgmig\.events /m, 'the dump has the audit log');
pgmig_ok($node, $dir, [ 'up', '--dry-run' ],
	qr/^applied 6 orders \([\d.]+ ms, dry run\)\napplied 7 rich \([\d.]+ ms, dry run\)\ndry run: rolled back\n\z/,
	'up --dry-run');
ok(dump_db() eq $dump, 'up --dry-run: pg_dump is byte for byte the same');

# the same in psql, once the files are registered
is(register_sql('6_orders.sql', '7_rich.sql'), '2', 'registered in psql');
$dump = dump_db();
is($node->safe_psql('postgres', 'SELECT string_agg(revision, \',\') FROM mig_apply(dry_run => true)'), '6,7',
	'mig_apply(dry_run => true) runs both');
ok(dump_db() eq $dump, 'mig_apply(dry_run => true): pg_dump is byte for byte the same');

# a dry run that fails: the error with file and line, nothing changed
write_migration($dir, '8_broken.sql',
	migration("CREATE TABLE broken (id int);\n\nINSERT INTO broken\n  SELECT * FROM no_such_table;", 'DROP TABLE broken;'));
($err, $out) = pgmig_fails($node, $dir, [ 'up', '--dry-run' ],
	qr/^pgmig: error: relation "no_such_table" does not exist\nLINE 2:   SELECT \* FROM no_such_table;\n.*CONTEXT:  up script of revision 8, file "8_broken\.sql" line 5\n/s,
	'up --dry-run that fails');
like($err, qr/dry run: everything was rolled back/, 'up --dry-run that fails: says so');
is($out, '', 'up --dry-run that fails: nothing reported as applied');
ok(dump_db() eq $dump, 'up --dry-run that fails: pg_dump is byte for byte the same');
is(register_sql('8_broken.sql'), '1', '8 registered in psql');
$dump = dump_db();
my ($ret, $stdout, $stderr) = $node->psql('postgres', 'SELECT * FROM mig_apply(dry_run => true)');
isnt($ret, 0, 'mig_apply(dry_run => true) that fails');
like($stderr, qr/ERROR:  relation "no_such_table" does not exist\n.*CONTEXT:  up script of revision 8, file "8_broken\.sql" line 5/s,
	'mig_apply(dry_run => true) that fails: file and line');
ok(dump_db() eq $dump, 'mig_apply(dry_run => true) that fails: pg_dump is byte for byte the same');
unlink "$dir/migrations/8_broken.sql";
pgmig_ok($node, $dir, ['up'], qr/^forgot 1 registered revision whose file is gone\napplied 6 .*\napplied 7 /, 'up');

# ---------------------------------------------------------------------------
# Lock safety: a transactional revision

# short pauses between attempts, so that the test does not wait long
$node->safe_psql('postgres', "ALTER DATABASE postgres SET pgmig.lock_retry_delay = '100ms'");

# an application transaction that reads the table and stays open
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN; SELECT count(*) FROM accounts;');
my $holder_pid = $holder->query_safe('SELECT pg_backend_pid()');
like($holder_pid, qr/^\d+$/, 'the holder is in a transaction');

write_migration($dir, '9_region.sql',
	migration('ALTER TABLE accounts ADD COLUMN region text;', 'ALTER TABLE accounts DROP COLUMN region;'));
my $h = pgmig_start($node, $dir, [ 'up', '--lock-timeout=100ms', '--lock-retries=50' ]);
ok(eventually(sub { $h->{err} =~ /retrying in 200 ms/ }, $h),
	'the migration times out waiting for the lock, and retries');

# Meanwhile the application is served: without the lock timeout, these
# queries would queue behind the waiting ALTER TABLE until the holder ends,
# and hit their statement_timeout.
ok(app_query_served(), "application query $_ while the migration retries") foreach 1 .. 5;
ok($h->{run}->pumpable, 'the migration was still retrying meanwhile');

$holder->query_safe('COMMIT');
my ($status, $sout, $serr) = pgmig_finish($h);
is($status, 0, 'the migration succeeds once the lock is free');
like($sout, qr/^applied 9 region /, 'it applied 9');
like($serr,
	qr/^NOTICE:  revision 9 timed out waiting for a lock on table public\.accounts, retrying in 100 ms\nDETAIL:  Attempt 1 of 51; process $holder_pid holds AccessShareLock on the table\.\nNOTICE:  revision 9 timed out waiting for a lock on table public\.accounts, retrying in 200 ms\n/,
	'the notices name the table and the holder, with pauses that double');
is(sql_value($node, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'region'"),
	'1', 'the column is there');

# the holder never lets go: the migration gives up, naming table and holder
$holder->query_safe('BEGIN; SELECT count(*) FROM accounts;');
write_migration($dir, '10_zone.sql',
	migration('ALTER TABLE accounts ADD COLUMN zone text;', 'ALTER TABLE accounts DROP COLUMN zone;'));
$err = pgmig_fails($node, $dir, [ 'up', '--lock-timeout=100ms', '--lock-retries=2' ],
	qr/pgmig: error: revision 10 gave up waiting for a lock on table public\.accounts\nDETAIL:  3 attempts each timed out after lock_timeout 100ms\. Process $holder_pid holds AccessShareLock on the table: .*\nHINT:  Let process $holder_pid finish, or end it with SELECT pg_terminate_backend\($holder_pid\), then run the migration again\.\nCONTEXT:  up script of revision 10, file "10_zone\.sql" line 2\n/,
	'a migration that gives up');
is(scalar(() = $err =~ /NOTICE:  revision 10 timed out waiting for a lock/g), 2, 'it retried twice');
like($err, qr/nothing was applied: the transaction was rolled back/, 'it says nothing was applied');
is(sql_value($node, "SELECT count(*) FROM pgmig.schema_migrations WHERE id = '10'"), '0', '10 is not applied');
is(sql_value($node, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'zone'"),
	'0', 'its column is not there');
is(sql_value($node, "SELECT sqlstate FROM pgmig.events WHERE revision = '10' ORDER BY event_id DESC LIMIT 1"), '55P03',
	'the audit log has the failure');
$holder->query_safe('COMMIT');
pgmig_ok($node, $dir, ['up'], qr/^applied 10 zone /, 'up once the lock is free');

# ---------------------------------------------------------------------------
# Lock safety: a no-transaction revision, run statement by statement by
# the client (an ALTER TABLE: CREATE INDEX CONCURRENTLY would not wait on
# a reader)

$holder->query_safe('BEGIN; SELECT count(*) FROM accounts;');
write_migration($dir, '11_tier.sql',
	migration("SELECT 1;\nALTER TABLE accounts ADD COLUMN tier int;", 'ALTER TABLE accounts DROP COLUMN tier;', notx => 1));
$h = pgmig_start($node, $dir, [ 'up', '--lock-timeout=100ms', '--lock-retries=50' ]);
ok(eventually(sub { $h->{err} =~ /retrying in 200 ms/ }, $h),
	'no transaction: the statement times out waiting for the lock, and is retried');
ok(app_query_served(), "no transaction: application query $_ while the migration retries") foreach 1 .. 5;
ok($h->{run}->pumpable, 'no transaction: the migration was still retrying meanwhile');
$holder->query_safe('COMMIT');
($status, $sout, $serr) = pgmig_finish($h);
is($status, 0, 'no transaction: the migration succeeds once the lock is free');
like($sout, qr/^applied 11 tier \([\d.]+ \S+, no transaction, 2 statements\)\n\z/, 'no transaction: it applied 11');
like($serr,
	qr/^pgmig: revision 11 timed out waiting for a lock \(file "11_tier\.sql" line 3, attempt 1 of 51\), retrying in 100 ms\npgmig: revision 11 timed out waiting for a lock \(file "11_tier\.sql" line 3, attempt 2 of 51\), retrying in 200 ms\n/,
	'no transaction: the notices name file and line, with pauses that double');
is(sql_value($node, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'tier'"),
	'1', 'no transaction: the column is there');

# the holder never lets go; the file's directive sets the lock timeout
$holder->query_safe('BEGIN; SELECT count(*) FROM accounts;');
write_migration($dir, '12_tier2.sql',
	"-- pgmig:lock_timeout 100ms\n-- migrate:up transaction:false\nALTER TABLE accounts ADD COLUMN tier2 int;\n");
$err = pgmig_fails($node, $dir, [ 'up', '--lock-retries=1' ],
	qr/^pgmig: revision 12 timed out waiting for a lock \(file "12_tier2\.sql" line 3, attempt 1 of 2\), retrying in 100 ms\npgmig: error: revision 12 gave up waiting for a lock\nDETAIL:  2 attempts each timed out after lock_timeout 100ms: canceling statement due to lock timeout\.\nHINT:  .*\nCONTEXT:  up script of revision 12, file "12_tier2\.sql" line 3 \(no transaction: statement 1 of 1\)\n/,
	'no transaction: a migration that gives up, with file and line');
pgmig_ok($node, $dir, ['status'], qr/^\[!\] 12_tier2\.sql  \(no transaction: failed after 0 statements, head\)$/m,
	'no transaction: status shows it stopped');
is(sql_value($node, "SELECT format('%s %s', sqlstate, message) FROM pgmig.events WHERE revision = '12' ORDER BY event_id DESC LIMIT 1"),
	'55P03 revision 12 gave up waiting for a lock', 'no transaction: the audit log has the failure');
$holder->query_safe('COMMIT');
pgmig_ok($node, $dir, ['up'], qr/^applied 12 tier2 /, 'no transaction: up once the lock is free');
$holder->quit;

# the round trip of a no-transaction revision cannot be proven in a
# transaction: verify warns, but nothing failed, so it succeeds
write_migration($dir, '13_tier_index.sql',
	migration('CREATE INDEX CONCURRENTLY accounts_tier ON accounts (tier);', 'DROP INDEX CONCURRENTLY accounts_tier;',
		notx => 1));
($out, $err) = pgmig_ok($node, $dir, ['verify'],
	qr/^not checked  13 tier index\nround trip ok for 0 revisions; the check changed nothing\n\z/,
	'verify: a no-transaction revision is not checked', allow_stderr => 1);
like($err,
	qr/^pgmig: warning: 1 revision was not checked, from revision 13 on\npgmig: detail: It is marked transaction:false, so it cannot run inside the check's transaction\.\n\z/,
	'verify: a warning says which');

# pg_dump and a restore: drift tracking's baseline comes back with the
# data (its rows name the objects; their ids are the old database's, so
# the next run hashes the whole schema again), and drift shows the same
my $drift_sql = "SELECT coalesce(string_agg(change || ' ' || object, ', ' ORDER BY object), 'none') FROM mig_drift()";
$node->safe_psql('postgres', 'CREATE DATABASE restored');
my ($rret, $rout, $rerr) = $node->psql('restored', dump_db(), on_error_stop => 1);
is($rret, 0, 'restore: the dump restores') or diag($rerr);
is(sql_value($node, $drift_sql, 'restored'), sql_value($node, $drift_sql), 'restore: the same drift as the source');
is(sql_value($node, 'SELECT map_valid FROM pgmig.status_cache', 'restored'), 'f', 'restore: the map is not trusted yet');
write_migration($dir, '14_after_restore.sql', migration('CREATE TABLE after_restore (a int);', 'DROP TABLE after_restore;'));
pgmig_ok($node, $dir, [ 'up', '-d', 'restored' ], qr/^applied 13 tier index .*\napplied 14 after restore /, 'restore: up', allow_stderr => 1);
is(sql_value($node, 'SELECT map_valid FROM pgmig.status_cache', 'restored'), 't', 'restore: the run hashed the schema again');
is(sql_value($node, $drift_sql, 'restored'), 'none', 'restore: no drift after the run');

pgmig_done();
