# Sqitch's layout read as it is (issue 12): sqitch.plan's order, its
# dependencies as parents, a reworked change named change@tag, the
# BEGIN/COMMIT of its scripts, sqitch.conf's folders, the project found as
# the migrations folder, malformed plans and missing or stray scripts; and
# a database the real Sqitch (Debian's sqitch, libdbd-pg-perl) deployed,
# taken over with "pgmig import", then "pgmig up" applying the rest.
use strict;
use warnings;

use File::Path qw(make_path remove_tree);
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('sqitch');
my %offline = (env => { PGHOST => '/nonexistent', PGPORT => '1', DATABASE_URL => undef });
my ($st, $out, $err);

# Write files under "dir" (relative names, folders made as needed).
sub write_tree
{
	my ($dir, %files) = @_;
	foreach my $f (keys %files)
	{
		make_path("$dir/$1") if $f =~ m{^(.*)/};
		write_file("$dir/$f", $files{$f});
	}
}

my $sig = '2024-01-01T00:00:00Z Tess Planner <tess@example.org>';
my $plan = <<"EOF";
%syntax-version=1.0.0
%project=flipr
%uri=https://example.org/flipr/

# the first release
appschema $sig # Add schema for all flipr objects.
users [appschema] $sig # Creates table to track our users.
\@v1.0 $sig # Tag v1.0.

flips [users appschema] $sig # Adds table for storing flips.
users [users\@v1.0 flipr:appschema] $sig # Adds users.nickname.
EOF

# Sqitch's scripts as "sqitch add" writes them: BEGIN; ... COMMIT;
sub wrapped
{
	my ($what, $sql) = @_;
	return "-- $what\n\nBEGIN;\n\n$sql\n\nCOMMIT;\n";
}
my %project = (
	'sqitch.conf' => "[core]\n\tengine = pg\n\t# plan_file = sqitch.plan\n"
		. "[engine \"pg\"]\n\tclient = "
		. $node->config_data('--bindir') . "/psql\n",
	'sqitch.plan' => $plan,
	'deploy/appschema.sql' => wrapped('Deploy flipr:appschema to pg', 'CREATE SCHEMA flipr;'),
	'revert/appschema.sql' => wrapped('Revert flipr:appschema from pg', 'DROP SCHEMA flipr;'),
	'verify/appschema.sql' => "BEGIN;\nSELECT pg_catalog.has_schema_privilege('flipr', 'usage');\nROLLBACK;\n",
	'deploy/users@v1.0.sql' => wrapped('Deploy flipr:users to pg',
		"SET client_min_messages = 'warning';\nCREATE TABLE flipr.users (nickname TEXT PRIMARY KEY);"),
	'revert/users@v1.0.sql' => wrapped('Revert flipr:users from pg', 'DROP TABLE flipr.users;'),
	'deploy/flips.sql' => wrapped('Deploy flipr:flips to pg',
		"CREATE TABLE flipr.flips (id BIGSERIAL PRIMARY KEY,\n  nickname TEXT NOT NULL REFERENCES flipr.users);"),
	'revert/flips.sql' => wrapped('Revert flipr:flips from pg', 'DROP TABLE flipr.flips;'),
	'deploy/users.sql' => wrapped('Deploy flipr:users to pg', 'ALTER TABLE flipr.users ADD COLUMN twitter TEXT;'),
	'revert/users.sql' => wrapped('Revert flipr:users from pg', 'ALTER TABLE flipr.users DROP COLUMN twitter;'));
my $sq = PostgreSQL::Test::Utils::tempdir('flipr');
write_tree($sq, %project);

# --- the layout, offline
pgmig_ok(undef, $sq, [ 'check', '--offline' ], qr/^ok: 4 revisions, head users; format: sqitch$/,
	'Sqitch: check reads the plan and names the format', %offline);
