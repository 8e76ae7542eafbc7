
# The --json outputs against their schemas in json-schema/ (issue 13):
# status, history (with -v, and offline), current and heads (online and
# offline), in states that fill every field: branches and labels, a
# pending out-of-order revision, a half-done no-transaction revision, a
# failure in the audit log, an applied revision whose file is gone, drift;
# then check and show, the commands that run migrations (up, down, redo,
# verify, stamp), and the error document of a failed run: a failing
# script, a bad target, a bad file, a connection failure.
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

# the first database, in its troubled state: check and show report it
($st, $out) = pgmig($node, $dir, [ 'check', '--json' ]);
is($st, 1, 'check --json: exit status 1 for the problems found');
like(validate_json($out, 'check.json'), qr/^valid$/, 'check --json matches json-schema/check.json');
like($out, qr/"ok":false/, 'check --json: not ok');
like($out, qr/\{"problem":"halfway","revision":"004"\}/, 'check --json: the half-done revision is a problem');
like($out, qr/\{"problem":"missing","revision":"005"\}/, 'check --json: and the gone file');
like($out, qr/"out_of_order":\["004"\]/, 'check --json: the out-of-order revision');
($st, $out) = pgmig($node, $dir, [ 'check', '--json', '--drift' ]);
like(validate_json($out, 'check.json'), qr/^valid$/, 'check --json --drift matches json-schema/check.json');
like($out, qr/"drift":\[\{"change":"added","object":"table public\.outside_migrations"\}\]/, 'check --json --drift: the drift');
foreach my $cmd ('show 004 --json', 'show 005 --json', 'show left@head --json', 'show 002 --offline --json')
{
	($st, $out) = pgmig($node, $dir, [ split / /, $cmd ]);
	is($st, 0, "$cmd exits 0");
	like(validate_json($out, 'show.json'), qr/^valid$/, "$cmd matches json-schema/show.json");
}

# the commands that run migrations, in a database of their own
$node->safe_psql('postgres', 'CREATE DATABASE runs');
my $rdir = new_project('json_runs');
my @db = ('-d', 'runs');

# run "cmd" with --json: exit status "want", one document valid against "schema"
sub json_run
{
	my ($cmd, $want, $schema) = @_;
	my ($st, $out, $err) = pgmig($node, $rdir, [ (split / /, $cmd), '--json', ($cmd =~ / -d / ? () : @db) ]);
	is($st, $want, "$cmd --json: exit status $want");
	like($out, qr/\A[^\n]+\n\z/, "$cmd --json: one line on stdout");
	like(validate_json($out, $schema), qr/^valid$/, "$cmd --json matches json-schema/$schema");
	return ($out, $err);
}

write_migration($rdir, '001_one.sql', migration('CREATE TABLE r1 (id int);', 'DROP TABLE r1;'));
write_migration($rdir, '002_two.sql', migration('CREATE INDEX CONCURRENTLY r1_id ON r1 (id);', 'DROP INDEX CONCURRENTLY r1_id;', notx => 1));
write_migration($rdir, '003_three.sql', migration('CREATE TABLE r3 (id int);', 'DROP TABLE r3;'));
$node->safe_psql('runs', 'CREATE EXTENSION pgmig');

my ($rout, $rerr) = json_run('verify', 0, 'verify.json');
like($rout, qr/"ok":true/, 'verify --json: ok');
like($rout, qr/"revision":"001"[^}]*"result":"ok"/, 'verify --json: the result of a revision');
($rout, $rerr) = json_run('up 001 -v', 0, 'run.json');
like($rout, qr/"before":\[\],"after":\["001"\]/, 'up --json: where the database was and is');
like($rout, qr/"revisions":\[\{"revision":"001","description":"one","action":"applied","transactional":true,"repeatable":false,"statements":null,"duration_ms":[0-9.]+,"committed":true\}\]/,
	'up --json: the revision applied');
