
# Autogenerate: "pgmig diff" and "pgmig new --autogenerate".  The schema
# file (schema.sql, a folder, "schema =" in pgmig.conf, --schema, the
# output of pg_dump --schema-only), the revision written and proven by a
# round trip in a shadow database, --from-database, --concurrently, the
# exit statuses of diff (0, 1, 2), and every error: after each failure
# nothing is written to migrations/ and no shadow database is left.
# Ctrl-C and SIGTERM during a slow load, and a shadow server that goes
# away, with real processes.
use strict;
use warnings;

use File::Copy qw(copy);
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $node = new_node('autogen');
my $srcdir = $ENV{PGMIG_SRCDIR} or die "PGMIG_SRCDIR is not set";
my $shadow_like = "datname LIKE 'pgmig\\_shadow\\_%'";

# The names in the migrations folder of the project "dir" is in (or
# above), sorted, as one string.
sub migration_files
{
	my ($dir) = @_;
	$dir .= '/..' until -d "$dir/migrations";
	opendir my $d, "$dir/migrations" or die "opendir: $!";
	my @names = sort grep { !/^\./ } readdir $d;
	closedir $d;
	return join(' ', @names);
}

# The shadow databases on the node.
sub shadows
{
	return sql_value($node, "SELECT coalesce(string_agg(datname, ' '), '') FROM pg_database WHERE $shadow_like");
}

# A database with the extension, and a project whose first revision
# creates table users.
sub new_case
{
	my ($name) = @_;
	my $db = "${name}_db";
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION pgmig');
	my $dir = new_project($name);
	write_migration($dir, '001_users.sql',
		migration("CREATE TABLE users (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL\n);",
			'DROP TABLE users;'));
	return ($dir, $db);
}

# pgmig must fail with "status" and "like", leaving the migrations folder
# as it was and no shadow database behind.
sub fails_cleanly
{
	my ($dir, $args, $like, $name, %opts) = @_;
	my $before = migration_files($dir);
	my $err = pgmig_fails($node, $dir, $args, $like, $name, %opts);
	is(migration_files($dir), $before, "$name: nothing written to migrations/");
	is(shadows(), '', "$name: no shadow database left");
	return $err;
}

my $users_phone_posts = <<'EOS';
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    phone text
);
CREATE TABLE posts (
    id bigint PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users (id),
    body text
);
EOS

#
# usage and help
#
{
	my $dir = new_project('usage');
	pgmig_fails($node, $dir, [ 'new', '-m', 'x', '--schema', 'a.sql' ],
		qr/error: --schema cannot be used with command "new" without --autogenerate\n/, 'new --schema needs --autogenerate', status => 2);
	pgmig_fails($node, $dir, [ 'new', '-m', 'x', '-d', 'app' ],
		qr/a connection option cannot be used with command "new" without --autogenerate/, 'new -d needs --autogenerate', status => 2);
	pgmig_fails($node, $dir, [ 'new', '--autogenerate' ], qr/command "new" needs -m MESSAGE/, 'new --autogenerate needs -m', status => 2);
	pgmig_fails($node, $dir, [ 'diff', '--schema', 'a.sql', '--from-database' ],
		qr/--schema and --from-database cannot be used together/, 'diff --schema --from-database', status => 2);
	pgmig_fails($node, $dir, [ 'diff', '--down', '--concurrently' ],
		qr/--down and --concurrently cannot be used together/, 'diff --down --concurrently', status => 2);
	pgmig_fails($node, $dir, [ 'diff', '-m', 'x' ], qr/-m\/--message cannot be used with command "diff"/,
		'diff takes no message', status => 2);
	pgmig_fails($node, $dir, [ 'diff', 'x' ], qr/too many arguments for command "diff"/, 'diff takes no argument', status => 2);
	pgmig_fails($node, $dir, [ 'up', '--down' ], qr/--down cannot be used with command "up"/, 'up has no --down', status => 2);
	pgmig_fails($node, $dir, [ 'new', '-m', 'x', '--autogenerate', '--confirm' ],
		qr/--confirm cannot be used with command "new" without --from-database/, 'new --confirm needs --from-database', status => 2);
	like(pgmig_ok($node, $dir, ['--help'], undef, '--help'), qr/^  diff\s+print the SQL from the migrations' head to the schema file$/m,
		'--help lists diff');
	my $h = pgmig_ok($node, $dir, [ 'help', 'diff' ], undef, 'help diff');
	like($h, qr/0 no difference, 1 differences, 2 trouble/, 'help diff: the exit statuses');
	like($h, qr/--down.*--schema=PATH.*--from-database.*--concurrently.*--privileges.*--shadow-url=URL.*--dbname=DBNAME/s,
		'help diff: its options');
	$h = pgmig_ok($node, $dir, [ 'help', 'new' ], undef, 'help new');
	like($h, qr/--autogenerate.*--schema=PATH.*--from-database.*--concurrently.*--privileges.*--shadow-url=URL/s,
		'help new: the autogenerate options');
	like($h, qr/round trip/, 'help new: says the revision is proven');
	is(pgmig_ok($node, $dir, [ 'diff', '--help' ], undef, 'diff --help'),
		pgmig_ok($node, $dir, [ 'help', 'diff' ], undef, 'help diff again'), '"diff --help" is "help diff"');
}

