# Fleets (issue 16): one command over many databases with --databases FILE
# or --all-databases, --jobs and --fail-fast.  20 databases on one
# instance and one on a second, one of them with a failing migration: it is
# rolled back whole and the others are at head, checked in each catalog and
# schema; the table, JSON validated against its schema, a bad databases
# file, the production guard per database, and Ctrl-C during a run whose
# migrations sleep: no database is left half-migrated, and those not
# started are untouched.
use strict;
use warnings;

use IPC::Run;
use JSON::PP;
use PgmigTest;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);


my $node = new_node('fleet');
my $other = new_node('fleet_other');
my @names = map { sprintf('t%02d', $_) } 1 .. 20;
foreach my $db (@names)
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION pgmig');
}
$other->safe_psql('postgres', 'CREATE DATABASE remote');
$other->safe_psql('remote', 'CREATE EXTENSION pgmig');
# what --all-databases leaves out: no extension, no connections
$node->safe_psql('postgres', 'CREATE DATABASE noext');
$node->safe_psql('postgres', 'CREATE DATABASE closed');
$node->safe_psql('closed', 'CREATE EXTENSION pgmig');
$node->safe_psql('postgres', 'ALTER DATABASE closed ALLOW_CONNECTIONS false');
# the failing one: a table of the second revision is there already
$node->safe_psql('t07', 'CREATE TABLE b (made_by_hand int)');

my $dir = new_project('fleet');
write_migration($dir, '001_a.sql', migration('CREATE TABLE a (id int);', 'DROP TABLE a;'));
write_migration($dir, '002_b.sql', migration('CREATE TABLE b (id int);', 'DROP TABLE b;'));
write_migration($dir, '003_c.sql', migration('CREATE TABLE c (id int);', 'DROP TABLE c;'));

# the second instance's line holds a password (trust ignores it): never shown
my $remote = 'host=' . $other->host . ' port=' . $other->port . ' dbname=remote password=s3cret';
my $list = write_file("$dir/databases.txt",
	"# the tenants\n\n" . join('', map { "$_\n" } @names) . "  $remote  \n");

# on which revisions a database is, and which of the tables it has
sub applied
{
	my ($n, $db) = @_;
	return $n->safe_psql($db, "SELECT coalesce(string_agg(id, ',' ORDER BY id), '') FROM pgmig.schema_migrations");
}

sub tables
{
	my ($n, $db) = @_;
	return $n->safe_psql($db,
		"SELECT coalesce(string_agg(tablename, ',' ORDER BY tablename), '') FROM pg_tables WHERE schemaname = 'public'");
}

# usage errors
foreach my $case (
	[ [ 'up', '--jobs', '2' ], qr/-j\/--jobs needs --databases or --all-databases/ ],
	[ [ 'up', '--fail-fast' ], qr/--fail-fast needs --databases or --all-databases/ ],
	[ [ 'up', '--databases', $list, '--all-databases' ], qr/--databases and --all-databases cannot be used together/ ],
	[ [ 'up', '--databases', $list, '-d', 't01' ], qr/-d\/--dbname cannot be used with --databases/ ],
	[ [ 'up', '--databases', $list, '--sql' ], qr/--sql cannot be used with --databases/ ],
	[ [ 'up', '--databases', $list, '--jobs', '0' ], qr/-j\/--jobs must be in range 1\.\.1000/ ],
	[ [ 'new', '-m', 'x', '--all-databases' ], qr/cannot be used with command "new"/ ],
	[ [ 'history', '--json', '--all-databases' ], qr/cannot be used with command "history"/ ])
{
	my ($args, $like) = @$case;
	pgmig_fails($node, $dir, $args, $like, "usage: @$args", status => 2);
}

# a bad databases file: every bad line named with its number, nothing runs
my $bad = write_file("$dir/bad.txt",
	"t01\n# fine\nhost=x port\nt02\nt01\npostgresql://u:pw\@[::1/db\n");
my ($st, $out);
my $err = pgmig_fails($node, $dir, [ 'up', '--databases', $bad ],
	qr/pgmig:\Q$bad\E:3: error: invalid connection string "host=x port"/, 'bad file: line 3');
like($err, qr/pgmig:\Q$bad\E:5: error: database "t01" is listed twice\n.*detail: It is on line 1 too/,
	'bad file: a database listed twice');
