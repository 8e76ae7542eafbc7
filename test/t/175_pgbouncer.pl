
# pgmig through PgBouncer (issue 16, poolers).  One PgBouncer, started
# here on a socket of its own, has three entries for the node: "sess" in
# session pooling mode, "tx" and "st" in transaction and statement
# pooling mode.  Through "sess" every command works as directly, a
# no-transaction revision and concurrent runs included; through "tx" and
# "st" the commands that change the database refuse before doing anything
# (the catalog, the schema, the locks and the settings of the server
# sessions unchanged), and the read-only ones work.  A second PgBouncer
# hands out its server sessions in turn (server_round_robin), which the
# probe cannot see: the guards of the settings and the lock refuse it all
# the same.  A direct connection is never taken for a pooler: it makes no
# probe connection.
use strict;
use warnings;

use File::Spec;
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $pgbouncer = '/usr/sbin/pgbouncer';
-x $pgbouncer or BAIL_OUT("$pgbouncer not found: run test/deps.sh (package pgbouncer)");
plan skip_all => 'PgBouncer refuses to run as root' if $> == 0;

my $node = new_node('pgb', conf => "log_connections = on\n");
$node->safe_psql('postgres', 'CREATE EXTENSION pgmig');
$node->safe_psql('postgres', 'CREATE DATABASE pooled');
$node->safe_psql('pooled', 'CREATE EXTENSION pgmig');

# PgBouncer on a Unix socket in a folder of its own, so that its port
# cannot collide with anything; the node trusts local connections.
# Returns where pgmig and psql reach it, as they reach a node.
my $user = getpwuid($>);
my $server = 'host=' . $node->host . ' port=' . $node->port;
my @bouncers;
END { local $?; $_->kill_kill foreach @bouncers; }

sub start_pgbouncer
{
	my ($name, $databases, $settings) = @_;
	my $bdir = PostgreSQL::Test::Utils::tempdir($name);
	my $bport = PostgreSQL::Test::Cluster::get_free_port();
	write_file("$bdir/userlist.txt", qq{"$user" ""\n});
	write_file("$bdir/pgbouncer.ini", <<"EOF");
[databases]
$databases
[pgbouncer]
listen_addr =
listen_port = $bport
unix_socket_dir = $bdir
auth_type = trust
auth_file = $bdir/userlist.txt
logfile = $bdir/pgbouncer.log
pidfile = $bdir/pgbouncer.pid
max_client_conn = 100
$settings
EOF
	my ($out, $err) = ('', '');
	push @bouncers, IPC::Run::start([ $pgbouncer, "$bdir/pgbouncer.ini" ], '>', \$out, '2>', \$err);
	my $socket = "$bdir/.s.PGSQL.$bport";
	for (my $i = 0; $i < 10 * $PostgreSQL::Test::Utils::timeout_default && !-S $socket; $i++)
	{
		select(undef, undef, undef, 0.1);
	}
	-S $socket or BAIL_OUT("PgBouncer did not start: $err");
	return Pooler->new(host => $bdir, port => $bport, log => "$bdir/pgbouncer.log");
}

{
	package Pooler;
	sub new { my ($class, %a) = @_; return bless {%a}, $class; }
	sub host { return $_[0]{host}; }
	sub port { return $_[0]{port}; }
	sub log { return $_[0]{log}; }
}

my $pooler = start_pgbouncer('pgbouncer', <<"EOF", 'default_pool_size = 20');
sess = $server dbname=postgres pool_mode=session
tx = $server dbname=pooled pool_mode=transaction
st = $server dbname=pooled pool_mode=statement
EOF

