
# Files and the text taken from them.  What the migrations folder may hold
# (a name ending in ".sql" that is no readable file is an error, never
# skipped); what "check --offline" finds in a script without a server, at
# the line the server would name; the lock_timeout directive, parsed as
# PostgreSQL parses it; and that no file name, path, label or description,
# from the files or from a catalog, reaches a terminal or a generated script
# with its control characters.
use strict;
use warnings;

use IPC::Run;
use File::Basename qw(dirname);
use PgmigTest;
use PostgreSQL::Test::Utils;
use Digest::SHA;
use Test::More;

my %offline = (env => { PGHOST => '/nonexistent', PGPORT => '1', DATABASE_URL => undef });

my $node = new_node('files');
$node->safe_psql('postgres', 'CREATE EXTENSION pgmig');

# Databases in UTF-8, whatever the node's default: the server knows C1
# control characters only in UTF-8 text.
sub new_database
{
	my ($db) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
	$node->safe_psql($db, 'CREATE EXTENSION pgmig');
}
new_database('utf8db');

# One value from database "db".
sub sql_value_in
{
	my ($db, $sql) = @_;
	return $node->safe_psql($db, $sql);
}

# Run SQL on the node in database "db"; returns (exit status, stderr).
sub node_sql
{
	my ($db, $sql) = @_;
	my ($out, $err) = ('', '');
	my $rc = $node->psql($db, $sql, stdout => \$out, stderr => \$err);
	note("psql: exit $rc\n--- stderr\n$err");
	return ($rc, $err);
}

# Run a script with psql -f; returns (exit status, stdout, stderr).
sub run_psql
{
	my ($path, $db) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'psql', '-X', '-h', $node->host, '-p', $node->port, '-d', $db,
		'-v', 'ON_ERROR_STOP=1', '-f', $path ], '<', \'', '>', \$out, '2>', \$err);
	note("psql -f $path: exit $?\n--- stdout\n$out--- stderr\n$err");
	return ($? >> 8, $out, $err);
}

# Control characters a terminal acts on (newline and tab aside).
my $control = qr/[\x00-\x08\x0b-\x1f\x7f]|\xc2[\x80-\x9f]/;

#
# --sql: the folder is printed in a comment of the script
#
new_database('sqldb');
$node->safe_psql('sqldb', 'CREATE TABLE victim (id int)');
my $inj = new_project('inj');
my $evil = "mig\nDROP TABLE IF EXISTS victim; --";
mkdir "$inj/$evil" or die "mkdir: $!";
write_file("$inj/$evil/1_a.sql", migration('CREATE TABLE a (id int);', 'DROP TABLE a;'));
my $script = pgmig_ok(undef, $inj, [ '--dir', $evil, 'up', '--sql' ], undef,
	'--sql from a folder with a newline in its name', %offline);
like($script, qr/\A-- "pgmig up head" as SQL, written by pgmig \S+ from mig\\nDROP TABLE IF EXISTS victim; -- \(1 file\)\.\n/,
	'--sql: the newline of the folder is escaped in the comment');
unlike($script, qr/^DROP TABLE IF EXISTS victim/m, '--sql: no line of the script is the folder\'s statement');
write_file("$inj/script.sql", $script);
is((run_psql("$inj/script.sql", 'sqldb'))[0], 0, '--sql: psql runs the script');
is(sql_value_in('sqldb', "SELECT to_regclass('victim') IS NOT NULL AND to_regclass('a') IS NOT NULL"),
	't', '--sql: the script applied the revision and dropped nothing');

# a target is named in the comment too; one with a newline is no revision
pgmig_fails(undef, $inj, [ '--dir', $evil, 'up', "1\nDROP TABLE victim; --", '--sql' ],
	qr/error: revision "1\\nDROP TABLE victim; --" does not exist\n/, '--sql: a target with a newline', %offline);