like($err, qr/pgmig:\Q$bad\E:6: error: invalid connection string/, 'bad file: line 6');
unlike($err, qr/pw/, 'bad file: no password shown');
my $doc_err;
($st, $doc_err) = pgmig($node, $dir, [ 'up', '--databases', $bad, '--json' ]);
is(validate_json($doc_err, 'error.json'), "valid\n", 'bad file, --json: the error document');
like($doc_err, qr/"message":"invalid connection string \\"host=x port\\""/, 'bad file, --json: its first error');
is(applied($node, 't01'), '', 'bad file: nothing ran');
pgmig_fails($node, $dir, [ 'up', '--databases', write_file("$dir/empty.txt", "# none\n\n") ],
	qr/error: no databases in /, 'an empty file');
pgmig_fails($node, $dir, [ 'up', '--databases', "$dir/nosuch.txt" ],
	qr/could not .*nosuch\.txt/, 'a missing file');

# the fleet: 21 databases, 4 at a time, one failing
($st, $out, $err) = pgmig($node, $dir, [ 'up', '--databases', $list, '--jobs', '4' ]);
is($st, 1, 'up: exit status 1, one database failed');
like($err, qr/error: 1 database failed: t07\n/, 'up: names the failed database');
like($out, qr/^database\s+before\s+after\s+time\s+result\n/, 'up: the table has its header');
like($out, qr/^t01\s+base\s+003\s+\S+ m?s\s+ok$/m, 'up: a row of a database migrated');
like($out, qr/^t07\s+base\s+base\s+\S+ m?s\s+failed$/m, 'up: the failed one stayed at base');
like($out, qr/^21 databases: 20 ok, 1 failed\n\z/m, 'up: the counts');
like($err, qr/^t07: pgmig: error: relation "b" already exists$/m, 'up: its error, prefixed with it');
like($err, qr/^t01: applied 001 /m, 'up: the output of each, prefixed');
unlike($out . $err, qr/s3cret/, 'up: no password shown');
like($out, qr/password=\*\*\*\*\*/, 'up: the remote database shown masked');
my $ok = 1;
foreach my $db (grep { $_ ne 't07' } @names)
{
	$ok &&= is(applied($node, $db), '001,002,003', "$db: at head");
	$ok &&= is(tables($node, $db), 'a,b,c', "$db: its schema");
}
is(applied($other, 'remote'), '001,002,003', 'remote (second instance): at head');
is(tables($other, 'remote'), 'a,b,c', 'remote: its schema');
is(applied($node, 't07'), '', 't07: nothing applied');
is(tables($node, 't07'), 'b', 't07: rolled back whole (only the table made by hand)');

# JSON, validated; status over the fleet
my $json;
($st, $json, $err) = pgmig($node, $dir, [ 'up', '--databases', $list, '-j', '3', '--json' ]);
is($st, 1, 'up --json: exit status 1');
is(validate_json($json, 'fleet.json'), "valid\n", 'up --json: valid');
my $doc = decode_json($json);
is($doc->{command}, 'up', 'up --json: the command');
is(scalar @{ $doc->{databases} }, 21, 'up --json: every database');
is_deeply($doc->{failed}, ['t07'], 'up --json: the failed one');
my ($t07) = grep { $_->{database} eq 't07' } @{ $doc->{databases} };
is_deeply([ $t07->{result}, $t07->{before}, $t07->{after}, $t07->{exit_status} ], [ 'failed', [], [], 1 ],
	'up --json: its row');
like($t07->{output}, qr/relation "b" already exists/, 'up --json: its output');
my ($t01) = grep { $_->{database} eq 't01' } @{ $doc->{databases} };
is_deeply([ $t01->{result}, $t01->{before}, $t01->{after} ], [ 'ok', ['003'], ['003'] ], 'up --json: a row at head');
($st, $json, $err) = pgmig($node, $dir, [ 'status', '--databases', $list, '--json' ]);
is($st, 0, 'status --json: exit status 0');
is(validate_json($json, 'fleet.json'), "valid\n", 'status --json: valid');
like($json, qr/\[X\] 003_c\.sql/, 'status --json: each status in its output');
is(validate_json('{"command":"up","databases":[],"failed":[],"not_started":[],"skipped":[]}', 'fleet.json') =~ /^invalid/
	  ? 'refused' : 'accepted', 'refused', 'fleet.json: refuses a document without "interrupted"');

