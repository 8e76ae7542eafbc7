
# The pgmig client without a database: help, version, usage errors (exit
# status 2), project discovery, and the commands that only need the files
# (new, merge, check --offline, heads/history/show --offline).
use strict;
use warnings;

use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

# No server here: make sure nothing could reach one by accident.
my %nodb = (env => { PGHOST => '/nonexistent', PGPORT => '1', DATABASE_URL => undef });

my $dir = new_project('usage');

# --help lists every command, and the help of each one works both ways
my @commands = qw(init new up down redo verify status current heads history show stamp merge check diff help);
my $help = pgmig_ok(undef, $dir, ['--help'], qr/Usage:/, '--help');
foreach my $cmd (@commands)
{
	like($help, qr/^  \Q$cmd\E\s+\S/m, "--help lists $cmd");
	my $h1 = pgmig_ok(undef, $dir, [ 'help', $cmd ], qr/^pgmig \Q$cmd\E: .*\n\nUsage:\n  pgmig \Q$cmd\E/s,
		"help $cmd");
	next if $cmd eq 'help';
	my $h2 = pgmig_ok(undef, $dir, [ $cmd, '--help' ], undef, "$cmd --help");
	is($h2, $h1, "\"$cmd --help\" is \"help $cmd\"");
}
like(pgmig_ok(undef, $dir, ['-?'], undef, '-?'), qr/^Commands:/m, '-? is --help');
like(pgmig_ok(undef, $dir, [ 'up', '--help' ], undef, 'up --help'),
	qr/--commit-each.*--dry-run.*--sql.*--confirm/s, 'up --help lists its options');
like(pgmig_ok(undef, $dir, [ 'status', '--help' ], undef, 'status --help'),
	qr/--dbname=DBNAME/, 'status --help lists the connection options');
foreach my $cmd (qw(up down redo verify))
{
	like(pgmig_ok(undef, $dir, [ $cmd, '--help' ], undef, "$cmd --help"),
		qr/--lock-timeout=DURATION.*--lock-retries=N/s, "$cmd --help lists the lock options");
}
like(pgmig_ok(undef, $dir, [ 'check', '--help' ], undef, 'check --help'), qr/--drift/, 'check --help lists --drift');

# --version says the version of the control file
my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
my ($version) = read_file_text("$sharedir/extension/pgmig.control") =~ /^default_version = '([^']+)'/m;
my $v = pgmig_ok(undef, $dir, ['--version'], qr/^pgmig \(pgmig\) \d+\.\d+\.\d+\n\z/, '--version');
is($v, "pgmig (pgmig) $version\n", '--version matches the installed control file');

# usage errors exit with 2 and a hint
pgmig_fails(undef, $dir, [], qr/error: no command given\n.*hint: Try "pgmig --help"/s,
	'no command', status => 2);
pgmig_fails(undef, $dir, ['frobnicate'], qr/unknown command "frobnicate"/, 'unknown command',
	status => 2);
pgmig_fails(undef, $dir, [ 'up', '--bogus' ], qr/unrecognized option.*\n.*hint: Try/s,
	'unknown option', status => 2);
pgmig_fails(undef, $dir, [ 'up', 'a', 'b' ], qr/too many arguments for command "up": "b"/,
	'too many arguments', status => 2);
pgmig_fails(undef, $dir, ['down'], qr/command "down" needs an argument.*hint: Try "pgmig help down"/s,
	'down needs a target', status => 2);
pgmig_fails(undef, $dir, ['show'], qr/command "show" needs an argument/, 'show needs a revision',
	status => 2);
pgmig_fails(undef, $dir, [ 'status', '--sql' ], qr/--sql cannot be used with command "status"/,
	'option of another command', status => 2);
pgmig_fails(undef, $dir, [ 'new', '-d', 'x', '-m', 'x' ],
	qr/a connection option cannot be used with command "new"/, 'new takes no connection', status => 2);
pgmig_fails(undef, $dir, ['new'], qr/command "new" needs -m MESSAGE/, 'new needs -m', status => 2);
pgmig_fails(undef, $dir, [ 'merge', '-m', '' ], qr/command "merge" needs -m MESSAGE/,
	'merge needs a non-empty -m', status => 2);
pgmig_fails(undef, $dir, [ 'up', '--sql', '--dry-run' ], qr/--sql and --dry-run cannot be used together/,
	'--sql with --dry-run', status => 2);
pgmig_fails(undef, $dir, [ 'up', '--dry-run', '--commit-each' ],
	qr/--dry-run and --commit-each cannot be used together/, '--dry-run with --commit-each', status => 2);
pgmig_fails(undef, $dir, [ 'help', 'nope' ], qr/unknown command "nope"/, 'help of an unknown command',
	status => 2);