# the project's root is found from a folder below it, as migrations/ is
pgmig_ok(undef, "$sq/deploy", [ 'check', '--offline' ], qr/^ok: 4 revisions, head users; format: sqitch$/,
	'Sqitch: the project is found from a folder inside it', %offline);
($out) = pgmig_ok(undef, $sq, [ 'history', '--offline' ], undef, 'Sqitch: history offline', %offline);
like($out, qr/^\(flips, users\@v1\.0, appschema\) -> users \(head\).*\n\(users\@v1\.0, appschema\) -> flips .*\nappschema -> users\@v1\.0 .*\n<base> -> appschema /,
	'Sqitch: history in plan order, newest first, the requirements as parents');
pgmig_fails(undef, $sq, [ 'new', '-m', 'more' ], qr/pgmig does not write Sqitch's changes.*sqitch add/s,
	'Sqitch: new refuses, and says how to add a change', %offline);

# --- up and down on a fresh database; init names the project
$node->safe_psql('postgres', 'CREATE DATABASE sq');
pgmig_ok($node, $sq, [ 'init', '-d', 'sq' ], qr/^migrations folder \S+ is a Sqitch project: its plan and scripts are read as they are\n/,
	'Sqitch: init names the project instead of creating a folder');
ok(!-e "$sq/migrations", 'Sqitch: init created no migrations folder');
pgmig_ok($node, $sq, [ 'up', '-d', 'sq' ],
	qr/^applied appschema .*\napplied users\@v1\.0 .*\napplied flips .*\napplied users /,
	'Sqitch: up applies the plan in order');
is($node->safe_psql('sq', "SELECT string_agg(id || ':' || sortkey || ':' || array_to_string(parents, ',')"
	. " || ':' || source_file, ' ' ORDER BY sortkey::int) FROM pgmig.revisions"),
	'appschema:1::deploy/appschema.sql users@v1.0:2:appschema:deploy/users@v1.0.sql'
	. ' flips:3:users@v1.0,appschema:deploy/flips.sql users:4:flips,users@v1.0,appschema:deploy/users.sql',
	'Sqitch: plan position as version, the change before and the requirements as parents');
is($node->safe_psql('sq', "SELECT string_agg(column_name, ',' ORDER BY ordinal_position)"
	. " FROM information_schema.columns WHERE table_schema = 'flipr' AND table_name = 'users'"),
	'nickname,twitter', 'Sqitch: the schema is what the scripts make');
is($node->safe_psql('sq', "SELECT count(*) FROM pgmig.schema_migrations WHERE method = 'applied'"),
	'4', 'Sqitch: four revisions recorded as applied');
is($node->safe_psql('sq', "SELECT description FROM pgmig.revisions WHERE id = 'flips'"),
	'Adds table for storing flips.', 'Sqitch: the note is the description');
pgmig_ok($node, $sq, [ 'down', 'users@v1.0', '-d', 'sq' ], qr/^reverted users .*\nreverted flips /,
	'Sqitch: down to a reworked change named change@tag');
pgmig_ok($node, $sq, [ 'down', 'base', '-d', 'sq' ], qr/reverted appschema/, 'Sqitch: down base');
is($node->safe_psql('sq', "SELECT count(*) FROM pg_namespace WHERE nspname = 'flipr'")
	. $node->safe_psql('sq', 'SELECT count(*) FROM pgmig.schema_migrations'),
	'00', 'Sqitch: the revert scripts ran, nothing is left applied');

# up --sql sends the plan with the scripts; its output runs under psql
$node->safe_psql('postgres', 'CREATE DATABASE sqsql');
($st, $out, $err) = pgmig(undef, $sq, [ 'up', '--sql' ], %offline);
my $script = write_file(PostgreSQL::Test::Utils::tempdir('sqsql') . '/up.sql', $out);
IPC::Run::run([ $node->config_data('--bindir') . '/psql', '-X', '-h', $node->host, '-p', $node->port,
	'-d', 'sqsql', '-v', 'ON_ERROR_STOP=1', '-f', $script ], '<', \'', '>', \my $sout, '2>', \my $serr);