like($rerr, qr/applied 001/, 'up -v --json: the progress lines go to stderr');
($rout) = json_run('up', 0, 'run.json');
like($rout, qr/"revision":"002"[^}]*"transactional":false,"repeatable":false,"statements":1,/, 'up --json: a no-transaction revision with its statements');
like($rout, qr/"before":\["001"\],"after":\["003"\]/, 'up --json: before and after');
($rout) = json_run('up', 0, 'run.json');
like($rout, qr/"revisions":\[\]/, 'up --json: nothing to apply');
($rout) = json_run('down -1 --dry-run', 0, 'run.json');
like($rout, qr/"dry_run":true.*"after":\["003"\].*"action":"reverted".*"committed":false/, 'down --dry-run --json: rolled back');
($rout) = json_run('redo', 0, 'run.json');
like($rout, qr/"revision":"003"[^}]*"action":"reverted".*"revision":"003"[^}]*"action":"applied"/, 'redo --json: reverted, then applied');
($rout) = json_run('down 001 --commit-each', 0, 'run.json');
like($rout, qr/"commit_each":true,"before":\["003"\],"after":\["001"\]/, 'down --commit-each --json');
($rout) = json_run('stamp 002', 0, 'stamp.json');
like($rout, qr/"revisions":\[\{"revision":"002","action":"stamped"\}\]/, 'stamp --json: what was marked');

# errors: a failing script, with what was committed before it
write_migration($rdir, '004_fails.sql', migration("SELECT 1;\nSELECT * FROM no_such_table;", undef));
($rout, $rerr) = json_run('up --commit-each', 1, 'error.json');
like($rout, qr/"message":"relation \\"no_such_table\\" does not exist"/, 'error --json: the message');
like($rout, qr/"sqlstate":"42P01"/, 'error --json: the SQLSTATE');
like($rout, qr/"revision":"004","file":"004_fails\.sql","line":3/, 'error --json: the revision, file and line');
like($rout, qr/"revisions":\[\{"revision":"003",[^}]*"committed":true\}\]/, 'error --json: the revision committed before the failure');
like($rerr, qr/error: relation "no_such_table" does not exist/, 'error --json: the text error still goes to stderr');
($rout) = json_run('verify', 1, 'verify.json');
like($rout, qr/"ok":false/, 'verify --json: a failing revision');
like($rout, qr/"revision":"004"[^}]*"result":"up failed","message":"relation \\"no_such_table\\" does not exist"/,
	'verify --json: its error');
unlink "$rdir/migrations/004_fails.sql";

# errors: a bad target, a bad file, a connection failure
($rout) = json_run('up nosuch', 1, 'error.json');
like($rout, qr/"message":"revision \\"nosuch\\" does not exist"/, 'error --json: a bad target');
($rout) = json_run('show nosuch', 1, 'error.json');
like($rout, qr/"message":"revision \\"nosuch\\" does not exist"/, 'error --json: show of an unknown revision');
write_migration($rdir, '005_bad.sql', "-- migrate:up\nSELECT 'unterminated;\n");
($rout) = json_run('check', 1, 'error.json');
like($rout, qr/"file":"[^"]*005_bad\.sql","line":\d+/, 'error --json: an error in a file, with its line');
unlink "$rdir/migrations/005_bad.sql";
($rout) = json_run('status -d postgresql:///no_such_database', 1, 'error.json');
like($rout, qr/"message":"[^\n]*no_such_database[^\n]*","detail":null,"hint":null,"sqlstate":null/, 'error --json: a connection failure');
($st, $out) = pgmig($node, $rdir, [ 'status', '-d', 'postgresql:///no_such_database' ]);
is($out, '', 'without --json, a failure prints nothing on stdout');

# import: the other tool, its table, what was recorded; and its refusal
$node->safe_psql('postgres', 'CREATE DATABASE imp');
$node->safe_psql('imp', "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY);"
	  . " INSERT INTO schema_migrations VALUES ('001'), ('002'); CREATE EXTENSION pgmig");
unlink "$rdir/migrations/004_fails.sql";
($rout) = json_run('import -d imp --drop', 0, 'import.json');
like($rout, qr/^\{"command":"import","tool":"dbmate","table":"public\.schema_migrations","dropped":true,"revisions":\[\{"revision":"001","action":"[a-z]+"\},\{"revision":"002","action":"[a-z]+"\}\]\}$/,
	'import --json: the tool, its table, the revisions recorded');
is($node->safe_psql('imp', "SELECT string_agg(id, ',' ORDER BY id) FROM pgmig.schema_migrations"), '001,002',
	'import --json: and they are recorded');
($rout) = json_run('import -d imp', 1, 'error.json');
like($rout, qr/"message":"no history of another migration tool in database \\"imp\\""/, 'import --json: a refusal is an error document');

pgmig_done();