# on a terminal, a summary line while it runs (script(1) gives it one)
{
	my $tty = '';
	local %ENV = (%ENV, PGHOST => $node->host, PGPORT => $node->port);
	chdir $dir or die "chdir $dir: $!";
	IPC::Run::run([ 'script', '-qec', "pgmig status --databases '$list' -j 2", '/dev/null' ], '<', \'', '>', \$tty);
	chdir '/';
	like($tty, qr{\r\d+/21 done, \d+ running: t0}, 'on a terminal: a summary line');
	like($tty, qr/\r\e\[Kt0\d: \[X\] 001_a\.sql/, 'on a terminal: taken off before the output');
}

# --fail-fast: after t07 fails, the others are not started
write_migration($dir, '004_d.sql', migration('CREATE TABLE d (id int);', 'DROP TABLE d;'));
my $ff = write_file("$dir/ff.txt", "t07\nt01\nt02\n");
($st, $out, $err) = pgmig($node, $dir, [ 'up', '--databases', $ff, '--fail-fast' ]);
is($st, 1, '--fail-fast: exit status 1');
like($out, qr/^t01\s+not started$/m, '--fail-fast: t01 not started');
like($err, qr/error: 2 databases not started: t01, t02\n.*detail: --fail-fast started no more/s,
	'--fail-fast: says so');
is(applied($node, 't01'), '001,002,003', '--fail-fast: t01 untouched');
# without it, the others go on
($st, $out, $err) = pgmig($node, $dir, [ 'up', '--databases', $ff ]);
is($st, 1, 'no --fail-fast: exit status 1');
is(applied($node, 't02'), '001,002,003,004', 'no --fail-fast: t02 migrated');

# --all-databases: those with the extension that take connections
($st, $out, $err) = pgmig($node, $dir, [ 'up', '--all-databases', '--jobs', '3' ]);
is($st, 1, '--all-databases: exit status 1 (t07)');
like($out, qr/^noext\s+skipped$/m, '--all-databases: noext skipped');
like($out, qr/^postgres\s+skipped$/m, '--all-databases: postgres skipped');
unlike($out, qr/^(closed|template[01])\s/m, '--all-databases: no templates, nor closed databases');
like($out, qr/^t20\s+003\s+004\s/m, '--all-databases: t20 from 003 to 004');
like($out, qr/^22 databases: 19 ok, 1 failed, 2 skipped$/m, '--all-databases: counts');
is(sql_value($node, "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgmig'", 'noext'), '0',
	'--all-databases: noext untouched');
$node->safe_psql('t07', 'DROP TABLE b');
pgmig_ok($node, $dir, [ 'up', '--all-databases', '-j', '2' ], qr/^t07\s+base\s+004\s.*ok$/m,
	'--all-databases: t07 once fixed', allow_stderr => 1);
foreach my $db (@names)
{
	$ok &&= is(tables($node, $db), 'a,b,c,d', "$db: at head, all of it");
}

# the production guard is each database's: t03 refuses, the others go on
write_migration($dir, '005_e.sql', migration('CREATE TABLE e (id int);', 'DROP TABLE e;'));
$node->safe_psql('postgres', "ALTER DATABASE t03 SET pgmig.environment = 'production'");
my $three = write_file("$dir/three.txt", "t02\nt03\nt04\n");
($st, $out, $err) = pgmig($node, $dir, [ 'up', '--databases', $three, '-j', '2' ]);
is($st, 1, 'production: exit status 1');
like($err, qr/^t03: pgmig: error: apply refused in a production database/m, 'production: t03 refuses');
is(applied($node, 't04'), '001,002,003,004,005', 'production: t04 migrated');
pgmig_ok($node, $dir, [ 'up', '--databases', $three, '--confirm' ], qr/^t03\s+004\s+005\s.*ok$/m,
	'production: --confirm confirms each', allow_stderr => 1);

# passwords: -W asks once for every database; children never prompt
my $hba = read_file_text($node->data_dir . '/pg_hba.conf');
write_file($node->data_dir . '/pg_hba.conf', "local all pwuser scram-sha-256\n$hba");
$node->safe_psql('postgres',
	"SET password_encryption = 'scram-sha-256'; CREATE ROLE pwuser LOGIN SUPERUSER PASSWORD 'sekrit'");
$node->reload;
my %nopass = (env => { PGPASSWORD => undef, PGPASSFILE => '/nonexistent' });
($st, $out, $err) = pgmig($node, $dir, [ 'status', '--databases', $three, '-U', 'pwuser', '-W', '-j', '2' ],
	%nopass, stdin => "sekrit\n", setsid => 1);
is($st, 0, '-W: asked once, every database connects');
like($out, qr/^3 databases: 3 ok$/m, '-W: all three');
($st, $out, $err) = pgmig($node, $dir, [ 'status', '--databases', $three, '-U', 'pwuser' ],
	%nopass, stdin => "sekrit\n", setsid => 1);
is($st, 1, 'no -W: exit status 1');
like($err, qr/^t02: pgmig: error: .*no password supplied/m, 'no -W: a child does not prompt, it fails');
like($out, qr/^3 databases: 0 ok, 3 failed$/m, 'no -W: every database failed');

# down over the fleet
pgmig_ok($node, $dir, [ 'down', '004', '--databases', $three ], qr/^t02\s+005\s+004\s.*ok$/m,
	'down over the fleet', allow_stderr => 1, env => { PGMIG_CONFIRM => 'yes' });
is(tables($node, 't03'), 'a,b,c,d', 'down: t03 reverted');

# Ctrl-C: the running databases roll back, the others are not started
write_migration($dir, '006_slow.sql',
	migration("CREATE TABLE f1 (id int);\nSELECT pg_sleep(30);\nCREATE TABLE f2 (id int);", 'DROP TABLE f2; DROP TABLE f1;'));
my @six = map { sprintf('t%02d', $_) } 11 .. 16;
my %events = map { $_ => sql_value($node, 'SELECT count(*) FROM pgmig.events', $_) } @six;
my $h = pgmig_start($node, $dir, [ 'up', '--databases', write_file("$dir/six.txt", join("\n", @six) . "\n"),
	'--jobs', '2', '--json' ]);
my $sleeping = 0;
foreach (1 .. 600)
{
	$sleeping = sql_value($node, "SELECT count(*) FROM pg_stat_activity WHERE datname LIKE 't1_' AND wait_event = 'PgSleep'");
	last if $sleeping == 2;
	usleep(50_000);
}
is($sleeping, 2, 'Ctrl-C: two databases are running their sleeping revision');
$h->{run}->signal('INT');
($st, $json, $err) = pgmig_finish($h);
is($st, 1, 'Ctrl-C: exit status 1');
is(validate_json($json, 'fleet.json'), "valid\n", 'Ctrl-C: the JSON is valid');
$doc = decode_json($json);
ok($doc->{interrupted}, 'Ctrl-C: says it was interrupted');
my %result = map { $_->{database} => $_->{result} } @{ $doc->{databases} };
is(scalar(grep { $_ eq 'canceled' } values %result), 2, 'Ctrl-C: the two running ones canceled');
is(scalar(grep { $_ eq 'not started' } values %result), 4, 'Ctrl-C: four not started');
like($err, qr/error: 2 databases canceled: t11, t12\n.*error: 4 databases not started: t13, t14, t15, t16\n.*detail: The run was interrupted/s,
	'Ctrl-C: says which');
foreach my $db (@six)
{
	my $t = tables($node, $db);
	is($t, 'a,b,c,d', "Ctrl-C: $db not half-migrated");
	is(applied($node, $db), '001,002,003,004', "Ctrl-C: $db still at 004");
	is(sql_value($node, 'SELECT count(*) FROM pgmig.events', $db), $events{$db}, "Ctrl-C: $db untouched")
	  if $result{$db} eq 'not started';
	ok($node->poll_query_until($db, "SELECT count(*) = 0 FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()"),
		"Ctrl-C: no session left on $db");
}

# --all-databases lists the server DATABASE_URL names, read from .env too
write_file("$dir/.env", 'DATABASE_URL=postgresql:///postgres?host=' . $other->host . '&port=' . $other->port . "\n");
pgmig_ok(undef, $dir, [ 'status', '--all-databases' ], qr/^remote\s+003\s+003\s.*ok\n.*^2 databases: 1 ok, 1 skipped$/ms,
	'--all-databases: the server of .env\'s DATABASE_URL', allow_stderr => 1,
	env => { PGHOST => undef, PGPORT => undef, PGDATABASE => undef });
unlink "$dir/.env";

pgmig_done();