#
# file names with control characters: refused by the shared parser, so the
# client and the server's mig_register say the same
#
foreach my $c ([ "\n", '\\\\n', 'E\'\\n\'' ], [ "\t", '\\\\t', 'E\'\\t\'' ],
	[ "\e", '\\\\x1b', 'E\'\\x1b\'' ], [ "\x7f", '\\\\x7f', 'E\'\\x7f\'' ],
	[ "\xc2\x9b", '\\\\xc2\\\\x9b', 'U&\'\\009b\'' ])
{
	my ($char, $shown, $sqlchar) = @$c;
	my $dir = new_project('ctlname');
	write_migration($dir, '1_ok.sql', migration('SELECT 1;'));
	write_migration($dir, "2_a${char}b.sql", migration('SELECT 2;'));
	my $msg = qr/error: file name "2_a${shown}b\.sql" contains a control character\n.*detail: Migration file names may not contain newlines or other control characters\.\n.*hint: Rename the file\./s;
	foreach my $args ([ 'check', '--offline' ], [ 'up', '--sql' ], [ 'heads', '--offline' ])
	{
		my $err = pgmig_fails(undef, $dir, $args, $msg, "file name with $shown: @$args", %offline);
		unlike($err, $control, "file name with $shown: @$args shows no control character");
	}
	pgmig_fails($node, $dir, ['up'], $msg, "file name with $shown: up");
	my ($rc, $err) = node_sql('utf8db',
		"SELECT * FROM mig_register('2_a' || $sqlchar || 'b.sql', E'-- migrate:up\\nSELECT 2;\\n')");
	like($err, qr/ERROR:  file name "2_a${shown}b\.sql" contains a control character\n/,
		"file name with $shown: mig_register says the same");
}
is(sql_value_in('utf8db', 'SELECT count(*) FROM pgmig.revisions'), '0', 'no such file was registered');

# a file name that is not UTF-8 is shown with the byte escaped
my $latin = new_project('latin');
write_migration($latin, "1_caf\xe9.sql", migration('SELECT 1;'));
my $err = pgmig_fails(undef, $latin, [ 'check', '--offline' ],
	qr/error: file name "migrations\/1_caf\\xe9\.sql" is not valid UTF-8/, 'a file name that is not UTF-8', %offline);
unlike($err, qr/\xe9/, 'the byte itself is not printed');

# "new" keeps no control character of the message in the file name
my $newp = new_project('newp');
pgmig_ok(undef, $newp, [ 'new', '-m', "add\x{c2}\x{9b}[31mred\ncolumn" ], qr{^created migrations/\d{14}_add_31mred_column\.sql\n\z},
	'new: control characters of the message separate words', %offline);

#
# directives: labels, revises ids and lock_timeout values may not hold
# control characters (a tab separates words, as a space does)
#
foreach my $d ([ "label a\eb", 'label' ], [ "revises 1\e", 'revises' ], [ "lock_timeout 5s\x0b", 'lock_timeout' ],
	[ "label x\x{c2}\x{85}y", 'label with a C1 control' ])
{
	my ($directive, $what) = @$d;
	my $dir = new_project('ctldirective');
	write_migration($dir, '1_ok.sql', migration('SELECT 1;'));
	my $text = "-- a comment\n-- pgmig:$directive\n" . migration('SELECT 2;');
	write_migration($dir, '2_x.sql', $text);
	my $msg = qr/error: control character in pgmig directive\nDETAIL:  Labels, revision ids and lock_timeout values may not contain control characters\.\nCONTEXT:  file "2_x\.sql" line 2\n/;
	my $err = pgmig_fails(undef, $dir, [ 'check', '--offline' ], $msg, "directive $what", %offline);
	unlike($err, $control, "directive $what: no control character shown");
	my ($rc, $serr) = node_sql('utf8db', "SELECT * FROM mig_register('2_x.sql', convert_from('\\x"
		  . unpack('H*', $text) . "'::bytea, 'UTF8'))");
	like($serr, at_file_line(qr/ERROR:  control character in pgmig directive/, '2_x.sql', 2),
		"directive $what: mig_register says the same");
}
my $tabs = new_project('tabs');
write_migration($tabs, '1_a.sql', "-- pgmig:label\tone\ttwo\n" . migration('SELECT 1;'));
pgmig_ok(undef, $tabs, [ 'history', '--offline', '-v' ], qr/^Labels: one two$/m, 'a tab separates directive words',
	%offline);