pgmig_fails(undef, $dir, [ 'verify', 'a', 'b' ], qr/too many arguments for command "verify": "b"/,
	'verify takes one target', status => 2);
pgmig_fails(undef, $dir, [ 'verify', '--dry-run' ], qr/--dry-run cannot be used with command "verify"/,
	'verify has no --dry-run', status => 2);
pgmig_fails(undef, $dir, [ 'check', '--drift', '--offline' ], qr/--drift and --offline cannot be used together/,
	'check --drift needs the database', status => 2);
pgmig_fails(undef, $dir, [ 'status', '--drift' ], qr/--drift cannot be used with command "status"/,
	'--drift is for check', status => 2);
pgmig_fails(undef, $dir, [ 'status', '--lock-timeout=1s' ],
	qr/--lock-timeout\/--lock-retries cannot be used with command "status"/, '--lock-timeout is for runs', status => 2);
foreach my $bad ('abc', '5 parsecs', '-2', '1.5.2s', '')
{
	pgmig_fails(undef, $dir, [ 'up', "--lock-timeout=$bad" ],
		qr/invalid value "\Q$bad\E" for option --lock-timeout.*\n.*hint: Try "pgmig help up"/s,
		"--lock-timeout=$bad", status => 2);
}
# --lock-retries is checked as PostgreSQL's tools check numbers (option_parse_int)
foreach my $bad ('x', '2.5', '')
{
	pgmig_fails(undef, $dir, [ 'redo', '--lock-retries', $bad ],
		qr/error: invalid value "\Q$bad\E" for option --lock-retries\n.*hint: Try "pgmig help redo"/s,
		"--lock-retries '$bad'", status => 2);
}
foreach my $bad ('-1', '1001', '99999999999')
{
	pgmig_fails(undef, $dir, [ 'redo', '--lock-retries', $bad ],
		qr/error: --lock-retries must be in range 0\.\.1000\n.*hint: Try "pgmig help redo"/s,
		"--lock-retries $bad", status => 2);
}

# new: sequential numbering continues, parents are the heads
my $empty = new_project('empty');
my $out = pgmig_ok(undef, $empty, [ 'new', '-m', 'Create customers: table!' ],
	qr{^created migrations/(\d{14})_create_customers_table\.sql$}, 'new in an empty project');
my ($first) = $out =~ /(\d{14})/;
ok($first, 'new uses a timestamp in an empty project');
like(read_file_text("$empty/migrations/${first}_create_customers_table.sql"),
	qr/\A-- migrate:up\n\n\n-- migrate:down\n\n\z/, 'the first file has no parents');
$out = pgmig_ok(undef, $empty, [ 'new', '-m', 'add orders', '--quiet' ], qr/^\z/, 'new --quiet prints nothing');
my @files = sort glob("$empty/migrations/*.sql");
is(scalar @files, 2, 'new wrote a second file');
like($files[1], qr{/\d{14}_add_orders\.sql$}, 'its name');
cmp_ok(($files[1] =~ m{/(\d+)_})[0], '>', $first, 'its version is greater');
like(read_file_text($files[1]), qr/\A-- pgmig:revises $first\n-- migrate:up\n/,
	'its parent is the head');

write_migration($dir, '001_create_a.sql', migration('CREATE TABLE a (id int);', 'DROP TABLE a;'));
write_migration($dir, '002_create_b.sql', migration('CREATE TABLE b (id int);', 'DROP TABLE b;'));
pgmig_ok(undef, $dir, [ 'new', '-m', 'create c' ], qr{^created migrations/003_create_c\.sql$},
	'new continues the numbering 001, 002');
like(read_file_text("$dir/migrations/003_create_c.sql"), qr/^-- pgmig:revises 002$/m, 'parent 002');

# project root discovery: from a nested folder, and --dir
mkdir "$dir/src";
mkdir "$dir/src/deep";
pgmig_ok(undef, "$dir/src/deep", [ 'heads', '--offline' ], qr/^003 create c$/m,
	'found from a nested folder');
pgmig_ok(undef, "$dir/src/deep", [ 'history', '--offline' ],
	qr/^002 -> 003 \(head\), create c\n001 -> 002, create b\n<base> -> 001, create a\n\z/,
	'history --offline, newest first');
pgmig_ok(undef, $empty, [ 'heads', '--offline', '--dir', "$dir/migrations" ], qr/^003 create c\n\z/,
	'--dir names the migrations folder');
my $nowhere = PostgreSQL::Test::Utils::tempdir('nowhere');
pgmig_fails(undef, $nowhere, [ 'heads', '--offline' ],
	qr/no migrations folder in ".*" or any folder above it\n.*hint: Create it with "pgmig init", or name it with --dir/s,
	'no project');
pgmig_fails(undef, $nowhere, [ 'check', '--offline', '--dir', 'missing' ],
	qr/migrations folder "missing" does not exist/, '--dir that does not exist');