is($? >> 8, 0, 'Sqitch: up --sql runs under psql') or diag($serr);
is($node->safe_psql('sqsql', "SELECT string_agg(id, ',' ORDER BY applied_at, id) FROM pgmig.schema_migrations"),
	'appschema,users@v1.0,flips,users', 'Sqitch: up --sql applied the plan in order');
like((pgmig($node, $sq, [ 'status', '-d', 'sqsql' ]))[1], qr/^Format: sqitch$/m, 'Sqitch: status names the format');

# from psql: the plan comes with the scripts, or the scripts are refused
$node->safe_psql('postgres', 'CREATE DATABASE sqpsql');
$node->safe_psql('sqpsql', 'CREATE EXTENSION pgmig');
($st, $out, $err) = $node->psql('sqpsql', "SELECT * FROM mig_register(ARRAY['deploy/appschema.sql'],"
	. " ARRAY['CREATE SCHEMA flipr;'])");
like($err, qr/ERROR:  file "deploy\/appschema\.sql" comes without sqitch\.plan/, 'Sqitch from psql: a script without the plan');
($st, $out, $err) = $node->psql('sqpsql', "SELECT * FROM mig_register(ARRAY['deploy/nosuch.sql', 'sqitch.plan'],"
	. " ARRAY['SELECT 1;', \$p\$$plan\$p\$])");
like($err, qr/ERROR:  file "deploy\/nosuch\.sql" is no change of sqitch\.plan/, 'Sqitch from psql: a script of no change');
($st, $out, $err) = $node->psql('sqpsql', "SELECT * FROM mig_register(ARRAY['deploy/appschema.sql', 'sqitch.plan'],"
	. " ARRAY['SELECT 1;', \$p\$%project=flipr\nappschema [nosuch] $sig\n\$p\$])");
like($err, qr/ERROR:  change "appschema" requires unknown change "nosuch"\n(?:.*\n)*CONTEXT:  file "sqitch\.plan" line 2/,
	'Sqitch from psql: the server parses the plan, and names its line');
is($node->safe_psql('sqpsql', "SELECT revision || ' ' || action FROM mig_register(ARRAY['deploy/appschema.sql',"
	. " 'revert/appschema.sql', 'sqitch.plan'], ARRAY[\$s\$BEGIN;\nCREATE SCHEMA flipr;\nCOMMIT;\n\$s\$,"
	. " 'DROP SCHEMA flipr;', \$p\$$plan\$p\$])"), 'appschema new', 'Sqitch from psql: registered');
is($node->safe_psql('sqpsql', "SELECT up_script || '|' || down_script || '|' || source_file FROM pgmig.revisions"),
	"\nCREATE SCHEMA flipr;\n\n|DROP SCHEMA flipr;|deploy/appschema.sql",
	'Sqitch from psql: BEGIN and COMMIT dropped, their lines kept');