# an unknown option of a section line is shown escaped
my $opt = new_project('opt');
write_migration($opt, '1_a.sql', "-- migrate:up transaction:\e[31mfalse\nSELECT 1;\n");
pgmig_fails(undef, $opt, [ 'check', '--offline' ],
	at_file_line(qr/error: unknown option "transaction:\\x1b\[31mfalse"/, '1_a.sql', 1), 'an unknown option is escaped',
	%offline);

#
# what the folder holds: every name ending in ".sql" is a migration file
#
my $folder = new_project('folder');
write_migration($folder, '1_ok.sql', migration('SELECT 1;'));
symlink('nowhere.sql', "$folder/migrations/2_dangling.sql") or die "symlink: $!";
symlink('3_loop.sql', "$folder/migrations/3_loop.sql") or die "symlink: $!";
mkdir "$folder/migrations/4_folder.sql" or die "mkdir: $!";
symlink("no\ewhere.sql", "$folder/migrations/5_esc.sql") or die "symlink: $!";
symlink('1_ok.sql', "$folder/migrations/6_link.sql") or die "symlink: $!";
mkdir "$folder/migrations/notes" or die "mkdir: $!";
write_file("$folder/migrations/.7_hidden.sql", 'not a migration');
my $hint = qr/hint: Every name ending in "\.sql" in the migrations folder is a migration file: fix or remove it\./;
foreach my $args ([ 'check', '--offline' ], [ 'up', '--sql' ], [ 'history', '--offline' ],
	[ 'show', '--offline', '1' ], [ 'new', '-m', 'more' ], [ 'status', '-d', 'utf8db' ], [ 'up', '-d', 'utf8db' ],
	[ 'check', '-d', 'utf8db' ])
{
	my $online = grep { $_ eq 'utf8db' } @$args;
	my $err = pgmig_fails($online ? $node : undef, $folder, $args,
		qr/error: could not read migration file "migrations\/2_dangling\.sql": No such file or directory\n.*detail: It is a symbolic link to "nowhere\.sql"\.\n.*$hint/,
		"a dangling symbolic link: @$args", $online ? () : %offline);
	like($err, qr/error: could not read migration file "migrations\/3_loop\.sql": Too many levels of symbolic links\n.*detail: It is a symbolic link to "3_loop\.sql"\./,
		"a symbolic link loop: @$args");
	like($err, qr/error: migration file "migrations\/4_folder\.sql" is not a regular file\n.*detail: It is a directory\.\n.*$hint/,
		"a folder named 4_folder.sql: @$args");
	like($err, qr/detail: It is a symbolic link to "no\\x1bwhere\.sql"\./, "a link target is escaped: @$args");
	unlike($err, qr/6_link|notes|hidden|$control/, "a link to a file, other names and hidden files are fine: @$args");
}
ok(!-e "$folder/migrations/8_more.sql" && !glob("$folder/migrations/*_more.sql"), 'new wrote nothing');
is(sql_value_in('utf8db', 'SELECT count(*) FROM pgmig.revisions'), '0', 'up registered nothing');