# pgmig.conf marks the root and may move the folder
my $conf = PostgreSQL::Test::Utils::tempdir('conf');
mkdir "$conf/db";
mkdir "$conf/db/migrations";
mkdir "$conf/app";
open my $fh, '>', "$conf/pgmig.conf" or die;
print $fh "# where the migrations are\ndir = db/migrations\n";
close $fh;
pgmig_ok(undef, "$conf/app", [ 'new', '-m', 'first' ], qr{^created \.\./db/migrations/\d{14}_first\.sql$},
	'pgmig.conf: dir');
open $fh, '>>', "$conf/pgmig.conf" or die;
print $fh "colour = blue\n";
close $fh;
pgmig_fails(undef, "$conf/app", [ 'heads', '--offline' ],
	at_file_line(qr/unknown setting "colour" in pgmig\.conf/, '../pgmig.conf', 3), 'pgmig.conf: unknown setting');
open $fh, '>', "$conf/pgmig.conf" or die;
print $fh "dir = db/migrations\n\njust words\n";
close $fh;
pgmig_fails(undef, "$conf/app", [ 'heads', '--offline' ],
	qr/error: syntax error in pgmig\.conf\nDETAIL:  Settings are written as: dir = db\/migrations\nCONTEXT:  file "\.\.\/pgmig\.conf" line 3\n/,
	'pgmig.conf: a line without a setting');

# show --offline
pgmig_fails(undef, $dir, [ 'show', '--offline', '00' ],
	qr/revision prefix "00" is ambiguous\n.*detail: It matches 001, 002, 003\./s, 'show with an ambiguous prefix');
my $show = pgmig_ok(undef, $dir, [ 'show', '--offline', '2' ],
	qr/^Revision: 002\nDescription: create b\nFile: migrations\/002_create_b\.sql\nParents: 001\nChildren: 003\n/,
	'show 2 (the version digits)');
like($show, qr/-- migrate:up \(line 2\)\nCREATE TABLE b \(id int\);\n\n-- migrate:down \(line 4\)\nDROP TABLE b;\n/,
	'show prints the scripts with their lines');
pgmig_fails(undef, $dir, [ 'show', '--offline', '9' ], qr/revision "9" does not exist/, 'show unknown');
# targets that name one revision, as the other commands take them
pgmig_ok(undef, $dir, [ 'show', '--offline', 'head' ], qr/^Revision: 003 /, 'show head');
pgmig_fails(undef, $dir, [ 'show', '--offline', 'current' ], qr/no revision is applied/,
	'show current: nothing applied offline');
pgmig_fails(undef, $dir, [ 'show', '--offline', 'base' ], qr/target "base" does not name a revision/,
	'show base: names none');
pgmig_fails(undef, $dir, [ 'show', '--offline', '+0' ], qr/target "\+0" does not name a revision/,
	'show +0: names none');
pgmig_ok(undef, $dir, [ 'show', '--offline', 'heads' ], qr/^Revision: 003 /, 'show heads: the one head');
pgmig_ok(undef, $dir, [ 'show', '--offline', '+2' ], qr/^Revision: 002\n/,
	'show +2: the last revision "up +2" applies');
pgmig_ok(undef, $dir, [ 'show', '--offline', '+9' ], qr/^Revision: 003 /,
	'show +9: the last revision "up +9" applies');
pgmig_fails(undef, $dir, [ 'show', '--offline', '-1' ], qr/no revision is applied/,
	'show -1: nothing applied offline');
pgmig_fails(undef, $dir, [ 'show', '--offline', 'nolabel@head' ], qr/label "nolabel" does not exist/,
	'show label@head: an unknown label');

# check --offline
pgmig_ok(undef, $dir, [ 'check', '--offline' ], qr/^ok: 3 revisions, head 003$/, 'check --offline');

# --sql passes the lock options on to the server's settings
my $sql = pgmig_ok(undef, $dir, [ 'up', '--sql', '--lock-timeout', '-1', '--lock-retries=+7' ], undef,
	'up --sql with the lock options');
like($sql, qr/^SET pgmig\.lock_timeout = '-1';\nSET pgmig\.lock_retries = 7;\nBEGIN;$/m, 'up --sql: the lock settings come first');
unlike(pgmig_ok(undef, $dir, [ 'up', '--sql' ], undef, 'up --sql'), qr/lock_/, 'up --sql: no lock settings unless asked');

# merge joins heads; without two heads there is nothing to merge
pgmig_fails(undef, $dir, [ 'merge', '-m', 'nothing' ], qr/nothing to merge: there is 1 head/,
	'merge with one head');