# a BEGIN or COMMIT other than the script's own pair is refused with its line
write_file("$sq/deploy/flips.sql", "BEGIN;\nCREATE TABLE flipr.flips (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE flipr.more (id int);\nCOMMIT;\n");
($st, $out, $err) = pgmig($node, $sq, [ 'up', '-d', 'sq' ]);
is($st, 1, 'Sqitch: a script with a COMMIT in its middle: exit 1');
like($err, qr/COMMIT.*\n(?:.*\n)*.*file "deploy\/flips\.sql" line 3/, 'Sqitch: the COMMIT is named with file and line');
is($node->safe_psql('sq', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'Sqitch: nothing applied');
write_file("$sq/deploy/flips.sql", $project{'deploy/flips.sql'});

# --- malformed plans and missing or stray scripts: file and line
my @bad = (
	[ "%syntax-version=1.0.0\n%project=flipr\n\nappschema # no timestamp\n",
		qr/no planned timestamp after the name\n(?:.*\n)*CONTEXT:  file "sqitch\.plan" line 4/, 'a change without its timestamp' ],
	[ "%project=flipr\nappschema $sig\nusers [nosuch] $sig\n",
		qr/change "users" requires unknown change "nosuch"\n(?:.*\n)*CONTEXT:  file "sqitch\.plan" line 3/, 'an unknown dependency' ],
	[ "%project=flipr\nappschema $sig\nusers [other:thing] $sig\n",
		qr/dependency "other:thing" names project "other"/, 'a dependency on another project' ],
	[ "%project=flipr\nappschema $sig\nusers [!appschema] $sig\n",
		qr/change "users" conflicts with "appschema", which comes before it/, 'a conflict that can never be met' ],
	[ "%project=flipr\nappschema $sig\nappschema $sig\n",
		qr/change "appschema" appears again without a tag since line 2\n(?:.*\n)*CONTEXT:  file "sqitch\.plan" line 3/, 'a rework without a tag' ],
	[ "appschema $sig\n", qr/change before the %project pragma/, 'no %project' ],
	[ "%project=flipr\n\@v1 $sig\n", qr/tag before the first change/, 'a tag before any change' ],
	[ "%project=flipr\nappschema [users $sig\n", qr/"\[" without "\]"/, 'an unclosed dependency list' ],
	[ "%project=flipr\nappschema $sig\nusers 2024-01-01T00:00:00Z Tess\n", qr/no planner name and <email>/, 'a planner without email' ],
	[ "%project=flipr\nappschema $sig\n-users $sig\n", qr/revert line in the plan/, 'an old revert line' ],
	[ "%syntax-version=2.0.0\n%project=flipr\nappschema $sig\n", qr/unsupported %syntax-version "2\.0\.0"/, 'another syntax version' ]);
my $bad = PostgreSQL::Test::Utils::tempdir('badplan');
write_tree($bad, 'deploy/appschema.sql' => "SELECT 1;\n", 'deploy/users.sql' => "SELECT 1;\n");
foreach my $case (@bad)
{
	write_file("$bad/sqitch.plan", $case->[0]);
	pgmig_fails(undef, $bad, [ 'check', '--offline' ], $case->[1], "Sqitch: $case->[2]", %offline);
}
write_file("$bad/sqitch.plan", "%project=flipr\nappschema $sig\nusers $sig\nflips $sig\n");
pgmig_fails(undef, $bad, [ 'check', '--offline' ],
	qr/change "flips" has no deploy script "deploy\/flips\.sql"\n(?:.*\n)*CONTEXT:  file "sqitch\.plan" line 4/,
	'Sqitch: a change without its deploy script', %offline);
write_file("$bad/sqitch.plan", "%project=flipr\nappschema $sig\n");
pgmig_fails(undef, $bad, [ 'check', '--offline' ], qr/file "deploy\/users\.sql" is no change of the plan/,
	'Sqitch: a script no change names', %offline);

# sqitch.conf's top_dir and deploy_dir; --format=sqitch
my $top = PostgreSQL::Test::Utils::tempdir('topdir');
write_tree($top, 'sqitch.conf' => "# a comment\n[core]\n\tengine = pg\n\ttop_dir = db ; inline\n[engine \"pg\"]\n\tdeploy_dir = db/up\n",
	'db/sqitch.plan' => "%syntax-version=1.0.0\n%project=t\none $sig\n",
	'db/up/one.sql' => "CREATE TABLE one (id int);\n", 'db/revert/one.sql' => "DROP TABLE one;\n");
pgmig_ok(undef, $top, [ 'check', '--offline' ], qr/^ok: 1 revision, head one; format: sqitch$/,
	'Sqitch: sqitch.conf\'s top_dir and deploy_dir', %offline);
# "-- no-transaction" first: a change that must run outside a transaction
write_file("$top/db/sqitch.plan", "%syntax-version=1.0.0\n%project=t\none $sig\ntwo [one] $sig # index\n");
write_file("$top/db/up/two.sql", "-- no-transaction\nCREATE INDEX CONCURRENTLY one_id ON one (id);\n");
$node->safe_psql('postgres', 'CREATE DATABASE sqtop');
$node->safe_psql('sqtop', 'CREATE EXTENSION pgmig');
pgmig_ok($node, $top, [ 'up', '-d', 'sqtop' ], qr/^applied one .*\napplied two index \([\d.]+ ms, no transaction, 1 statement\)/,
	'Sqitch: a deploy script starting with "-- no-transaction" runs outside a transaction');
is($node->safe_psql('sqtop', "SELECT indisvalid FROM pg_index WHERE indexrelid = 'one_id'::regclass"), 't',
	'Sqitch: its index is built');
# a change registered but not applied may be reworked: its registration
# goes, and both instances are applied
write_file("$top/db/sqitch.plan", "%syntax-version=1.0.0\n%project=t\none $sig\ntwo [one] $sig # index\nthree $sig\n");
write_file("$top/db/up/three.sql", "CREATE TABLE three (id int);\n");
pgmig_ok($node, $top, [ 'up', 'two', '-d', 'sqtop' ], qr/nothing to apply/, 'Sqitch: three registered, not applied');
write_file("$top/db/sqitch.plan", "%syntax-version=1.0.0\n%project=t\none $sig\ntwo [one] $sig # index\nthree $sig\n"
	. "\@v2 $sig\nthree [three\@v2] $sig\n");
write_file("$top/db/up/three\@v2.sql", "CREATE TABLE three (id int);\n");
write_file("$top/db/revert/three\@v2.sql", "DROP TABLE three;\n");
write_file("$top/db/up/three.sql", "ALTER TABLE three ADD COLUMN name text;\n");
write_file("$top/db/revert/three.sql", "ALTER TABLE three DROP COLUMN name;\n");
pgmig_ok($node, $top, [ 'up', '-d', 'sqtop' ], qr/^applied three\@v2 .*\napplied three /,
	'Sqitch: a change reworked before it was applied');
is($node->safe_psql('sqtop', "SELECT message FROM pgmig.events WHERE action = 'unregister'"),
	'change three@v2 of sqitch.plan took its place', 'Sqitch: the old registration went, in the audit log');
pgmig_ok($node, $top, [ 'down', 'two', '-d', 'sqtop' ], qr/^reverted three .*\nreverted three\@v2 /,
	'Sqitch: both instances reverted');
unlink map { "$top/db/$_" } qw(up/three.sql up/three@v2.sql revert/three.sql revert/three@v2.sql);

# reworking a change pgmig applied would change its id: refused, said so
write_file("$top/db/sqitch.plan", "%syntax-version=1.0.0\n%project=t\none $sig\ntwo [one] $sig # index\n"
	. "\@v1 $sig\none [one\@v1] $sig # one again\n");
write_file("$top/db/up/one\@v1.sql", "CREATE TABLE one (id int);\n");
write_file("$top/db/revert/one\@v1.sql", "DROP TABLE one;\n");
write_file("$top/db/up/one.sql", "ALTER TABLE one ADD COLUMN name text;\n");
my $catalog_sql = "SELECT string_agg(r.id || ':' || r.sortkey || ':' || (m.id IS NOT NULL), ',' ORDER BY r.id)"
	. " FROM pgmig.revisions r LEFT JOIN pgmig.schema_migrations m USING (id)";
my $before = $node->safe_psql('sqtop', $catalog_sql);
pgmig_fails($node, $top, [ 'up', '-d', 'sqtop' ],
	qr/change one was reworked after it was registered\nDETAIL:  Its instance registered as one is one\@v1 in the plan now/,
	'Sqitch: a rework of an applied change is refused, and said so');
is($node->safe_psql('sqtop', $catalog_sql), $before, 'Sqitch: the refused rework changed nothing');
like($before, qr/^one:1:true,three:4:false,three\@v2:3:false,two:2:true$/, 'Sqitch: one and two applied before it');
# a reordered plan
write_file("$top/db/sqitch.plan", "%syntax-version=1.0.0\n%project=t\ntwo $sig # index\none $sig\n");
unlink "$top/db/up/one\@v1.sql", "$top/db/revert/one\@v1.sql";
pgmig_fails($node, $top, [ 'up', '-d', 'sqtop' ],
	qr/change two took the place of registered change one in sqitch\.plan/,
	'Sqitch: a reordered plan is refused, and said so');

pgmig_fails(undef, $sq, [ 'check', '--offline', '--format=golang-migrate' ],
	qr/migrations folder "[^"]*" is a Sqitch project, not in golang-migrate's layout/,
	'Sqitch: another --format does not read it as Sqitch\'s', %offline);

