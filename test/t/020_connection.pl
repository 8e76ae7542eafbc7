
# Connecting: -d (name, conninfo, URL), -h -p -U -w -W, PG* variables,
# DATABASE_URL; the version handshake with the extension; a role that may
# only read; the production guard with --confirm and PGMIG_CONFIRM.
use strict;
use warnings;

use JSON::PP;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('conn');
my ($host, $port) = ($node->host, $node->port);

# a role that must give a password (ahead of the trust lines)
my $hba = read_file_text($node->data_dir . '/pg_hba.conf');
open my $fh, '>', $node->data_dir . '/pg_hba.conf' or die;
print $fh "local all pwuser scram-sha-256\n$hba";
close $fh;
$node->safe_psql('postgres', q{
	SET password_encryption = 'scram-sha-256';
	CREATE ROLE pwuser LOGIN SUPERUSER PASSWORD 'sekrit';
	CREATE ROLE reader LOGIN;
});
$node->reload;

$node->safe_psql('postgres', 'CREATE DATABASE appdb');
$node->safe_psql('appdb', 'CREATE EXTENSION pgmig');
my $dir = new_project('conn');
write_migration($dir, '1_one.sql', migration('CREATE TABLE one (id int);', 'DROP TABLE one;'));

# which database a run used, from status --json
sub database_of
{
	my ($out) = @_;
	return eval { decode_json($out)->{database} } // '(none)';
}

# -d as a name, a conninfo string and a URL; PGDATABASE; DATABASE_URL
my $url = "postgresql:///appdb?host=$host&port=$port";
is(database_of(scalar pgmig_ok($node, $dir, [ 'status', '--json', '-d', 'appdb' ], undef, '-d NAME')),
	'appdb', '-d NAME');
is(database_of(scalar pgmig_ok($node, $dir, [ 'status', '--json', '--dbname', "dbname=appdb host=$host port=$port" ],
	undef, '--dbname CONNINFO')), 'appdb', '--dbname CONNINFO');
is(database_of(scalar pgmig_ok($node, $dir, [ 'status', '--json', '-d', $url ], undef, '-d URL', env => { PGHOST => '/nonexistent' })),
	'appdb', '-d URL');
is(database_of(scalar pgmig_ok($node, $dir, [ 'status', '--json' ], undef, 'DATABASE_URL',
	env => { PGDATABASE => undef, PGHOST => undef, PGPORT => undef, DATABASE_URL => $url })),
	'appdb', 'DATABASE_URL when neither -d nor PGDATABASE is given');
pgmig_fails($node, $dir, ['status'], qr/extension "pgmig" is not installed in database "postgres"/,
	'PGDATABASE wins over DATABASE_URL', env => { DATABASE_URL => $url });
is(database_of(scalar pgmig_ok($node, $dir, [ 'status', '--json', '-d', 'appdb' ], undef, '-d wins over DATABASE_URL',
	env => { PGDATABASE => undef, DATABASE_URL => 'postgresql:///nosuchdb' })), 'appdb', '-d wins over DATABASE_URL');

# -h and -p over the environment
is(database_of(scalar pgmig_ok($node, $dir, [ 'status', '--json', '-h', $host, '-p', $port, '-d', 'appdb' ], undef, '-h -p',
	env => { PGHOST => '/nonexistent', PGPORT => '1' })), 'appdb', '-h and -p');
is(database_of(scalar pgmig_ok($node, $dir, [ 'status', '--json', '--host', $host, '--port', $port, '--dbname', 'appdb' ],
	undef, '--host --port', env => { PGHOST => '/nonexistent', PGPORT => '1' })), 'appdb', '--host and --port');

# no server there
pgmig_fails($node, $dir, [ 'status', '-p', '1' ], qr/^pgmig: error: connection to server .* failed/,
	'no server on that port');
pgmig_fails($node, $dir, [ 'status', '-d', 'nosuchdb' ], qr/database "nosuchdb" does not exist/,
	'no such database');

# -U, -w, -W and passwords
my %nopass = (env => { PGPASSWORD => undef, PGPASSFILE => '/nonexistent' });
pgmig_fails($node, $dir, [ 'status', '-d', 'appdb', '-U', 'pwuser', '-w' ],
	qr/password authentication failed|no password supplied|fe_sendauth/, '-w never prompts', %nopass);
pgmig_ok($node, $dir, [ 'status', '-d', 'appdb', '-U', 'pwuser', '-w' ], qr/Pending: 1/, 'PGPASSWORD',
	env => { PGPASSWORD => 'sekrit' });
pgmig_ok($node, $dir, [ 'status', '-d', 'appdb', '--username', 'pwuser', '-W' ], qr/Pending: 1/,
	'-W prompts for the password', %nopass, stdin => "sekrit\n", setsid => 1, allow_stderr => 1);
pgmig_ok($node, $dir, [ 'status', '-d', 'appdb', '-U', 'pwuser' ], qr/Pending: 1/,
	'a password is asked for when the server wants one', %nopass, stdin => "sekrit\n", setsid => 1,
	allow_stderr => 1);
pgmig_fails($node, $dir, [ 'status', '-d', 'appdb', '-U', 'pwuser', '--password' ],
	qr/password authentication failed/, 'a wrong password', %nopass, stdin => "wrong\n", setsid => 1);

# a role that may only read: status works, up does not
my $ro = pgmig_ok($node, $dir, [ 'status', '-d', 'appdb', '-U', 'reader' ], qr/^\[ \] 1_one.sql  \(head\)$/m,
	'a reader can see the status');
pgmig_fails($node, $dir, [ 'up', '-d', 'appdb', '-U', 'reader' ], qr/permission denied for function mig_register/,
	'a reader cannot apply');
