
# Branches: two revisions with the same parent make two heads; "up" refuses
# to guess, labels and "heads" pick, "merge" joins them; a revision merged
# late is out of order.
use strict;
use warnings;

use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('branches');
my $dir = new_project('branches');
pgmig_ok($node, $dir, ['init'], qr/created extension pgmig/, 'init');

write_migration($dir, '10_base.sql', migration('CREATE TABLE base (id int);', 'DROP TABLE base;'));
write_migration($dir, '20_billing.sql',
	migration('CREATE TABLE invoices (id int);', 'DROP TABLE invoices;', revises => '10', label => 'billing'));
write_migration($dir, '30_shipping.sql',
	migration('CREATE TABLE parcels (id int);', 'DROP TABLE parcels;', revises => '10', label => 'shipping'));

# two heads: up refuses and says which
pgmig_fails($node, $dir, ['up'],
	qr/error: there are 2 heads\nDETAIL:  The heads are 20, 30\.\nHINT:  Name one of them, use "heads" to include all of them, or join them with "pgmig merge"\./,
	'up with two heads');
is(sql_value($node, 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'nothing applied');
pgmig_ok($node, $dir, ['heads'], qr/^20 billing \(pending\)\n30 shipping \(pending\)\n\z/, 'heads');
pgmig_ok($node, $dir, ['status'], qr/^Heads: 20, 30\nwarning: 2 heads; "pgmig up" needs one: merge them with "pgmig merge", or run "pgmig up heads"$/m,
	'status warns');
pgmig_fails($node, $dir, ['check'], qr/error: 2 heads: 20, 30\n/, 'check fails');

# labels pick a branch
pgmig_ok($node, $dir, [ 'up', 'billing@head' ], qr/^applied 10 base .*\napplied 20 billing .*\n\z/, 'up billing@head');
pgmig_ok($node, $dir, [ 'up', 'shipping@head' ], qr/^applied 30 shipping .*\n\z/, 'up shipping@head');
pgmig_fails($node, $dir, [ 'up', 'nolabel@head' ], qr/label "nolabel" does not exist/, 'an unknown label');
pgmig_ok($node, $dir, ['current'], qr/^20 billing \(head\)\n30 shipping \(head\)\n\z/, 'current: both branches');
pgmig_ok($node, $dir, ['history'],
	qr/\A10 -> 30 \(head\) \(current\), shipping\n10 -> 20 \(head\) \(current\), billing\n<base> -> 10 \(branchpoint\), base\n\z/,
	'history with a branch point');

# merge joins them
pgmig_ok($node, $dir, [ 'merge', '-m', 'join billing and shipping' ],
	qr{^created migrations/31_join_billing_and_shipping\.sql$}, 'merge');
like(read_file_text("$dir/migrations/31_join_billing_and_shipping.sql"), qr/^-- pgmig:revises 20 30$/m, 'the merge revises both heads');
pgmig_ok($node, $dir, ['heads'], qr/^31 join billing and shipping \(pending\)\n\z/, 'one head');
pgmig_ok($node, $dir, ['up'], qr/^applied 31 join billing and shipping .*\n\z/, 'up applies the merge');
pgmig_ok($node, $dir, ['check'], qr/^ok: 4 revisions, 4 applied, 0 pending, head 31$/, 'check after the merge');
pgmig_ok($node, $dir, [ 'new', '-m', 'after the merge' ], qr{^created migrations/32_after_the_merge\.sql$}, 'new');
like(read_file_text("$dir/migrations/32_after_the_merge.sql"), qr/^-- pgmig:revises 31$/m, 'new revises the merge');
pgmig_ok($node, $dir, ['up'], qr/^applied 32 after the merge/, 'up');
pgmig_ok($node, $dir, [ 'history', '-v' ], qr/^Rev: 31 \(mergepoint\)\nParents: \(20, 30\)\n/m, 'history -v: the merge point');

# down to one branch reverts the other one and what came after
pgmig_ok($node, $dir, [ 'down', '20' ], qr/^reverted 32 .*\nreverted 31 .*\nreverted 30 shipping .*\n\z/,
	'down to a branch');
pgmig_ok($node, $dir, ['current'], qr/^20 billing\n\z/, 'current after down');
pgmig_ok($node, $dir, [ 'up', 'heads' ], qr/^applied 30 shipping .*\napplied 31 .*\napplied 32 .*\n\z/, 'up heads');

# merge -r with revisions named, and a branch made from an old revision
write_migration($dir, '40_audit.sql', migration('SELECT 1;', 'SELECT 1;', revises => '32'));
write_migration($dir, '41_reports.sql', migration('SELECT 1;', 'SELECT 1;', revises => '32'));
write_migration($dir, '42_exports.sql', migration('SELECT 1;', 'SELECT 1;', revises => '32'));
pgmig_ok($node, $dir, [ 'merge', '-m', 'two of three', '-r', '40', '-r', '41' ],
	qr{^created migrations/43_two_of_three\.sql$}, 'merge -r');
like(read_file_text("$dir/migrations/43_two_of_three.sql"), qr/^-- pgmig:revises 40 41$/m, 'merge -r: the parents');
pgmig_ok($node, $dir, ['heads'], qr/^42 exports \(pending\)\n43 two of three \(pending\)\n\z/, 'two heads left');
pgmig_fails($node, $dir, [ 'merge', '-m', 'x', '-r', '99' ], qr/revision "99" does not exist/, 'merge -r unknown');
unlink glob("$dir/migrations/4*.sql");

# a revision merged late is out of order
write_migration($dir, '15_late.sql', migration('CREATE TABLE late (id int);', 'DROP TABLE late;', revises => '10'));
pgmig_ok($node, $dir, ['status'], qr/^\[ \] 15_late.sql  \(head, out of order\)$/m, 'status: out of order');
pgmig_ok($node, $dir, ['status'], qr/^warning: 1 revision out of order \(older than an applied one\)$/m,
	'status warns about it');
my $err = pgmig_fails($node, $dir, ['check'], qr/error: 2 heads: 15, 32/, 'check: two heads again');
like($err, qr/warning: revision 15 is out of order: it is older than an applied revision/, 'check: out of order');
pgmig_ok($node, $dir, [ 'up', '15' ], qr/^applied 15 late .*\n\z/, 'up an out-of-order revision');

pgmig_done();