# --- a database the real Sqitch deployed, taken over
$node->safe_psql('postgres', 'CREATE DATABASE sqimp');
my %sqitch_env = (
	PGHOST => $node->host, PGPORT => $node->port, PGDATABASE => 'sqimp',
	SQITCH_FULLNAME => 'Tess Planner', SQITCH_EMAIL => 'tess@example.org',
	SQITCH_USER_CONFIG => '/nonexistent', SQITCH_SYSTEM_CONFIG => '/nonexistent');
sub sqitch_in
{
	my ($dir, @args) = @_;
	my ($o, $e) = ('', '');
	local %ENV = (%ENV, %sqitch_env);
	IPC::Run::run([ 'sqitch', '--chdir', $dir, @args ], '<', \'', '>', \$o, '2>', \$e);
	note("sqitch @args: exit $?\n$o$e");
	return $? >> 8;
}
sub sqitch { return sqitch_in($sq, @_); }
is(sqitch('deploy', '--target', 'db:pg:sqimp', '--to', 'users@v1.0'), 0,
	'real Sqitch deploys the first two changes');
is($node->safe_psql('sqimp', "SELECT string_agg(change, ',' ORDER BY committed_at) FROM sqitch.changes"),
	'appschema,users', 'Sqitch\'s registry has them');
