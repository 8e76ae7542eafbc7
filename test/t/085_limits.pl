
# What a run reports at its limits: a deferred constraint that a revision
# violates fails that revision, with its file, and nothing is reported
# applied that was rolled back; a run that takes more locks than the lock
# table holds says what pgmig can do about it (--commit-each).
use strict;
use warnings;

use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

# a small lock table: max_locks_per_transaction times the backends
my $node = new_node('limits', conf => "max_locks_per_transaction = 10\nmax_connections = 10\nmax_worker_processes = 2\nautovacuum_max_workers = 1");

# ---------------------------------------------------------------------------
# A deferred foreign key violated by revision 2 of 3
my $dir = new_project('deferred');
pgmig_ok($node, $dir, ['init'], qr/created extension/, 'init');
write_migration($dir, '1_tables.sql',
	migration("CREATE TABLE parent (id int PRIMARY KEY);\nCREATE TABLE child (pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED);",
		"DROP TABLE child;\nDROP TABLE parent;"));
write_migration($dir, '2_orphan.sql', migration("INSERT INTO child VALUES (1);\nSELECT 1;", 'DELETE FROM child;'));
write_migration($dir, '3_parent.sql', migration('INSERT INTO parent VALUES (1);', 'DELETE FROM parent;'));
my ($err, $out) = pgmig_fails($node, $dir, ['up'],
	qr/^pgmig: error: insert or update on table "child" violates foreign key constraint "child_pid_fkey"\nDETAIL:  Key \(pid\)=\(1\) is not present in table "parent"\.\nCONTEXT:  deferred constraints checked at the end of the up script of revision 2, file "2_orphan\.sql"\n/,
	'deferred: the violation names the revision that caused it');
is($out, '', 'deferred: no revision is said to be applied');
like($err, qr/nothing was applied: the transaction was rolled back/, 'deferred: it says nothing was applied');
is(sql_value($node, 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'deferred: nothing applied');
is(sql_value($node, "SELECT revision || ' ' || sqlstate FROM pgmig.events WHERE NOT success"), '2 23503',
	'deferred: the audit log blames revision 2');
($err, $out) = pgmig_fails($node, $dir, [ 'up', '--commit-each' ],
	qr/CONTEXT:  deferred constraints checked at the end of the up script of revision 2, file "2_orphan\.sql"/,
	'deferred, --commit-each: revision 2 fails');
like($out, qr/^applied 1 tables \([\d.]+ \S+\)\n\z/, 'deferred, --commit-each: revision 1 is reported, as it stays applied');
is(sql_value($node, 'SELECT string_agg(id, \',\') FROM pgmig.schema_migrations'), '1', 'deferred, --commit-each: 1 applied');

# ---------------------------------------------------------------------------
# More locks than the lock table holds: 40 revisions of 25 tables each
$dir = new_project('locks');
$node->safe_psql('postgres', 'CREATE DATABASE locks');
$node->safe_psql('locks', 'CREATE EXTENSION pgmig');
local $ENV{PGDATABASE} = 'locks';
foreach my $r (1 .. 40)
{
	my @up = map { "CREATE TABLE t_${r}_$_ (id int PRIMARY KEY);" } 1 .. 25;
	my @down = map { "DROP TABLE t_${r}_$_;" } 1 .. 25;
	write_migration($dir, sprintf('%02d_tables.sql', $r), migration(join("\n", @up), join("\n", @down)));
}
pgmig_fails($node, $dir, ['up'],
	qr/error: out of shared memory\n.*HINT:  Apply fewer revisions per transaction: "pgmig up --commit-each" \(or CALL mig_apply_each\(\)\) applies each one in a transaction of its own\. Or raise max_locks_per_transaction\./s,
	'locks: up in one transaction says what pgmig can do');
is($node->safe_psql('locks', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'locks: nothing applied');
pgmig_ok($node, $dir, [ 'up', '--commit-each', '-q' ], undef, 'locks: up --commit-each applies them');
is($node->safe_psql('locks', 'SELECT count(*) FROM pgmig.schema_migrations'), '40', 'locks: all 40 applied');
pgmig_fails($node, $dir, [ 'down', 'base' ],
	qr/error: out of shared memory\n.*HINT:  Revert fewer revisions per transaction: "pgmig down --commit-each" reverts each one in a transaction of its own\. Or raise max_locks_per_transaction\./s,
	'locks: down base in one transaction says what pgmig can do');
is($node->safe_psql('locks', 'SELECT count(*) FROM pgmig.schema_migrations'), '40', 'locks: nothing reverted');
pgmig_ok($node, $dir, [ 'down', 'base', '--commit-each', '-q' ], undef, 'locks: down base --commit-each reverts them');
is($node->safe_psql('locks', "SELECT count(*) FROM pg_class WHERE relname LIKE 't\\_%'"), '0', 'locks: every table is gone');

pgmig_done();