is($node->safe_psql('appdb', 'SELECT count(*) FROM pgmig.revisions'), '0', 'nothing registered by the reader');

# the version handshake
$node->safe_psql('postgres', 'CREATE DATABASE olddb');
$node->safe_psql('olddb', "CREATE EXTENSION pgmig; UPDATE pg_extension SET extversion = '0.0.1' WHERE extname = 'pgmig'");
my $version = (pgmig(undef, $dir, ['--version']))[1] =~ s/^pgmig \(pgmig\) (\S+)\n/$1/r;
pgmig_fails($node, $dir, [ 'up', '-d', 'olddb' ],
	qr/error: this pgmig client \(version \Q$version\E\) cannot work with extension pgmig version 0\.0\.1 in database "olddb"\n.*hint: Update the extension with "ALTER EXTENSION pgmig UPDATE TO '\Q$version\E';"/s,
	'an older extension');
is($node->safe_psql('olddb', 'SELECT count(*) FROM pgmig.revisions'), '0', 'nothing sent to an older extension');
$node->safe_psql('olddb', "UPDATE pg_extension SET extversion = '99.0.0' WHERE extname = 'pgmig'");
pgmig_fails($node, $dir, [ 'status', '-d', 'olddb' ],
	qr/cannot work with extension pgmig version 99\.0\.0.*\n.*hint: Install the pgmig client of version 99\.0\.0/s,
	'a newer extension');
pgmig_fails($node, $dir, [ 'init', '-d', 'olddb' ], qr/cannot work with extension pgmig version 99\.0\.0/,
	'init checks the version too');

# the library's version as well: installing pgmig replaces the library for
# every database at once, and it serves a catalog of its own version until
# the extension is updated.  There is one library here: a SQL function in
# place of pgmig.library_version() plays the other one.
$node->safe_psql('postgres', 'CREATE DATABASE libdb');
$node->safe_psql('libdb', 'CREATE EXTENSION pgmig');
is($node->safe_psql('libdb', 'SELECT pgmig.library_version()'), $version,
	'the library is of the client\'s version');
pgmig_ok($node, $dir, [ 'status', '-d', 'libdb' ], undef, 'catalog and library of the client\'s version');
sub fake_library
{
	my ($body) = @_;
	$node->safe_psql('libdb', "CREATE OR REPLACE FUNCTION pgmig.library_version() RETURNS text LANGUAGE plpgsql AS \$\$BEGIN $body END\$\$");
}
fake_library(q{RETURN '99.0.0';});
pgmig_fails($node, $dir, [ 'up', '-d', 'libdb' ],
	qr/error: this pgmig client \(version \Q$version\E\) cannot work with the pgmig library version 99\.0\.0 on the server of database "libdb"\n.*hint: The server has pgmig 99\.0\.0 installed: update the extension with "ALTER EXTENSION pgmig UPDATE TO '99\.0\.0';" and use the pgmig client of version 99\.0\.0\./s,
	'a newer library serving a catalog of the client\'s version');
is($node->safe_psql('libdb', 'SELECT count(*) FROM pgmig.revisions'), '0', 'nothing sent through a newer library');
fake_library(q{RETURN '0.0.1';});
pgmig_fails($node, $dir, [ 'status', '-d', 'libdb' ],
	qr/cannot work with the pgmig library version 0\.0\.1 on the server of database "libdb"\n.*hint: Install pgmig \Q$version\E on the server, the extension's version in this database;/s,
	'an older library');
pgmig_fails($node, $dir, [ 'init', '-d', 'libdb' ], qr/cannot work with the pgmig library version 0\.0\.1/,
	'init checks the library too');
# a library older than pgmig.library_version() has no such symbol
fake_library(q{RAISE 'could not find function "pgmig_library_version" in file "pgmig.so"' USING ERRCODE = 'undefined_function';});
pgmig_fails($node, $dir, [ 'status', '-d', 'libdb' ],
	qr/error: this pgmig client \(version \Q$version\E\) cannot work with the pgmig library on the server of database "libdb"\n.*detail: could not find function "pgmig_library_version" in file "pgmig\.so"\n.*hint: The library is older than the extension's version \Q$version\E: install pgmig \Q$version\E on the server\./s,
	'a library without pgmig.library_version()');

# the production guard
$node->safe_psql('postgres', 'CREATE DATABASE proddb');
$node->safe_psql('proddb', 'CREATE EXTENSION pgmig');
$node->safe_psql('postgres', "ALTER DATABASE proddb SET pgmig.environment = 'production'");
pgmig_fails($node, $dir, [ 'up', '-d', 'proddb' ],
	qr/error: apply refused in a production database\nDETAIL:  .*\nHINT:  Confirm with .*"pgmig --confirm", or PGMIG_CONFIRM=yes/s,
	'production: refused without confirmation');
is($node->safe_psql('proddb', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'production: nothing applied');
pgmig_ok($node, $dir, [ 'status', '-d', 'proddb' ], qr/^Environment: production$/m, 'status shows the environment');
pgmig_ok($node, $dir, [ 'up', '-d', 'proddb', '--confirm' ], qr/^applied 1 one/, 'production: --confirm');
pgmig_fails($node, $dir, [ 'down', 'base', '-d', 'proddb' ], qr/revert refused in a production database/,
	'production: down refused too');
pgmig_ok($node, $dir, [ 'down', 'base', '-d', 'proddb' ], qr/^reverted 1 one/, 'production: PGMIG_CONFIRM=yes',
	env => { PGMIG_CONFIRM => 'yes' });
pgmig_fails($node, $dir, [ 'stamp', 'head', '-d', 'proddb' ], qr/stamp refused in a production database/,
	'production: stamp refused', env => { PGMIG_CONFIRM => 'no' });

pgmig_done();