write_migration($dir, '004_branch_x.sql', migration('SELECT 1;', '', revises => '003'));
write_migration($dir, '005_branch_y.sql', migration('SELECT 1;', '', revises => '003'));
pgmig_fails(undef, $dir, [ 'check', '--offline' ], qr/error: 2 heads: 004, 005\n.*hint: Join them with "pgmig merge/s,
	'check finds two heads');
pgmig_fails(undef, $dir, [ 'merge', '-m', 'join', '-r', '003', '-r', '004' ],
	qr/revision 003 is an ancestor of revision 004/, 'merge of a revision and its child');
pgmig_ok(undef, $dir, [ 'merge', '-m', 'join x and y' ], qr{^created migrations/006_join_x_and_y\.sql$}, 'merge');
like(read_file_text("$dir/migrations/006_join_x_and_y.sql"), qr/^-- Merges 004, 005\.\n-- pgmig:revises 004 005\n-- migrate:up\n/,
	'the merge revises both heads');
pgmig_ok(undef, $dir, [ 'heads', '--offline' ], qr/^006 join x and y\n\z/, 'one head after the merge');
pgmig_ok(undef, $dir, [ 'history', '--offline' ],
	qr/^\(004, 005\) -> 006 \(head\) \(mergepoint\), join x and y\n.*^002 -> 003 \(branchpoint\), create c$/ms,
	'history marks merge and branch points');

# malformed files: each reported with file and line, all of them, before
# any connection is tried (the connection would fail: PGHOST is bogus)
my $bad = new_project('bad');
write_migration($bad, '001_ok.sql', migration('SELECT 1;'));
write_migration($bad, '002_no_up.sql', "-- just a comment\n");
write_migration($bad, '003_directive.sql', "-- pgmig:frobnicate yes\n-- migrate:up\nSELECT 1;\n");
write_migration($bad, '004_utf8.sql', "-- migrate:up\nSELECT 'caf\xe9';\n");
write_migration($bad, '005_binary.sql', "-- migrate:up\n\x00\x01\x02\xff");
write_migration($bad, '006_statement_first.sql', "SELECT 1;\n-- migrate:up\n");
write_migration($bad, '7_dup.sql', migration('SELECT 1;'));
write_migration($bad, '007_dup.sql', migration('SELECT 1;'));
write_migration($bad, 'notes.sql', migration('SELECT 1;'));
write_migration($bad, '008_two_ups.sql', "-- migrate:up\nSELECT 1;\n-- migrate:up\nSELECT 2;\n");
my $err = pgmig_fails(undef, $bad, ['up'], qr/file "002_no_up.sql" has no "-- migrate:up" section/,
	'up with malformed files', %nodb);
like($err, at_file_line(qr/unknown directive "pgmig:frobnicate"/, '003_directive.sql', 1), 'unknown directive: file and line');
like($err, at_file_line(qr/invalid UTF-8/, '004_utf8.sql', 2), 'invalid UTF-8: file and line');
like($err, qr/file "005_binary.sql" is not a text file/, 'binary file');
like($err, at_file_line(qr/statement before "-- migrate:up"/, '006_statement_first.sql', 1), 'statement before up');
like($err, qr/duplicate version 0*7 in files "migrations\/0*7_dup.sql" and "migrations\/0*7_dup.sql"/, 'duplicate versions');
like($err, qr/file name "notes.sql" does not start with a version/, 'file name without a version');
like($err, at_file_line(qr/second "-- migrate:up"/, '008_two_ups.sql', 3), 'second up section: file and line');
unlike($err, qr/connect|nonexistent/, 'nothing tried to connect');
pgmig_fails(undef, $bad, [ 'check', '--offline' ], qr/file "002_no_up.sql" has no "-- migrate:up" section/,
	'check --offline reports malformed files');
pgmig_fails(undef, $bad, [ 'up', '--sql' ], qr/unknown directive/, 'up --sql refuses malformed files');

# a file name with spaces works
my $spaces = new_project('spaces');
write_migration($spaces, '1_with some spaces.sql', migration('SELECT 1;'));
pgmig_ok(undef, $spaces, [ 'heads', '--offline' ], qr/^1 with some spaces\n\z/, 'a file name with spaces');

# unknown parents and cycles are graph errors
my $graph = new_project('graph');
write_migration($graph, '1_a.sql', migration('SELECT 1;', undef, revises => '9'));
pgmig_fails(undef, $graph, [ 'check', '--offline' ], qr/unknown parent revision 9\n.*detail: Revision 1 revises 9, which does not exist/s,
	'unknown parent');
write_migration($graph, '1_a.sql', migration('SELECT 1;', undef, revises => '2'));
write_migration($graph, '2_b.sql', migration('SELECT 1;', undef, revises => '1'));
pgmig_fails(undef, $graph, [ 'check', '--offline' ], qr/revision graph has a cycle/, 'cycle');

pgmig_done();