#
# check --offline finds, with psql's lexer, what the server refuses in a
# script before running it, at the line the server names
#
my %lexical = (
	'1_single.sql'   => [ "-- migrate:up\nSELECT 1;\nINSERT INTO t VALUES ('multi\nline'); INSERT INTO t VALUES ('oops);\nSELECT 2;\n",
		qr/unterminated quoted string/, 4, 'up' ],
	'2_double.sql'   => [ "-- pgmig:label x\n-- migrate:up\nSELECT \"abc\nFROM t;\n", qr/unterminated quoted identifier/, 3, 'up' ],
	'3_dollar.sql'   => [ "-- migrate:up\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS \$\$\nSELECT 1\n\$\$;\nCREATE FUNCTION g() RETURNS int LANGUAGE sql AS \$body\$\nSELECT 'it''s';\n-- \$body\n",
		qr/unterminated dollar-quoted string/, 5, 'up' ],
	'4_comment.sql'  => [ "-- migrate:up\nSELECT 1; /* a /* nested */ comment\n\nSELECT 2;\n", qr/unterminated \/\* comment/, 2, 'up' ],
	'5_meta.sql'     => [ "-- migrate:up\nSELECT '\\i not this';\n-- \\i nor this\n  \\i this.sql\nSELECT 2;\n",
		qr/psql meta-commands are not supported in migration scripts/, 4, 'up' ],
	'6_estring.sql'  => [ "-- migrate:up\nSELECT 'a\\';\nSELECT E'b\\';\nSELECT 3;\n", qr/unterminated quoted string/, 3, 'up' ],
	'7_down.sql'     => [ "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1; \\set x 1\n", qr/psql meta-commands are not supported in migration scripts/, 4, 'down' ],
);
my $lex = new_project('lex');
write_migration($lex, $_, $lexical{$_}[0]) foreach keys %lexical;
$err = pgmig_fails(undef, $lex, [ 'check', '--offline' ], qr/error:/, 'check --offline: problems in scripts', %offline);
foreach my $name (sort keys %lexical)
{
	my ($text, $what, $line, $section) = @{ $lexical{$name} };
	like($err, at_file_line(qr/error: $what/, "migrations/$name", $line), "check --offline: $name line $line");
}
like($err, qr/error: psql meta-commands are not supported in migration scripts\nDETAIL:  The up script runs inside the server, where there is no psql\.\nHINT:  Write the statements out in the script instead\.\nCONTEXT:  file "migrations\/5_meta.sql" line 4\n/,
	'check --offline: a meta-command, as the server says it');
like($err, qr/error: unterminated quoted identifier\nDETAIL:  It is still open at the end of the up script\.\nCONTEXT:  file "migrations\/2_double.sql" line 3\n/,
	'check --offline: what is open at the end');
like($err, qr/DETAIL:  The down script runs inside the server/, 'check --offline: the down script too');
pgmig_fails($node, $lex, [ 'check', '-d', 'utf8db' ],
	at_file_line(qr/error: psql meta-commands are not supported in migration scripts/, 'migrations/5_meta.sql', 4),
	'check (online) scans the scripts too');

# the server refuses each at the same line
foreach my $name (sort grep { $lexical{$_}[3] eq 'up' } keys %lexical)
{
	my ($text, $what, $line) = @{ $lexical{$name} };
	my $one = new_project('lexone');
	write_migration($one, $name, $text);
	my ($id) = $name =~ /^(\d+)/;
	pgmig_fails($node, $one, [ 'up', '-d', 'utf8db' ], qr/CONTEXT:  up script of revision $id, file "\Q$name\E" line $line\n/,
		"up: the server names line $line of $name");
}