#
# the workflow: schema.sql adds a table and a column; diff, new, up
#
my ($dir, $db) = new_case('flow');
my @d = ('-d', $db);
pgmig_ok($node, $dir, [ @d, 'up' ], qr/^applied 001 users /, 'flow: up');
write_file("$dir/schema.sql", $users_phone_posts);

my ($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff' ]);
is($status, 1, 'diff: exit status 1 for differences');
like($out, qr/^CREATE TABLE public\.posts \(/m, 'diff: creates the new table');
like($out, qr/^ALTER TABLE public\.users ADD COLUMN phone text;$/m, 'diff: adds the new column');
like($out, qr/REFERENCES (public\.)?users\s*\(id\)/, 'diff: with the foreign key');
unlike($out, qr/^(DROP|-- WARNING)/m, 'diff: drops nothing');
like($err, qr/^pgmig: detected added table public\.posts$/m, 'diff: the summary names the table');
like($err, qr/^pgmig: detected added column public\.users\.phone$/m, 'diff: the summary names the column');
unlike($err, qr/warning/, 'diff: no warning');

# -v: how long each step took, on stderr; stdout is the script all the same
($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff', '-v' ]);
is($status, 1, 'diff -v: differences');
like($out, qr/\ACREATE TABLE public\.posts \(/, 'diff -v: the script on stdout');
like($err, qr/^pgmig: schema\.sql loaded in a shadow database in \d+\.\d{3} s$/m, 'diff -v: the load of the schema file');
like($err, qr/^pgmig: the migrations' head \(1 revision\) built in a shadow database in \d+\.\d{3} s$/m,
	'diff -v: the build of the head');
like($err, qr/^pgmig: the migrations' head described \(\d+ objects\) in \d+\.\d{3} s$/m, 'diff -v: the descriptions');
like($err, qr/^pgmig: compared: [1-9]\d* statements in \d+\.\d{3} s$/m, 'diff -v: the comparison');
($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff' ]);
unlike($err, qr/ in \d+\.\d{3} s$/m, 'diff without -v: no timings');
is(shadows(), '', 'diff: no shadow database left');
is($node->safe_psql($db, "SELECT to_regclass('public.posts') IS NULL"), 't', 'diff: changes nothing in the database');
is(migration_files($dir), '001_users.sql', 'diff: writes no file');

($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff', '--down' ]);
is($status, 1, 'diff --down: exit status 1');
like($out, qr/^-- WARNING: can lose data: dropped table public\.posts\nDROP TABLE public\.posts;$/m,
	'diff --down: the table is dropped after a warning comment');
like($out, qr/^-- WARNING: can lose data: dropped column public\.users\.phone\nALTER TABLE public\.users DROP COLUMN phone;$/m,
	'diff --down: the column too');
like($err, qr/^pgmig: warning: can lose data: dropped table public\.posts$/m, 'diff --down: warns of the table on the terminal');
like($err, qr/^pgmig: warning: can lose data: dropped column public\.users\.phone$/m, 'diff --down: and of the column');

# -q: no summary, warnings still
($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff', '--down', '-q' ]);
is($status, 1, 'diff -q: exit status 1');
unlike($err, qr/detected/, 'diff -q: no summary');
like($err, qr/warning: can lose data/, 'diff -q: warnings all the same');

($out, $err) = pgmig_ok($node, $dir, [ @d, 'new', '-m', 'add posts', '--autogenerate' ],
	qr/^created migrations\/002_add_posts\.sql\n\z/, 'new --autogenerate', allow_stderr => 1);
like($err, qr/^pgmig: detected added table public\.posts\n(?:.*\n)*pgmig: detected added column public\.users\.phone$/m,
	'new: the summary, one line per change');
is(shadows(), '', 'new: no shadow database left');
my $text = read_file_text("$dir/migrations/002_add_posts.sql");
like($text, qr/\A-- autogenerate: round trip verified \(up reaches schema\.sql, down returns to 001\)\n-- pgmig:revises 001\n-- migrate:up\n/,
	'new: the header says the round trip was verified, and the parent');
like($text, qr/-- migrate:up\n(?:.*\n)*CREATE TABLE public\.posts (?:.*\n)*-- migrate:down\n/, 'new: the up section creates the table');
like($text, qr/-- migrate:down\n(?:.*\n)*-- WARNING: can lose data: dropped table public\.posts\nDROP TABLE public\.posts;\n/,
	'new: the down section drops it, with a warning comment');
pgmig_ok($node, $dir, [ 'check', '--offline' ], qr/^ok: 2 revisions, head 002\n/, 'new: the file is a valid migration file');
is($node->safe_psql($db, "SELECT to_regclass('public.posts') IS NULL"), 't', 'new: changes nothing in the database');

pgmig_ok($node, $dir, [ @d, 'up' ], qr/^applied 002 add posts /, 'up applies the generated revision');
is($node->safe_psql($db, "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'users'::regclass AND attnum > 0"),
	'id,email,phone', 'up: the column is there');
($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff' ]);
is($status, 0, 'diff after up: exit status 0');
is($out, '', 'diff after up: prints nothing');
is($err, '', 'diff after up: says nothing');
pgmig_ok($node, $dir, [ @d, 'new', '-m', 'nothing', '--autogenerate' ], qr/^no changes detected: the migrations' head is schema\.sql\n\z/,
	'new without a change writes nothing');
is(migration_files($dir), '001_users.sql 002_add_posts.sql', 'new without a change: no file');
pgmig_ok($node, $dir, [ @d, 'down', '-1' ], qr/^reverted 002 /, 'the generated down script reverts it');
is($node->safe_psql($db, "SELECT to_regclass('public.posts') IS NULL"), 't', 'down: the table is gone');
pgmig_ok($node, $dir, [ @d, 'up' ], qr/^applied 002 /, 'up again');

# a column dropped: a warning in the file and on the terminal; a rename
# is offered where the dropped and the added column look alike
write_file("$dir/schema.sql", $users_phone_posts =~ s/phone text/mobile text/r);
($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff' ]);
is($status, 1, 'rename: diff exit status 1');
like($out, qr/^-- WARNING: can lose data: dropped column public\.users\.phone\nALTER TABLE public\.users DROP COLUMN phone;$/m,
	'rename: the drop is marked');
like($out, qr/^-- ALTER TABLE public\.users RENAME COLUMN phone TO mobile;  -- if this is a rename$/m,
	'rename: a RENAME is offered, commented out');
like($err, qr/^pgmig: warning: can lose data: dropped column public\.users\.phone$/m, 'rename: warned on the terminal');
write_file("$dir/schema.sql", $users_phone_posts);

# the exit status of trouble is 2, of a usage error too
fails_cleanly($dir, [ @d, 'diff', '--schema', 'nope.sql' ],
	qr/^pgmig: error: could not read schema file "nope\.sql": No such file or directory\n\z/, 'diff: missing --schema file', status => 2);

#
# the schema file: "schema =" in pgmig.conf, a folder, --schema, pg_dump
#
mkdir "$dir/db" or die;
mkdir "$dir/db/schema" or die;
write_file("$dir/db/schema/01_users.sql", $users_phone_posts =~ s/CREATE TABLE posts.*//sr);
write_file("$dir/db/schema/02_posts.sql", $users_phone_posts =~ s/.*(?=CREATE TABLE posts)//sr);
write_file("$dir/db/schema/README.md", "not SQL\n");
write_file("$dir/pgmig.conf", "schema = db/schema\n");
rename "$dir/schema.sql", "$dir/schema.sql.off" or die;
mkdir "$dir/sub" or die;
pgmig_ok($node, "$dir/sub", [ @d, 'diff' ], qr/^\z/, 'folder from pgmig.conf: no difference, from a subfolder');
write_file("$dir/db/schema/03_tags.sql", "CREATE TABLE tags (name text PRIMARY KEY);\n");
($status, $out, $err) = pgmig($node, "$dir/sub", [ @d, 'diff' ]);
is($status, 1, 'folder: a new file makes a difference');
like($out, qr/^CREATE TABLE public\.tags \(/m, 'folder: its table');
unlink "$dir/db/schema/03_tags.sql";
write_file("$dir/db/schema/03_bad.sql", "CREATE TABLE tags (name text PRIMARY KEY);\n\nCREATE TABLE oops (id int,);\n");
my $bad = fails_cleanly("$dir/sub", [ @d, 'diff' ], qr/error: syntax error at or near "\)"/,
	'folder: a syntax error', status => 2);
like($bad, qr/^CONTEXT:  schema file "db\/schema\/03_bad\.sql" line 3$/m,
	'folder: the error names the file, relative to the project root, and the line');
unlink "$dir/db/schema/03_bad.sql";
write_file("$dir/db/schema/03_meta.sql", "CREATE TABLE tags (name text PRIMARY KEY);\n\\set x 1\n");
$bad = fails_cleanly("$dir/sub", [ @d, 'diff' ], qr/error: .*meta-command/,
	'folder: a psql meta-command is refused', status => 2);
like($bad, qr/^CONTEXT:  schema file "db\/schema\/03_meta\.sql" line 2$/m, 'folder: the meta-command\'s line');
unlink "$dir/db/schema/03_meta.sql";
pgmig_ok($node, $dir, [ @d, 'diff', '--schema', 'db/schema/' ], qr/^\z/, '--schema names a folder');
pgmig_ok($node, "$dir/sub", [ @d, 'diff', '--schema', '../schema.sql.off' ], qr/^\z/, '--schema names a file, from a subfolder');
unlink "$dir/pgmig.conf";
rename "$dir/schema.sql.off", "$dir/schema.sql" or die;

# pg_dump --schema-only of the database, as it is, is a valid schema file
my $dump = "$dir/dump.sql";
command_ok([ 'pg_dump', '--schema-only', '-h', $node->host, '-p', $node->port, '-f', $dump, $db ], 'pg_dump --schema-only');
my $dumped = read_file_text($dump);
like($dumped, qr/^SELECT pg_catalog\.set_config\('search_path', '', false\);$/m, 'the dump sets search_path');
like($dumped, qr/OWNER TO/, 'the dump has OWNER TO lines');
note('the dump has ' . ($dumped =~ /^\\restrict/m ? '' : 'no ') . '\restrict lines');
pgmig_ok($node, $dir, [ @d, 'diff', '--schema', 'dump.sql' ], qr/^\z/, 'pg_dump output: no difference from the head');
# \restrict and \unrestrict, as pg_dump 17.6, 16.10, 15.14 and later write them
write_file("$dir/restricted.sql", "\\restrict AbC123\n" . ($dumped =~ s/^\\(un)?restrict .*\n//mgr)
	. "CREATE TABLE public.extra (id int);\n\\unrestrict AbC123\n");
($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff', '--schema', 'restricted.sql' ]);
is($status, 1, '\restrict lines: loaded, the difference found');
like($out, qr/\ACREATE TABLE public\.extra \(\n    id integer\n\);\n/, '\restrict lines: only the table added');

#
# --from-database: a change made by hand becomes a revision, stamped
#
$node->safe_psql($db, 'ALTER TABLE users ADD COLUMN nick text');
($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff', '--from-database' ]);
is($status, 1, 'diff --from-database: exit status 1');
is($out, "ALTER TABLE public.users ADD COLUMN nick text;\n", 'diff --from-database: the change made by hand');
($out, $err) = pgmig_ok($node, $dir, [ @d, 'new', '-m', 'nick', '--autogenerate', '--from-database' ],
	qr/^created migrations\/003_nick\.sql\nstamped 003\n\z/, 'new --from-database', allow_stderr => 1);
like($err, qr/\Apgmig: detected added column public\.users\.nick\n\z/, 'new --from-database: the summary and nothing else');
like(read_file_text("$dir/migrations/003_nick.sql"),
	qr/\A-- autogenerate: round trip verified \(up reaches database "${db}", down returns to 002\)\n-- pgmig:revises 002\n-- migrate:up\nALTER TABLE public\.users ADD COLUMN nick text;\n/,
	'new --from-database: the file');
is($node->safe_psql($db, "SELECT method FROM pgmig.schema_migrations WHERE id = '003'"), 'stamped',
	'new --from-database: the revision is recorded as applied');
pgmig_ok($node, $dir, [ @d, 'status' ], qr/^Applied: 3\nPending: 0\n/m, 'status after --from-database');
unlike(pgmig_ok($node, $dir, [ @d, 'status' ], undef, 'status again'), qr/^Drift:/m,
	'status: no drift left');
pgmig_ok($node, $dir, [ @d, 'diff', '--from-database' ], qr/^\z/, 'diff --from-database: nothing left');
is(shadows(), '', '--from-database: no shadow database left');

# refused when the database is not at the head; nothing stamped
pgmig_ok($node, $dir, [ @d, 'down', '-1' ], qr/^reverted 003 /, 'down -1');
$node->safe_psql($db, 'ALTER TABLE users ADD COLUMN nick2 text');
$err = fails_cleanly($dir, [ @d, 'new', '-m', 'x', '--autogenerate', '--from-database' ],
	qr/error: database "${db}" is not at the head of the migrations: 1 revision is pending, from 003\n.*hint: Apply them first with "pgmig up"/s,
	'--from-database: refused when not at the head');
fails_cleanly($dir, [ @d, 'diff', '--from-database' ], qr/is not at the head of the migrations/,
	'diff --from-database: refused too', status => 2);
is($node->safe_psql($db, "SELECT count(*) FROM pgmig.schema_migrations"), '2', '--from-database: nothing stamped');
$node->safe_psql($db, 'ALTER TABLE users DROP COLUMN nick2');
pgmig_ok($node, $dir, [ @d, 'up' ], qr/^applied 003 /, 'up again');

# a file changed after it was applied
my $orig = read_file_text("$dir/migrations/001_users.sql");
write_file("$dir/migrations/001_users.sql", $orig =~ s/email text NOT NULL/email text/r);
fails_cleanly($dir, [ @d, 'new', '-m', 'x', '--autogenerate', '--from-database' ],
	qr/error: the file of revision 001 was changed after it was applied to database "${db}"/,
	'--from-database: refused when a file changed');
write_file("$dir/migrations/001_users.sql", $orig);

#
# --concurrently: indexes on existing tables in a transaction:false revision
#
write_file("$dir/schema.sql", $users_phone_posts =~ s/phone text/phone text,\n    nick text,\n    age integer/r
	. "CREATE INDEX users_email ON users (email);\n");
($out, $err) = pgmig_ok($node, $dir, [ @d, 'new', '-m', 'age', '--autogenerate', '--concurrently' ],
	qr/^created migrations\/004_age\.sql\ncreated migrations\/005_age_concurrently\.sql\n\z/, 'new --concurrently: two revisions',
	allow_stderr => 1);
my $first = read_file_text("$dir/migrations/004_age.sql");
my $second = read_file_text("$dir/migrations/005_age_concurrently.sql");
like($first, qr/\A-- autogenerate: round trip of revisions 004 and 005 verified \(up reaches schema\.sql, down returns to 003\)\n-- pgmig:revises 003\n-- migrate:up\nALTER TABLE public\.users ADD COLUMN age integer;\n\n-- migrate:down\n-- WARNING: can lose data: dropped column public\.users\.age\nALTER TABLE public\.users DROP COLUMN age;\n\z/,
	'--concurrently: the first revision, without the index');
like($second, qr/\A-- autogenerate: round trip of revisions 004 and 005 verified .*\n-- pgmig:revises 004\n-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY users_email ON public\.users USING btree \(email\);\n\n-- migrate:down transaction:false\nDROP INDEX CONCURRENTLY public\.users_email;\n\z/,
	'--concurrently: the second, transaction:false');
pgmig_ok($node, $dir, [ @d, 'up' ], qr/^applied 004 age .*\napplied 005 age concurrently \([^)]*no transaction, 1 statement\)\n\z/,
	'--concurrently: up applies both');
pgmig_ok($node, $dir, [ @d, 'diff' ], qr/^\z/, '--concurrently: then no difference');

# only indexes: only the transaction:false revision
write_file("$dir/schema.sql", read_file_text("$dir/schema.sql") . "CREATE INDEX posts_user ON posts (user_id);\n");
($status, $out, $err) = pgmig($node, $dir, [ @d, 'diff', '--concurrently' ]);
is($status, 1, 'diff --concurrently: exit status 1');
like($out, qr/\A\n-- Outside a transaction block \(a revision with transaction:false\):\nCREATE INDEX CONCURRENTLY posts_user ON public\.posts USING btree \(user_id\);\n\z/,
	'diff --concurrently: the online statements come last');
pgmig_ok($node, $dir, [ @d, 'new', '-m', 'posts user', '--autogenerate', '--concurrently' ],
	qr/^created migrations\/006_posts_user_concurrently\.sql\n\z/, 'new --concurrently: only the online revision', allow_stderr => 1);
like(read_file_text("$dir/migrations/006_posts_user_concurrently.sql"), qr/^-- pgmig:revises 005\n-- migrate:up transaction:false\n/m,
	'--concurrently: it revises the head');
pgmig_ok($node, $dir, [ @d, 'up' ], qr/^applied 006 /, '--concurrently: applied');

#
# errors of the schema file: nothing written, no shadow left
#
fails_cleanly($dir, [ @d, 'new', '-m', 'x', '--autogenerate', '--schema', 'nope.sql' ],
	qr/^pgmig: error: could not read schema file "nope\.sql": No such file or directory\n\z/, 'new: missing --schema file');
rename "$dir/schema.sql", "$dir/schema.off" or die;
fails_cleanly($dir, [ @d, 'new', '-m', 'x', '--autogenerate' ],
	qr/error: could not read schema file "schema\.sql": No such file or directory\n.*hint: Write the schema you want in schema\.sql at the project root/s,
	'new: no schema.sql');
fails_cleanly($dir, [ @d, 'diff' ], qr/could not read schema file "schema\.sql"/, 'diff: no schema.sql', status => 2);
rename "$dir/schema.off", "$dir/schema.sql" or die;
SKIP:
{
	skip 'root reads any file', 4 if $> == 0;
	write_file("$dir/secret.sql", "SELECT 1;\n");
	chmod 0000, "$dir/secret.sql";
	fails_cleanly($dir, [ @d, 'diff', '--schema', 'secret.sql' ],
		qr/error: could not open file "secret\.sql": Permission denied/, 'an unreadable schema file', status => 2);
}
mkdir "$dir/empty" or die;
fails_cleanly($dir, [ @d, 'diff', '--schema', 'empty' ], qr/error: schema folder "empty" has no \.sql files/,
	'an empty schema folder', status => 2);
mkdir "$dir/odd" or die;
mkdir "$dir/odd/x.sql" or die;
fails_cleanly($dir, [ @d, 'diff', '--schema', 'odd' ], qr/error: schema file "odd\/x\.sql" is not a regular file/,
	'a folder named *.sql in the schema folder', status => 2);
write_file("$dir/nul.sql", "SELECT 1;\0\n");
fails_cleanly($dir, [ @d, 'diff', '--schema', 'nul.sql' ], qr/error: schema file "nul\.sql" is not a text file/,
	'a NUL byte', status => 2);
write_file("$dir/latin1.sql", "CREATE TABLE t (a int);\nCOMMENT ON TABLE t IS 'caf\xe9';\n");
fails_cleanly($dir, [ @d, 'diff', '--schema', 'latin1.sql' ],
	qr/error: invalid UTF-8\nDETAIL:  Schema files must be encoded in UTF-8\.\nCONTEXT:  schema file "latin1\.sql" line 2\n/,
	'invalid UTF-8, with its line', status => 2);
write_file("$dir/syntax.sql", "CREATE TABLE a (id int);\n\nCREATE TABLE b (id int,);\n");
$err = fails_cleanly($dir, [ @d, 'new', '-m', 'x', '--autogenerate', '--schema', 'syntax.sql' ],
	qr/error: syntax error at or near "\)"/, 'a syntax error');
like($err, qr/^CONTEXT:  schema file "syntax\.sql" line 3$/m, 'a syntax error: file and line');
write_file("$dir/missing.sql", "CREATE TABLE a (id int);\nCREATE VIEW v AS\n  SELECT * FROM no_such_table;\n");
$err = fails_cleanly($dir, [ @d, 'diff', '--schema', 'missing.sql' ],
	qr/error: relation "no_such_table" does not exist/, 'an error when it runs', status => 2);
like($err, qr/^CONTEXT:  schema file "missing\.sql" line 3$/m, 'an error when it runs: the file and the line of the error');

# a migration that fails while the head is built
{
	my ($mdir, $mdb) = new_case('broken');
	write_migration($mdir, '002_broken.sql', migration("SELECT 1;\nSELECT * FROM nowhere;", ''));
	write_file("$mdir/schema.sql", "CREATE TABLE t (id int);\n");
	$err = fails_cleanly($mdir, [ '-d', $mdb, 'new', '-m', 'x', '--autogenerate' ],
		qr/error: relation "nowhere" does not exist/, 'a migration that fails in the shadow');
	like($err, qr/CONTEXT:  up script of revision 002, file "002_broken\.sql" line 3/, 'a failing migration: file and line');
	like($err, qr/nothing was written/, 'a failing migration: says nothing was written');
}

# what the differ cannot express: the base type of a domain a column uses
{
	my ($tdir, $tdb) = new_case('cannot');
	my $users = "CREATE TABLE users (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL\n);\n";
	write_migration($tdir, '002_pos.sql',
		migration("CREATE DOMAIN pos AS integer CHECK (VALUE > 0);\nCREATE TABLE points (p pos);",
			"DROP TABLE points;\nDROP DOMAIN pos;"));
	write_file("$tdir/schema.sql", $users . "CREATE DOMAIN pos AS bigint CHECK (VALUE > 0);\nCREATE TABLE points (p pos);\n");
	fails_cleanly($tdir, [ '-d', $tdb, 'new', '-m', 'x', '--autogenerate' ],
		qr/error: cannot change domain public\.pos in place\n.*detail: Column public\.points\.p uses it/s,
		'the differ cannot express a change');
	fails_cleanly($tdir, [ '-d', $tdb, 'diff' ], qr/error: cannot change domain public\.pos in place/,
		'diff: the differ cannot express a change', status => 2);
}

# a statement whose text would change the file's sections
{
	my ($fdir, $fdb) = new_case('sections');
	write_file("$fdir/schema.sql", <<'EOS');
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL
);
CREATE FUNCTION tricky() RETURNS int LANGUAGE sql AS $$
SELECT 1
-- migrate:down
$$;
EOS
	fails_cleanly($fdir, [ '-d', $fdb, 'new', '-m', 'x', '--autogenerate' ],
		qr/error: the generated revision cannot be written as a migration file\n.*detail: Its line \d+ would read as a line of the file format: second "-- migrate:down"\.\n.*hint: A statement's text \(a function's body, say\) holds a line such as "-- migrate:down": write this change by hand\./s,
		'a statement with a section line');
}

#
# the proof fails: the file is written for review, the objects named
#
{
	my ($pdir, $pdb) = new_case('proof');
	my $tagger = <<'EOS';
CREATE FUNCTION public.tag_new_tables() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM pg_event_trigger_ddl_commands() WHERE command_tag = 'CREATE TABLE' LOOP
        EXECUTE format('COMMENT ON TABLE %s IS %L', r.object_identity, 'tagged');
    END LOOP;
END
$$;
EOS
	# the migrations comment every new table; the schema file does not
	write_migration($pdir, '002_tagger.sql',
		migration($tagger . "CREATE EVENT TRIGGER tag_new_tables ON ddl_command_end EXECUTE FUNCTION public.tag_new_tables();",
			"DROP EVENT TRIGGER tag_new_tables;\nDROP FUNCTION public.tag_new_tables();"));
	my $schema = "CREATE TABLE users (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL\n);\n$tagger";
	$schema .= "CREATE TABLE t$_ (id int);\n" foreach 1 .. 12;
	write_file("$pdir/schema.sql", $schema);
	my ($perr, $pout) = pgmig_fails($node, $pdir, [ '-d', $pdb, 'new', '-m', 'tables', '--autogenerate' ],
		qr/error: the generated up script does not reach the schema of schema\.sql\n.*detail: 12 objects differ: .*public\.t1.*, and 2 more\.\n.*hint: The revision was written for review, marked as not verified/s,
		'a failed proof');
	like($pout, qr/^created migrations\/003_tables\.sql\n\z/, 'a failed proof: the file is written all the same');
	like(read_file_text("$pdir/migrations/003_tables.sql"),
		qr/\A-- autogenerate: round trip NOT verified \(up does not reach schema\.sql\); review before applying\n-- pgmig:revises 002\n/,
		'a failed proof: the file says so');
	is(shadows(), '', 'a failed proof: no shadow left');
}

# the up script fails in the shadow (an event trigger of the migrations
# refuses new tables), or the down script does (it refuses drops)
foreach my $case ([ 'up', 'CREATE TABLE' ], [ 'down', 'DROP TABLE' ])
{
	my ($which, $tag) = @$case;
	my ($pdir, $pdb) = new_case("proof$which");
	my $refuse = <<"EOS";
CREATE FUNCTION public.refuse() RETURNS event_trigger LANGUAGE plpgsql AS \$\$
BEGIN
    RAISE EXCEPTION 'no %', tg_tag;
END
\$\$;
EOS
	write_migration($pdir, '002_refuse.sql',
		migration($refuse . "CREATE EVENT TRIGGER refuse ON ddl_command_start WHEN TAG IN ('$tag') EXECUTE FUNCTION public.refuse();",
			"DROP EVENT TRIGGER refuse;\nDROP FUNCTION public.refuse();"));
	write_file("$pdir/schema.sql", "CREATE TABLE users (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL\n);\n"
		  . $refuse . "CREATE TABLE extra (id int);\n");
	my ($perr, $pout) = pgmig_fails($node, $pdir, [ '-d', $pdb, 'new', '-m', 'extra', '--autogenerate' ],
		qr/error: no $tag\nCONTEXT:  (?:.*\n)*$which script of revision 003, file "003_extra\.sql" line \d+\n(?:.*\n)*pgmig: error: the $which script of the generated revision failed in a shadow database\n/,
		"the $which script fails in the shadow");
	like($pout, qr/^created migrations\/003_extra\.sql\n\z/, "$which script fails: the file is written for review");
	like(read_file_text("$pdir/migrations/003_extra.sql"),
		qr/\A-- autogenerate: round trip NOT verified \($which failed\); review before applying\n/,
		"$which script fails: the file says so");
	is(shadows(), '', "$which script fails: no shadow left");
}

#
# shadows: no CREATEDB, no superuser, --shadow-url, "shadow =", Ctrl-C
#
$node->safe_psql('postgres', <<"EOS");
CREATE ROLE nocreate LOGIN;
CREATE ROLE creator LOGIN CREATEDB;
CREATE ROLE shadowsu LOGIN SUPERUSER;
GRANT CONNECT ON DATABASE $db TO nocreate, creator;
EOS
$node->safe_psql($db, 'GRANT USAGE ON SCHEMA pgmig TO nocreate, creator; GRANT SELECT ON ALL TABLES IN SCHEMA pgmig TO nocreate, creator');
fails_cleanly($dir, [ @d, '-U', 'nocreate', 'diff' ],
	qr/error: role "nocreate" may not create the shadow databases that autogenerate needs\n.*detail: permission denied to create database\n.*hint: Grant the role CREATEDB \(ALTER ROLE nocreate CREATEDB;\), or name a server where a role may create databases with --shadow-url or "shadow = URL" in pgmig\.conf\./s,
	'no CREATEDB', status => 2);
fails_cleanly($dir, [ @d, '-U', 'nocreate', 'new', '-m', 'x', '--autogenerate' ], qr/may not create the shadow databases/,
	'new: no CREATEDB');
fails_cleanly($dir, [ @d, '-U', 'creator', 'diff' ],
	qr/error: role "creator" may not create extension pgmig in the shadow databases that autogenerate needs\n.*hint: Creating extension pgmig takes a superuser/s,
	'CREATEDB but no superuser', status => 2);
my $url = sprintf('postgresql:///postgres?host=%s&port=%d&user=shadowsu', $node->host, $node->port);
pgmig_ok($node, $dir, [ @d, '-U', 'nocreate', 'diff', '--shadow-url', $url ], qr/^\z/,
	'--shadow-url: another role makes the shadows');
write_file("$dir/pgmig.conf", "shadow = \"$url\"\n");
pgmig_ok($node, $dir, [ @d, '-U', 'nocreate', 'diff' ], qr/^\z/, '"shadow =" in pgmig.conf');
unlink "$dir/pgmig.conf";
fails_cleanly($dir, [ @d, 'diff', '--shadow-url', 'postgresql:///postgres?host=/nonexistent&port=1&password=s3cret' ],
	qr/error: could not connect to the server for shadow databases: .*\n(?:.*\n)*pgmig: hint: Check the URL of --shadow-url/,
	'--shadow-url: a server that is not there', status => 2);
unlike((pgmig($node, $dir, [ @d, 'diff', '--shadow-url', 'postgresql:///postgres?host=/nonexistent&port=1&password=s3cret' ]))[2],
	qr/s3cret/, '--shadow-url: the password is not shown');

# Ctrl-C and SIGTERM during a slow load: the statement is canceled, the
# shadows dropped
write_file("$dir/slow.sql", "CREATE TABLE slow (id int);\nDO \$\$ BEGIN PERFORM pg_sleep(60); END \$\$;\n");
foreach my $sig ('INT', 'TERM')
{
	foreach my $cmd ([ 'diff', 2 ], [ 'new', 1 ])
	{
		my ($name, $want) = @$cmd;
		my @args = $name eq 'diff' ? ('diff') : ('new', '-m', 'slow', '--autogenerate');
		my $h = pgmig_start($node, $dir, [ @d, @args, '--schema', 'slow.sql' ]);
		ok($node->poll_query_until('postgres',
				"SELECT count(*) > 0 FROM pg_stat_activity WHERE $shadow_like AND wait_event = 'PgSleep'"),
			"SIG$sig $name: the slow load runs in a shadow");
		my $t0 = time;
		$h->{run}->signal($sig);
		my ($st, $o, $e) = pgmig_finish($h);
		is($st, $want, "SIG$sig $name: exit status $want");
		# the load, or the migrations applied meanwhile in the other shadow
		like($e, qr/canceling statement due to user request|error: canceled\n/, "SIG$sig $name: the statement was canceled");
		unlike($e, qr/the migrations failed/, "SIG$sig $name: no failure of the migrations is reported");
		ok(time - $t0 < 30, "SIG$sig $name: it did not wait for the load to end");
		is(shadows(), '', "SIG$sig $name: no shadow database left");
		is(migration_files($dir), '001_users.sql 002_add_posts.sql 003_nick.sql 004_age.sql 005_age_concurrently.sql 006_posts_user_concurrently.sql',
			"SIG$sig $name: nothing written");
	}
}

# the shadow server goes away during the load: the shadow cannot be
# dropped, and pgmig says which and how
{
	my $other = new_node('shadowsrv');
	my $ourl = sprintf('postgresql:///postgres?host=%s&port=%d', $other->host, $other->port);
	my $h = pgmig_start($node, $dir, [ @d, 'diff', '--schema', 'slow.sql', '--shadow-url', $ourl ]);
	ok($other->poll_query_until('postgres',
			"SELECT count(*) > 0 FROM pg_stat_activity WHERE $shadow_like AND wait_event = 'PgSleep'"),
		'shadow server: the slow load runs there');
	$other->stop('immediate');
	my ($st, $o, $e) = pgmig_finish($h);
	is($st, 2, 'shadow server gone: exit status 2');
	like($e, qr/warning: could not drop shadow database "(pgmig_shadow_\d+_[0-9a-f]{8}_schema)": .*\n(?:.*\n)*pgmig: hint: Drop it with "DROP DATABASE pgmig_shadow_\d+_[0-9a-f]{8}_schema;" on the server at \S+, port \d+\./,
		'shadow server gone: the shadow left is named, with the statement that drops it');
	# the head's shadow is built meanwhile: it may be left too, or not yet
	# committed when the server went away
	my %named = map { $_ => 1 } $e =~ /could not drop shadow database "([^"]+)"/g;
	$other->start;
	my @left = split ' ', $other->safe_psql('postgres',
		"SELECT string_agg(datname, ' ' ORDER BY datname) FROM pg_database WHERE $shadow_like");
	ok(@left >= 1, 'shadow server gone: a shadow is left');
	is(join(' ', grep { !$named{$_} } @left), '', 'shadow server gone: every shadow left is named');
	$other->safe_psql('postgres', "DROP DATABASE $_") foreach @left;
	$other->stop;
}

#
# --privileges: grants are compared only when asked
#
{
	my ($gdir, $gdb) = new_case('privileges');
	$node->safe_psql('postgres', 'CREATE ROLE reader');
	write_file("$gdir/schema.sql", "CREATE TABLE users (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    email text NOT NULL\n);\nGRANT SELECT ON users TO reader;\n");
	pgmig_ok($node, $gdir, [ '-d', $gdb, 'diff' ], qr/^\z/, 'grants are ignored without --privileges');
	($status, $out, $err) = pgmig($node, $gdir, [ '-d', $gdb, 'diff', '--privileges' ]);
	is($status, 1, '--privileges: the grant makes a difference');
	like($out, qr/GRANT SELECT ON (TABLE )?public\.users TO reader/, '--privileges: the grant');
}

#
# the example project: pg_dump of its head is its schema file; a change
# to it becomes a revision that "pgmig up" applies
#
{
	my $edir = new_project('shop');
	copy($_, "$edir/migrations/") or die "copy $_: $!" foreach glob("$srcdir/examples/shop/migrations/*.sql");
	$node->safe_psql('postgres', 'CREATE DATABASE shop');
	my @s = ('-d', 'shop');
	pgmig_ok($node, $edir, [ @s, 'init' ], undef, 'shop: init');
	pgmig_ok($node, $edir, [ @s, 'up' ], qr/^applied 20240122100000 /m, 'shop: up');
	command_ok([ 'pg_dump', '--schema-only', '-h', $node->host, '-p', $node->port, '-f', "$edir/schema.sql", 'shop' ],
		'shop: pg_dump --schema-only');
	pgmig_ok($node, $edir, [ @s, 'diff' ], qr/^\z/, 'shop: the dump of the head is the head');
	if (-f "$srcdir/examples/shop/schema.sql")
	{
		copy("$srcdir/examples/shop/schema.sql", "$edir/schema.sql") or die;
		pgmig_ok($node, $edir, [ @s, 'diff' ], qr/^\z/, 'shop: examples/shop/schema.sql is the head');
	}
	write_file("$edir/schema.sql", read_file_text("$edir/schema.sql")
		  . "\nALTER TABLE public.customers ADD COLUMN phone text;\nCREATE TABLE public.coupons (code text PRIMARY KEY, cents integer NOT NULL CHECK (cents > 0));\n");
	pgmig_ok($node, $edir, [ @s, 'new', '-m', 'coupons', '--autogenerate' ], qr/^created migrations\/\d{14}_coupons\.sql\n\z/,
		'shop: new --autogenerate', allow_stderr => 1);
	pgmig_ok($node, $edir, [ @s, 'up' ], qr/^applied \d{14} coupons /, 'shop: up');
	pgmig_ok($node, $edir, [ @s, 'diff' ], qr/^\z/, 'shop: no difference left');
	pgmig_ok($node, $edir, [ @s, 'diff', '--from-database' ], qr/^\z/, 'shop: nor from the database');
}

is(shadows(), '', 'no shadow database left at the end');
pgmig_done();