# pgmig through entry "db" of a pooler (the one above unless "via" names
# another); pgmig_ok's and pgmig_start's likewise.
sub via
{
	my ($db, $dir, $args, %opts) = @_;
	local $ENV{PGDATABASE} = $db;
	return pgmig($opts{via} // $pooler, $dir, $args);
}

sub via_ok
{
	my ($db, $dir, $args, $like, $name) = @_;
	local $ENV{PGDATABASE} = $db;
	return pgmig_ok($pooler, $dir, $args, $like, $name);
}

sub via_start
{
	my ($db, $dir, $args) = @_;
	local $ENV{PGDATABASE} = $db;
	return pgmig_start($pooler, $dir, $args);
}

# One value read through entry "db" of a pooler.
sub pooled_value
{
	my ($db, $sql, $via) = @_;
	my ($out, $err) = ('', '');
	$via //= $pooler;
	IPC::Run::run([ 'psql', '-XAtq', '-h', $via->host, '-p', $via->port, '-d', $db, '-c', $sql ],
		'>', \$out, '2>', \$err) or die "psql through $db: $err";
	chomp $out;
	return $out;
}

my $dir = new_project('pooled');
write_migration($dir, '001_one.sql', migration('CREATE TABLE p1 (id int, v int);', 'DROP TABLE p1;'));
write_migration($dir, '002_index.sql',
	migration('CREATE INDEX CONCURRENTLY p1_v ON p1 (v);', 'DROP INDEX CONCURRENTLY p1_v;', notx => 1));
write_migration($dir, '003_three.sql', migration('CREATE TABLE p3 (id int);', 'DROP TABLE p3;'));

# --- a direct connection is never taken for a pooler: no probe connection
my $offset = -s $node->logfile;
pgmig_ok($node, $dir, [ 'up', '001' ], qr/^applied 001 /, 'direct: up 001');
my @conns = (slurp_file($node->logfile, $offset) =~ /connection authorized: /g);
is(scalar(@conns), 1, 'direct: one connection, no probe for a pooler');
pgmig_ok($node, $dir, [ 'down', 'base' ], qr/^reverted 001 /, 'direct: down base');

# --- session pooling: as directly
$offset = -s $pooler->log;
via_ok('sess', $dir, ['up'],
	qr/^applied 001 .*\napplied 002 .*no transaction, 1 statement.*\napplied 003 /s, 'session pooling: up');
@conns = (slurp_file($pooler->log, $offset) =~ /login attempt: db=sess /g);
is(scalar(@conns), 2, 'session pooling: up probes the pooler with a second connection');
is($node->safe_psql('postgres', 'SELECT string_agg(id, \',\' ORDER BY id) FROM pgmig.schema_migrations'),
	'001,002,003', 'session pooling: the catalog has the three revisions');
is($node->safe_psql('postgres', "SELECT indisvalid FROM pg_index WHERE indexrelid = 'p1_v'::regclass"),
	't', 'session pooling: the concurrent index is built and valid');
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmig.runs"), '0', 'session pooling: no run left noted');
is($node->safe_psql('postgres', "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"),
	'0', 'session pooling: the lock is released when the run ends');
via_ok('sess', $dir, ['status'], qr/^\[X\] 001_one\.sql\n\[X\] 002_index\.sql\n\[X\] 003_three\.sql  \(head\)/m,
	'session pooling: status');
via_ok('sess', $dir, [ 'down', '001' ], qr/^reverted 003 .*\nreverted 002 .*no transaction/s, 'session pooling: down 001');
is($node->safe_psql('postgres', "SELECT to_regclass('p1_v') IS NULL AND to_regclass('p3') IS NULL"),
	't', 'session pooling: down dropped the index and the table');
is($node->safe_psql('postgres', 'SELECT string_agg(id, \',\') FROM pgmig.schema_migrations'),
	'001', 'session pooling: the catalog after down');

# several runs at once through the pooler: each revision exactly once
write_migration($dir, '004_four.sql', migration('CREATE TABLE p4 (id int);', 'DROP TABLE p4;'));
write_migration($dir, '005_index.sql',
	migration('CREATE INDEX CONCURRENTLY p4_id ON p4 (id);', 'DROP INDEX CONCURRENTLY p4_id;', notx => 1));
my $events = $node->safe_psql('postgres', 'SELECT max(event_id) FROM pgmig.events');
my @runs = map { via_start('sess', $dir, ['up']) } 1 .. 4;
my %applied;
foreach my $h (@runs)
{
	my ($st, $o, $e) = pgmig_finish($h);
	is($st, 0, 'session pooling, concurrent up: exit status 0');
	$applied{$_}++ foreach ($o =~ /^applied (\d+) /mg);
}
is_deeply(\%applied, { '002' => 1, '003' => 1, '004' => 1, '005' => 1 },
	'session pooling, concurrent up: each revision applied by one run');
is($node->safe_psql('postgres',
		"SELECT string_agg(revision || ':' || n, ',' ORDER BY revision) FROM"
		  . " (SELECT revision, count(*) n FROM pgmig.events WHERE event_id > $events AND action = 'apply'"
		  . " AND success GROUP BY revision) e"),
	'002:1,003:1,004:1,005:1', 'session pooling, concurrent up: one apply event each');
is($node->safe_psql('postgres',
		"SELECT count(*) FROM pg_index WHERE indexrelid IN ('p1_v'::regclass, 'p4_id'::regclass) AND indisvalid"),
	'2', 'session pooling, concurrent up: both concurrent indexes valid');

# --- transaction and statement pooling: refused before anything is done
{
	local $ENV{PGDATABASE} = 'pooled';
	pgmig_ok($node, $dir, [ 'up', '001' ], qr/^applied 001 /, 'database "pooled": 001 applied directly');
}
my $catalog_sql =
	"SELECT (SELECT string_agg(id || ':' || state, ',' ORDER BY id) FROM pgmig.schema_migrations)"
  . " || '/' || (SELECT count(*) FROM pgmig.revisions)"
  . " || '/' || (SELECT max(event_id) FROM pgmig.events)"
  . " || '/' || (SELECT count(*) FROM pgmig.runs)"
  . " || '/' || (SELECT count(*) FROM pg_tables WHERE tablename LIKE 'p_')";
my $catalog = $node->safe_psql('pooled', $catalog_sql);

# pgmig's settings made in a session (placeholders where the library is
# not loaded)
my $set_sql = "SELECT coalesce(CASE WHEN EXISTS (SELECT FROM pg_settings WHERE name = 'pgmig.confirm')"
  . " THEN (SELECT string_agg(name, ' ') FROM pg_settings WHERE name LIKE 'pgmig.%' AND source = 'session')"
  . " ELSE concat_ws(' ', current_setting('pgmig.confirm', true), current_setting('pgmig.lock_timeout', true),"
  . " current_setting('pgmig.lock_retries', true)) END, '')";
foreach my $db ('tx', 'st')
{
	my $mode = $db eq 'tx' ? 'transaction pooling' : 'statement pooling';
	foreach my $cmd ([ 'up', '--confirm' ], [ 'down', 'base' ], [ 'stamp', '003' ], ['verify'], ['redo'],
		['import'], [ 'new', '-m', 'more', '--autogenerate', '--from-database' ])
	{
		my ($st, $o, $err) = via($db, $dir, $cmd);
		is($st, 1, "$mode: @$cmd exits 1");
		like($err,
			qr/error: database "$db" is reached through a connection pooler in transaction or statement pooling mode\n.*detail: (?:A second connection was given server process \d+, this connection's|This connection was served by server process \d+, then by \d+): the pooler shares server sessions between clients\. A migration run needs one server session from start to end: .*Nothing was done\.\n.*hint: Connect to the server directly, or through a pool in session mode \(for PgBouncer, a database entry with pool_mode=session\)/s,
			"$mode: @$cmd names transaction pooling, why, and what to do");
		is($o, '', "$mode: @$cmd prints nothing on stdout");
	}
	is($node->safe_psql('pooled', $catalog_sql), $catalog, "$mode: the catalog and the schema unchanged");
	my @files = glob("$dir/migrations/*");
	is(scalar(@files), 5, "$mode: new wrote no file");
	is($node->safe_psql('pooled', "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"),
		'0', "$mode: no migration lock left in a pooled server session");
	is(pooled_value($db, $set_sql), '', "$mode: --confirm did not reach a pooled server session");

	# what only reads needs no session of its own
	via_ok($db, $dir, ['status'], qr/^\[X\] 001_one\.sql\n\[ \] 002_index\.sql/m, "$mode: status");
	via_ok($db, $dir, ['current'], qr/^001 one\n\z/, "$mode: current");
	via_ok($db, $dir, [ 'history', '-v' ], qr/^Rev: 001 \(current\)$/m, "$mode: history -v");
	via_ok($db, $dir, [ 'show', '001' ], qr/^State: applied /m, "$mode: show");
	via_ok($db, $dir, ['check'], qr/^ok: 5 revisions, 1 applied, 4 pending/, "$mode: check");
	is($node->safe_psql('pooled', $catalog_sql), $catalog, "$mode: the reads changed nothing");
}

# The probe proves sharing, never its absence.  PgBouncer with
# server_round_robin hands out its server sessions in turn: with three,
# the probe's connection gets none of this one's, and this one asks again
# in the session it had first; its next statement lands in another.  The
# settings and the lock are tried only in the server process seen first.
my $rr = start_pgbouncer('pgbouncer_rr', <<"EOF", "default_pool_size = 3\nserver_round_robin = 1");
rr = $server dbname=pooled pool_mode=transaction
one = $server dbname=postgres pool_mode=session pool_size=1
EOF
foreach my $cmd ([ 'up' ], [ 'up', '--confirm' ], [ 'up', '--lock-timeout=1s', '--lock-retries=2' ])
{
	# three server sessions, idle in turn
	my @warm = map {
		IPC::Run::start([ 'psql', '-XAtq', '-h', $rr->host, '-p', $rr->port, '-d', 'rr', '-c', 'SELECT pg_sleep(0.2)' ],
			'>', \my $o, '2>', \my $e)
	} 1 .. 3;
	$_->finish foreach @warm;
	my ($st, $o, $err) = via('rr', $dir, $cmd, via => $rr);
	is($st, 1, "round robin: @$cmd exits 1");
	like($err,
		qr/error: database "rr" is reached through a connection pooler in transaction or statement pooling mode\n.*detail: .*the pooler shares server sessions between clients\. .*Nothing was done\./s,
		"round robin: @$cmd is refused all the same");
	is($node->safe_psql('pooled', $catalog_sql), $catalog, "round robin: @$cmd changed nothing");
	is($node->safe_psql('pooled', "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"),
		'0', "round robin: @$cmd left no migration lock in a pooled server session");
	is(join(',', map { pooled_value('rr', $set_sql, $rr) } 1 .. 3),
		',,', "round robin: @$cmd set nothing in a pooled server session");
}

# a session pool of one server session: the probe's connection is not
# served in time, and the run goes on as in session mode
write_migration($dir, '006_six.sql', migration('CREATE TABLE p6 (id int);', 'DROP TABLE p6;'));
{
	local $ENV{PGDATABASE} = 'one';
	pgmig_ok($rr, $dir, ['up'], qr/^applied 006 /, 'session pool of one: up');
}
is($node->safe_psql('postgres', "SELECT count(*) FROM pgmig.schema_migrations WHERE id = '006'"),
	'1', 'session pool of one: 006 applied');

pgmig_done();