# no false alarm: quotes, comments and backslashes where they belong
my $clean = new_project('clean');
write_migration($clean, '1_tricky.sql', migration(<<'EOS', "DROP FUNCTION f(); DROP TABLE notes;"));
CREATE TABLE notes (id int PRIMARY KEY, body text);  -- it's a comment with a ' and a "
/* a block comment with 'quotes', "more" and $$ and \i, /* nested */ still in it */
INSERT INTO notes VALUES (1, 'it''s'), (2, E'tab\there \' and \\'), (3, '\echo not psql'), (4, $x$ $$ ' " \i $x$);
INSERT INTO notes VALUES (5, 'multi
line ; with a semicolon'), (6, U&'\0041' UESCAPE '!'), (8, 'continued'
'over lines');
CREATE FUNCTION f() RETURNS text LANGUAGE plpgsql AS $fn$
BEGIN
	RETURN 'x; y' || $$ -- not a comment $$;
END
$fn$;
SELECT "quoted ""identifier""" FROM (SELECT 1 AS "quoted ""identifier""") s;
EOS
pgmig_ok(undef, $clean, [ 'check', '--offline' ], qr/^ok: 1 revision, head 1\n\z/, 'check --offline: a tricky script is fine',
	%offline);
new_database('cleandb');
pgmig_ok($node, $clean, [ 'up', '-d', 'cleandb' ], qr/^applied 1 tricky/m, 'the server agrees: it runs',
	allow_stderr => 1);
pgmig_ok(undef, ($ENV{PGMIG_SRCDIR} // dirname(__FILE__) . '/../..') . '/examples/shop', [ 'check', '--offline' ], qr/^ok: 5 revisions/,
	'check --offline: the example project is fine', %offline);

#
# -- pgmig:lock_timeout: parsed as PostgreSQL parses lock_timeout, by both
# sides when the file is read, with the file's line
#
my $lt = new_project('lt');
write_migration($lt, '1_a.sql', "-- pgmig:label a\n-- pgmig:lock_timeout 5 seconds\n" . migration('SELECT 1;'));
pgmig_fails(undef, $lt, [ 'check', '--offline' ], at_file_line(qr/error: lock_timeout directive needs one value/, '1_a.sql', 2),
	'lock_timeout: one value', %offline);
write_migration($lt, '1_a.sql', "-- pgmig:label a\n-- pgmig:lock_timeout 5x\n" . migration('SELECT 1;'));
my $ltmsg = qr/error: invalid lock_timeout "5x"\nHINT:  Use a duration such as "5s" or "200ms"; 0 waits indefinitely\.\nCONTEXT:  file "1_a\.sql" line 2\n/;
foreach my $args ([ 'check', '--offline' ], [ 'up', '--sql' ])
{
	pgmig_fails(undef, $lt, $args, $ltmsg, "lock_timeout 5x: @$args", %offline);
}
pgmig_fails($node, $lt, [ 'up', '-d', 'utf8db' ], $ltmsg, 'lock_timeout 5x: up');
my ($rc, $lterr) = node_sql('utf8db',
	"SELECT * FROM mig_register('1_a.sql', E'-- pgmig:label a\\n-- pgmig:lock_timeout 5x\\n-- migrate:up\\nSELECT 1;\\n')");
like($lterr, qr/ERROR:  invalid lock_timeout "5x"\nHINT:  Use a duration such as "5s" or "200ms"; 0 waits indefinitely\.\nCONTEXT:  file "1_a\.sql" line 2/,
	'lock_timeout 5x: mig_register says the same');

# exactly what the server takes for lock_timeout (0 and up)
my @values = ('0', '5s', '1.5s', '100ms', '250us', '1.5us', '0.4ms', '2min', '1h', '24d', '25d', '0x10', '0X1f', '010',
	'08', '+5s', '-0', '-1', '-1s', '1e3', '1e3ms', '.5s', '5.', '2147483647', '2147483648', '1e400', '1e-400',
	'inf', 'nan', 'infinity', '5S', '5sec', '5mins', 'ms', '0x', '1_000', '5x', '0x1.8p1', '1.5e', '5s,');
my $ltall = new_project('ltall');
my $i = 0;
write_migration($ltall, sprintf('%02d_v.sql', ++$i), "-- pgmig:lock_timeout $_\n" . migration('SELECT 1;')) foreach @values;
my ($status, $out, $lterrs) = pgmig(undef, $ltall, [ 'check', '--offline' ], %offline);
my $server = $node->safe_psql('postgres', q{
CREATE FUNCTION pg_temp.takes(setting text, v text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_catalog.set_config(setting, v, true);
	RETURN true;
EXCEPTION WHEN OTHERS THEN
	RETURN false;
END $$;
LOAD 'pgmig';
SELECT string_agg(pg_temp.takes('lock_timeout', v)::text, ',' ORDER BY n) || ' '
	|| string_agg(pg_temp.takes('pgmig.lock_timeout', v)::text, ',' ORDER BY n)
FROM unnest(:'values'::text[]) WITH ORDINALITY AS t(v, n);
}, extra_params => [ '-v', 'values={' . join(',', map { qq("$_") } @values) . '}' ]);
my ($server_lt, $server_pgmig) = split / /, $server;
my @server_lt = split /,/, $server_lt;
my @server_pgmig = split /,/, $server_pgmig;
$i = 0;
foreach my $v (@values)
{
	my $file = sprintf('%02d_v.sql', ++$i);
	my $client = $lterrs =~ at_file_line(qr/invalid lock_timeout "\Q$v\E"/, $file, 1) ? 'false' : 'true';
	is($client, $server_lt[ $i - 1 ], "lock_timeout directive \"$v\": the client takes it as the server does");
	my ($st) = pgmig(undef, $ltall, [ 'up', '--sql', "--lock-timeout=$v", '--dir', 'nowhere' ], %offline);
	is($st == 2 ? 'false' : 'true', $server_pgmig[ $i - 1 ],
		"--lock-timeout=$v: the client takes it as the server takes pgmig.lock_timeout");
}
foreach my $v (' 5s', '5s ', '2 min', "5\ts")
{
	my ($st) = pgmig(undef, $ltall, [ 'up', '--sql', "--lock-timeout=$v", '--dir', 'nowhere' ], %offline);
	isnt($st, 2, "--lock-timeout='$v': white space around the unit, as the server takes it");
}

# a valid value works as it did: the server runs the script with it
my $ltok = new_project('ltok');
write_migration($ltok, '1_a.sql', "-- pgmig:lock_timeout 1.5s\n"
	  . migration("CREATE TABLE lt AS SELECT current_setting('lock_timeout') AS v;"));
write_migration($ltok, '2_b.sql', "-- pgmig:lock_timeout 0x10\n"
	  . migration("INSERT INTO lt SELECT current_setting('lock_timeout');"));
new_database('ltdb');
pgmig_ok($node, $ltok, [ 'up', '-d', 'ltdb' ], undef, 'up with lock_timeout directives', allow_stderr => 1);
is(sql_value_in('ltdb', 'SELECT string_agg(v, \',\') FROM lt'), '1500ms,16ms', 'the scripts ran with those values');

#
# text read back from a catalog (older versions or hand-written rows may
# hold anything) is shown escaped
#
new_database('catdb');
my $cat = new_project('cat');
write_migration($cat, '1_a.sql', migration('CREATE TABLE a (id int);', 'DROP TABLE a;'));
pgmig_ok($node, $cat, [ 'up', '-d', 'catdb' ], undef, 'up catdb', allow_stderr => 1);
$node->safe_psql('catdb', q{
INSERT INTO pgmig.schema_migrations (id, description, checksum, applied_by)
VALUES ('5', E'five\n\x1b[2Jcleared', E'abc\x1b[31m', E'role\x1b]0;title\x07');
INSERT INTO pgmig.revisions (id, sortkey, description, labels, up_script, up_checksum, file_checksum, source_file)
VALUES ('6', '6', E'six\x1b[31mred', ARRAY[E'lab\x1b[1mel'], 'SELECT 1;', 'x', 'x', E'6_six\x1b.sql');
INSERT INTO pgmig.schema_migrations (id, description) VALUES ('6', 'ignored');
INSERT INTO pgmig.events (action, revision, success, message) VALUES ('apply', '6', false, E'failed\x1b[5m blinking');
CREATE TABLE U&"evil\001b[31mtable" ();
ALTER DATABASE catdb SET pgmig.environment = E'staging\x1b[31m';
});
my %shows = (
	'status'     => [ qr/^\[X\] 5 five\\n\\x1b\[2Jcleared  \(file missing\)$/m, qr/^\[X\] 6 six\\x1b\[31mred  \(head, file missing\)$/m,
		qr/^Environment: staging\\x1b\[31m$/m, qr/^Drift: 1 object changed .*evil\\x1b\[31mtable/m ],
	'current'    => [qr/^6 six\\x1b\[31mred \(head\)$/m],
	'heads'      => [qr/^6 six\\x1b\[31mred \(applied\)$/m],
	'history'    => [ qr/^1 -> 5, five\\n\\x1b\[2Jcleared$/m, qr/^5 -> 6 \(head\) \(current\), six\\x1b\[31mred$/m ],
	'history -v' => [ qr/^Labels: lab\\x1b\[1mel$/m, qr/^State: applied \S+ by role\\x1b\]0;title\\x07$/m,
		qr/apply by \S+: failed: failed\\x1b\[5m blinking$/m, qr/^    five\\n\\x1b\[2Jcleared$/m ],
	'show 5'     => [ qr/^Description: five\\n\\x1b\[2Jcleared$/m, qr/^Checksum as applied: abc\\x1b\[31m$/m ],
	'show 6'     => [qr/^Labels: lab\\x1b\[1mel$/m],
);
foreach my $cmd (sort keys %shows)
{
	my $o = pgmig_ok($node, $cat, [ split(/ /, $cmd), '-d', 'catdb' ], undef, "catalog text: $cmd");
	like($o, $_, "catalog text: $cmd shows it escaped") foreach @{ $shows{$cmd} };
	unlike($o, $control, "catalog text: $cmd shows no control character");
}
$err = pgmig_fails($node, $cat, [ 'check', '--drift', '-d', 'catdb' ],
	qr/error: applied revision 6 \(6_six\\x1b\.sql\) has no file in migrations\n/, 'catalog text: check');
like($err, qr/error: applied revision 5 \(five\\n\\x1b\[2Jcleared\) has no file in migrations\n/, 'catalog text: check, no source file');
like($err, qr/detail: Table public\."evil\\x1b\[31mtable" was added\./, 'catalog text: check --drift');
unlike($err, $control, 'catalog text: check shows no control character');
my $json = pgmig_ok($node, $cat, [ 'status', '--json', '-d', 'catdb' ], undef, 'catalog text: status --json');
like($json, qr/"description":"five\\n\\u001b\[2Jcleared"/, 'status --json: JSON escapes, the text is whole');
$node->safe_psql('catdb', 'ALTER DATABASE catdb RESET pgmig.environment');

#
# paths with control characters: shown escaped, used as they are
#
my $paths = new_project('paths');
my $pdir = "p\e[31m/mig";
mkdir "$paths/p\e[31m" or die;
mkdir "$paths/$pdir" or die;
my $o = pgmig_ok(undef, $paths, [ 'new', '-m', 'first', '--dir', $pdir ],
	qr{^created p\\x1b\[31m/mig/\d{14}_first\.sql\n\z}, 'new: the path is shown escaped', %offline);
opendir my $dh, "$paths/$pdir" or die "opendir: $!";
ok(scalar(grep { /_first\.sql$/ } readdir $dh), 'new: the file is in the folder itself');
closedir $dh;
pgmig_fails(undef, $paths, [ 'check', '--offline', '--dir', "$pdir\n2" ],
	qr/error: migrations folder "p\\x1b\[31m\/mig\\n2" does not exist\n/, 'a folder that does not exist, escaped', %offline);
pgmig_ok($node, $paths, [ 'init', '-d', 'catdb', '--dir', "p\e[31m/new" ], qr{^created migrations folder p\\x1b\[31m/new$}m,
	'init: the path is shown escaped');
ok(-d "$paths/p\e[31m/new", 'init: the folder itself was created');

# Checksums are SHA-256, whichever implementation a size gets (the one
# written out below 128 bytes, pg_cryptohash above): the server's and the
# client's agree with Perl's Digest::SHA on files of every size around it.
{
	my $sums = new_project('sums');
	my (%want, %want_up);
	my $n = 0;
	foreach my $size (14, 100, 127, 128, 129, 1000, 70_000, 1_100_000)
	{
		my $name = sprintf('%d_size.sql', ++$n);
		my $text = "-- migrate:up\n";
		$text .= "SELECT 1;\n" while length($text) < $size - 20;
		$text .= '-- ' . ('x' x ($size - length($text) - 4)) . "\n" if length($text) < $size;
		write_migration($sums, $name, $text);
		$want{ $n } = Digest::SHA::sha256_hex($text);
		(my $up = $text) =~ s/\A-- migrate:up\n//;
		$want_up{ $n } = Digest::SHA::sha256_hex($up);
	}
	$node->safe_psql('postgres', 'CREATE DATABASE sumsdb');
	pgmig_ok($node, $sums, [ 'init', '-d', 'sumsdb' ], undef, 'checksums: init');
	pgmig_ok($node, $sums, [ 'up', '-d', 'sumsdb' ], undef, 'checksums: up');
	my %got = split /[|\n]/, $node->safe_psql('sumsdb', 'SELECT id, file_checksum FROM pgmig.revisions');
	is_deeply(\%got, \%want, 'checksums: the server\'s are SHA-256 of each file');
	# a script over 1 MB is stored compressed by pgmig itself (register.c)
	my %got_up = split /[|\n]/, $node->safe_psql('sumsdb',
		"SELECT id, encode(sha256(convert_to(up_script, 'UTF8')), 'hex') FROM pgmig.revisions");
	is_deeply(\%got_up, \%want_up, 'checksums: every up script is stored as it was, large ones too');
	like($node->safe_psql('sumsdb', "SELECT pg_column_size(up_script) < length(up_script) / 4 FROM pgmig.revisions WHERE length(up_script) > 1000000"),
		qr/^t$/, 'checksums: the large one is stored compressed');
	unlike(pgmig_ok($node, $sums, [ 'status', '-d', 'sumsdb' ], undef, 'checksums: status'),
		qr/changed/, 'checksums: the client computes the same ones');
	pgmig_ok($node, $sums, [ 'up', '-d', 'sumsdb' ], qr/^nothing to apply$/m, 'checksums: nothing to register again');
}

# A folder of many files is read by several threads (files.c): every file
# arrives whole, and what is wrong is reported in name order, as one by one.
{
	my $many = new_project('many');
	my %want;
	foreach my $i (1 .. 300)
	{
		my $text = migration("CREATE TABLE many_$i (a int);" . (' ' x ($i * 37)), "DROP TABLE many_$i;");
		write_migration($many, "${i}_many.sql", $text);
		$want{$i} = Digest::SHA::sha256_hex($text);
	}
	# wrong ones of each kind, scattered: a malformed file, a folder, a
	# broken link, a link to a good file
	write_migration($many, '1500_bad.sql', "SELECT 1;\n-- migrate:up\n");
	write_migration($many, '99_bad.sql', "-- migrate:up\nSELECT 1;\n-- migrate:up\n");
	mkdir "$many/migrations/2500_dir.sql" or die "mkdir: $!";
	symlink("$many/nowhere.sql", "$many/migrations/3500_broken.sql") or die "symlink: $!";
	my $err = pgmig_fails(undef, $many, [ 'check', '--offline' ], qr/1500_bad\.sql/, 'many files: the wrong ones', %offline);
	my @named = $err =~ /\b(\d+_\w+\.sql)\b/g;
	my %seen;
	@named = grep { !$seen{$_}++ } @named;
	is_deeply(\@named, [ '1500_bad.sql', '2500_dir.sql', '3500_broken.sql', '99_bad.sql' ],
		'many files: each wrong one reported once, in name order');
	unlink "$many/migrations/1500_bad.sql", "$many/migrations/99_bad.sql", "$many/migrations/3500_broken.sql";
	rmdir "$many/migrations/2500_dir.sql";
	symlink("$many/migrations/1_many.sql", "$many/migrations/301_link.sql") or die "symlink: $!";
	$want{301} = $want{1};
	$node->safe_psql('postgres', 'CREATE DATABASE manydb');
	pgmig_ok($node, $many, [ 'init', '-d', 'manydb' ], undef, 'many files: init');
	my ($st, $out, $e) = pgmig($node, $many, [ 'up', '-d', 'manydb' ]);
	like($e, qr/relation "many_1" already exists/, 'many files: the linked file is read through its link');
	unlink "$many/migrations/301_link.sql";
	delete $want{301};
	pgmig_ok($node, $many, [ 'up', '-d', 'manydb' ], undef, 'many files: up');
	my %got = split /[|\n]/, $node->safe_psql('manydb', 'SELECT id, file_checksum FROM pgmig.revisions');
	is_deeply(\%got, \%want, 'many files: every file arrived whole');
	is($node->safe_psql('manydb', "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'many\\_%'"),
		'300', 'many files: all applied');
}

pgmig_done();