$node->safe_psql('sqimp', 'CREATE EXTENSION pgmig');
pgmig_fails($node, $sq, [ 'up', '-d', 'sqimp' ], qr/was migrated by Sqitch.*hint: Run "pgmig import" first/s,
	'Sqitch: up refuses its database, and says to import');
is($node->safe_psql('sqimp', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'Sqitch: up ran nothing');
pgmig_fails($node, $sq, [ 'import', '--drop', '-d', 'sqimp' ], qr/import --drop does not drop Sqitch's registry/,
	'Sqitch: import --drop refused: the registry is a schema');

# an edited deploy script: Sqitch's script_hash says so, nothing imported
write_file("$sq/deploy/appschema.sql", wrapped('edited', 'CREATE SCHEMA flipr;'));
pgmig_fails($node, $sq, [ 'import', '-d', 'sqimp' ],
	qr/file "deploy\/appschema\.sql" is not the script Sqitch deployed as change "appschema"\n.*detail: Its SHA-1 is [0-9a-f]{40}; sqitch\.changes recorded script_hash [0-9a-f]{40}\./,
	'Sqitch: import reports a deploy script edited since');
is($node->safe_psql('sqimp', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'Sqitch: nothing imported');
write_file("$sq/deploy/appschema.sql", $project{'deploy/appschema.sql'});

# a plan whose deployed change is gone
my $other = PostgreSQL::Test::Utils::tempdir('other');
write_tree($other, 'sqitch.plan' => "%project=flipr\nappschema $sig\nflips $sig\n",
	'deploy/appschema.sql' => $project{'deploy/appschema.sql'}, 'deploy/flips.sql' => "SELECT 1;\n");
pgmig_fails($node, $other, [ 'import', '-d', 'sqimp' ],
	qr/change 2 that Sqitch deployed, "users", is not change 2 of the plan\n.*detail: The plan has "flips" there/,
	'Sqitch: import reports a deployed change the plan does not have there');
# a deployed change that the plan does not have at all
write_file("$other/sqitch.plan", "%project=flipr\nappschema $sig\n");
unlink "$other/deploy/flips.sql";
pgmig_fails($node, $other, [ 'import', '-d', 'sqimp' ],
	qr/change 2 that Sqitch deployed, "users", is not change 2 of the plan\n.*detail: The plan has 1 change\./,
	'Sqitch: import reports a deployed change beyond the plan');
write_file("$other/deploy/flips.sql", "SELECT 1;\n");
write_file("$other/sqitch.plan", "%project=other\nappschema $sig\nflips $sig\n");
pgmig_fails($node, $other, [ 'import', '-d', 'sqimp' ],
	qr/Sqitch's registry in database "sqimp" has no project "other"\n.*detail: sqitch\.projects has: flipr\./,
	'Sqitch: import of another project');
is($node->safe_psql('sqimp', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'Sqitch: still nothing imported');

pgmig_ok($node, $sq, [ 'import', '-d', 'sqimp' ], qr/^imported 2 revisions from Sqitch \(sqitch\.changes\)/m,
	'Sqitch: import of what Sqitch deployed');
is($node->safe_psql('sqimp', "SELECT string_agg(id || ':' || method, ',' ORDER BY id) FROM pgmig.schema_migrations"),
	'appschema:stamped,users@v1.0:stamped', 'Sqitch: the deployed changes recorded as stamped');
pgmig_ok($node, $sq, [ 'up', '-d', 'sqimp' ], qr/^applied flips .*\napplied users [^\n]*\n(?!applied)/,
	'Sqitch: then up applies only what Sqitch had not');
is($node->safe_psql('sqimp', "SELECT string_agg(id || ':' || method, ',' ORDER BY applied_at, id) FROM pgmig.schema_migrations"),
	'appschema:stamped,users@v1.0:stamped,flips:applied,users:applied', 'Sqitch: the whole plan applied');
is($node->safe_psql('sqimp', "SELECT to_regclass('flipr.flips') IS NOT NULL AND EXISTS (SELECT FROM"
	. " information_schema.columns WHERE table_schema = 'flipr' AND table_name = 'users' AND column_name = 'twitter')"),
	't', 'Sqitch: the schema has what pgmig applied on top of what Sqitch deployed');
is($node->safe_psql('sqimp', "SELECT count(*) FROM sqitch.changes"), '2', 'Sqitch: its registry is left alone');
pgmig_ok($node, $sq, [ 'check', '-d', 'sqimp' ], undef, 'Sqitch: check agrees after the import');

# a registry that holds only another project's changes is no history of
# this one: up runs
$node->safe_psql('postgres', 'CREATE DATABASE sqmulti');
write_file("$other/sqitch.conf", $project{'sqitch.conf'});
write_file("$other/deploy/appschema.sql", "CREATE SCHEMA other;\n");
write_file("$other/sqitch.plan", "%project=other\n\nappschema $sig\nflips $sig\n");
is(sqitch_in($other, 'deploy', '--target', 'db:pg:sqmulti'), 0, 'real Sqitch deploys another project');
is($node->safe_psql('sqmulti', "SELECT string_agg(DISTINCT project, ',') FROM sqitch.changes"), 'other',
	'Sqitch\'s registry has the other project\'s changes');
$node->safe_psql('sqmulti', 'CREATE EXTENSION pgmig');
pgmig_ok($node, $sq, [ 'up', '-d', 'sqmulti' ], qr/^applied appschema .*\n(?:.*\n)*applied users /,
	'Sqitch: up runs where the registry has only another project');
is($node->safe_psql('sqmulti', 'SELECT count(*) FROM pgmig.schema_migrations'), '4', 'Sqitch: the plan applied');

pgmig_done();
