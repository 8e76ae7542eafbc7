
# The everyday commands against a database: init, up, down, redo, status,
# current, heads, history, show, stamp, and the options --dry-run,
# --commit-each, --quiet and --json; registration sends only what changed;
# a failing revision in the middle of a batch leaves nothing applied.
use strict;
use warnings;

use JSON::PP;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('updown', conf => "log_statement = 'all'\n");
my $dir = PostgreSQL::Test::Utils::tempdir('project');

# before init: no extension, with the fix in the hint
mkdir "$dir/migrations";
pgmig_fails($node, $dir, ['status'],
	qr/extension "pgmig" is not installed in database "postgres"\n.*hint: Run "pgmig init", or "CREATE EXTENSION pgmig;"/s,
	'status before init');
rmdir "$dir/migrations";

# init creates the folder and the extension, and can run again
pgmig_ok($node, $dir, ['init'],
	qr/^created migrations folder migrations\ncreated extension pgmig in database "postgres"\ndatabase "postgres" has extension pgmig \d+\.\d+\.\d+\n\z/,
	'init');
ok(-d "$dir/migrations", 'init created migrations/');
pgmig_ok($node, $dir, ['init'], qr/^migrations folder migrations exists\ndatabase "postgres" has extension pgmig/,
	'init again');
is(sql_value($node, "SELECT count(*) FROM pg_extension WHERE extname = 'pgmig'"), '1', 'the extension exists');

# nothing to do yet
pgmig_ok($node, $dir, ['up'], qr/^nothing to apply\n\z/, 'up with no files');
pgmig_ok($node, $dir, ['status'], qr/^\nApplied: 0\nPending: 0\n\z/, 'status with no files');
pgmig_ok($node, $dir, ['current'], qr/^\z/, 'current of an empty database');

write_migration($dir, '001_create_customers.sql',
	migration("CREATE TABLE customers (id int PRIMARY KEY, email text);", "DROP TABLE customers;"));
write_migration($dir, '002_create_orders.sql',
	migration("CREATE TABLE orders (id int PRIMARY KEY,\n  customer_id int REFERENCES customers);",
		"DROP TABLE orders;"));
write_migration($dir, '003_add_name.sql',
	migration("ALTER TABLE customers ADD COLUMN name text;", "ALTER TABLE customers DROP COLUMN name;",
		label => 'crm'));

pgmig_ok($node, $dir, ['status'],
	qr/^\[ \] 001_create_customers.sql\n\[ \] 002_create_orders.sql\n\[ \] 003_add_name.sql  \(head\)\n\nApplied: 0\nPending: 3\nHead: 003\n\z/,
	'status: three pending');
is(sql_value($node, 'SELECT count(*) FROM pgmig.revisions'), '0', 'status registers nothing');

# --dry-run runs everything and rolls it back, catalog included
my $events_before = sql_value($node, 'SELECT count(*) FROM pgmig.events');
pgmig_ok($node, $dir, [ 'up', '--dry-run' ],
	qr/^applied 001 create customers \([\d.]+ ms, dry run\)\napplied 002 create orders \([\d.]+ ms, dry run\)\napplied 003 add name \([\d.]+ ms, dry run\)\ndry run: rolled back\n\z/,
	'up --dry-run');
is(sql_value($node, 'SELECT count(*) FROM pgmig.revisions'), '0', 'dry run: nothing registered');
is(sql_value($node, 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'dry run: nothing applied');
is(sql_value($node, "SELECT to_regclass('customers') IS NULL"), 't', 'dry run: no table');
is(sql_value($node, 'SELECT count(*) FROM pgmig.events'), $events_before, 'dry run: no event');

# up +1, then up to a prefix, then up
pgmig_ok($node, $dir, [ 'up', '+1' ], qr/^applied 001 create customers \([\d.]+ ms\)\n\z/, 'up +1');
pgmig_ok($node, $dir, ['current'], qr/^001 create customers\n\z/, 'current after up +1');
pgmig_fails($node, $dir, [ 'up', '00' ], qr/revision prefix "00" is ambiguous/, 'up to an ambiguous prefix');
pgmig_ok($node, $dir, [ 'up', '2' ], qr/^applied 002 create orders \([\d.]+ ms\)\n\z/, 'up to version 2');
pgmig_ok($node, $dir, [ 'up', '--quiet' ], qr/^\z/, 'up --quiet prints nothing');
is(sql_value($node, 'SELECT string_agg(id, \',\' ORDER BY id) FROM pgmig.schema_migrations'),
	'001,002,003', 'all three applied');
is(sql_value($node, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'name'"),
	'1', 'the third script ran');

pgmig_ok($node, $dir, ['status'],
	qr/^\[X\] 001_create_customers.sql\n\[X\] 002_create_orders.sql\n\[X\] 003_add_name.sql  \(head\)\n\nApplied: 3\nPending: 0\nHead: 003\n\z/,
	'status: all applied');
pgmig_ok($node, $dir, ['current'], qr/^003 add name \(head\)\n\z/, 'current');
pgmig_ok($node, $dir, ['heads'], qr/^003 add name \(applied\)\n\z/, 'heads');
pgmig_ok($node, $dir, ['history'],
	qr/^002 -> 003 \(head\) \(current\), add name\n001 -> 002, create orders\n<base> -> 001, create customers\n\z/,
	'history');
my $hv = pgmig_ok($node, $dir, [ 'history', '-v' ], qr/^Rev: 003 \(head\) \(current\)\nParent: 002\nLabels: crm\nPath: migrations\/003_add_name.sql\nState: applied \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z by \S+ in [\d.]+ ms\nLog:\n    \d{4}-\d\d-\d\dT[\d:.]+Z  apply by \S+ in [\d.]+ ms\n/,
	'history -v');
like($hv, qr/^Rev: 001\nParent: <base>\n/m, 'history -v: the root');
my $show = pgmig_ok($node, $dir, [ 'show', '002' ],
	qr/^Revision: 002\nDescription: create orders\nFile: migrations\/002_create_orders.sql\nParents: 001\nChildren: 003\nTransaction: yes\nReversible: yes\nState: applied /,
	'show');
like($show, qr/^Checksum: ([0-9a-f]{64})\nChecksum as applied: \1\n/m, 'show: checksums agree');
pgmig_ok($node, $dir, [ 'show', 'current' ], qr/^Revision: 003 \(head\) \(current\)\n/, 'show current');
pgmig_ok($node, $dir, [ 'show', 'crm@head' ], qr/^Revision: 003 /, 'show label@head');
like($show, qr/-- migrate:up \(line 2\)\nCREATE TABLE orders \(id int PRIMARY KEY,\n  customer_id int REFERENCES customers\);\n/,
	'show: the up script');

# --json
my $json = decode_json(pgmig_ok($node, $dir, [ 'status', '--json' ], undef, 'status --json'));
is($json->{database}, 'postgres', 'status --json: database');
is($json->{applied}, 3, 'status --json: applied');
is($json->{pending}, 0, 'status --json: pending');
is_deeply($json->{heads}, ['003'], 'status --json: heads');
is_deeply($json->{current}, ['003'], 'status --json: current');
is_deeply([ map { $_->{revision} } @{ $json->{revisions} } ], [ '001', '002', '003' ], 'status --json: revisions');
is($json->{revisions}[1]{file}, 'migrations/002_create_orders.sql', 'status --json: file');
ok($json->{revisions}[2]{head} && $json->{revisions}[2]{applied}, 'status --json: flags');
$json = decode_json(pgmig_ok($node, $dir, [ 'history', '--json', '-v' ], undef, 'history --json -v'));
is_deeply([ map { $_->{revision} } @$json ], [ '003', '002', '001' ], 'history --json: newest first');
is_deeply($json->[1]{parents}, ['001'], 'history --json: parents');
is_deeply($json->[1]{children}, ['003'], 'history --json: children');
is_deeply($json->[0]{labels}, ['crm'], 'history --json: labels');
is($json->[0]{events}[0]{action}, 'apply', 'history --json -v: events');
like($json->[0]{events}[0]{at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z\z/, 'history --json -v: ISO 8601 times');
like($json->[0]{applied_at}, qr/^\d{4}-\d\d-\d\dT[\d:.]+Z\z/, 'history --json: applied_at in ISO 8601');
ok($json->[0]{events}[0]{success}, 'history --json -v: success');

# a no-op "up" reads the catalog once and sends nothing
my $offset = -s $node->logfile;
pgmig_ok($node, $dir, ['up'], qr/^nothing to apply\n\z/, 'up when up to date');
my $log = slurp_file($node->logfile, $offset);
unlike($log, qr/mig_register|mig_unregister/, 'no-op up: nothing registered');
my @catalog_reads = $log =~ /FROM pgmig\.revisions r/g;
is(scalar @catalog_reads, 1, 'no-op up: one read of the catalog');

# down -1, down to a target, redo
pgmig_ok($node, $dir, [ 'down', '-1' ], qr/^reverted 003 add name \([\d.]+ ms\)\n\z/, 'down -1');
# "current" as a target keeps what is applied; +N and -N name one revision for show
my $applied = "SELECT string_agg(id, ',' ORDER BY id) FROM pgmig.schema_migrations";
pgmig_ok($node, $dir, [ 'up', 'current' ], undef, 'up current');
is(sql_value($node, $applied), '001,002', 'up current applies nothing: 003 stays pending');
pgmig_ok($node, $dir, [ 'down', 'current' ], undef, 'down current');
is(sql_value($node, $applied), '001,002', 'down current reverts nothing');
pgmig_ok($node, $dir, [ 'stamp', 'current' ], undef, 'stamp current');
is(sql_value($node, $applied), '001,002', 'stamp current changes nothing');
pgmig_ok($node, $dir, [ 'show', 'current' ], qr/^Revision: 002 \(current\)\n/, 'show current after down -1');
pgmig_ok($node, $dir, [ 'show', '-1' ], qr/^Revision: 002 /, 'show -1: what "down -1" reverts');
pgmig_ok($node, $dir, [ 'show', '-2' ], qr/^Revision: 001\n/, 'show -2: the last "down -2" reverts');
pgmig_ok($node, $dir, [ 'show', '+1' ], qr/^Revision: 003 /, 'show +1: what "up +1" applies');
pgmig_ok($node, $dir, [ 'down', 'base', '--commit-each' ],
	qr/^reverted 002 create orders \([\d.]+ ms\)\nreverted 001 create customers \([\d.]+ ms\)\n\z/, 'down base --commit-each');
is(sql_value($node, 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'nothing applied after down base');
is(sql_value($node, "SELECT to_regclass('customers') IS NULL"), 't', 'the tables are gone');
pgmig_ok($node, $dir, [ 'up', 'crm@head' ], qr/^applied 001 .*\napplied 002 .*\napplied 003 .*\n\z/, 'up crm@head');
pgmig_ok($node, $dir, ['redo'], qr/^reverted 003 add name \([\d.]+ ms\)\napplied 003 add name \([\d.]+ ms\)\n\z/, 'redo');
pgmig_ok($node, $dir, [ 'redo', '001' ],
	qr/^reverted 003 add name .*\nreverted 002 create orders .*\napplied 002 create orders .*\napplied 003 add name .*\n\z/,
	'redo 001');
pgmig_ok($node, $dir, [ 'redo', '--dry-run' ], qr/^reverted 003 .*dry run\)\napplied 003 .*dry run\)\ndry run: rolled back\n\z/,
	'redo --dry-run');
is(sql_value($node, "SELECT string_agg(action || ' ' || revision, ',' ORDER BY event_id) FROM pgmig.events WHERE revision = '003'"),
	'apply 003,revert 003,apply 003,revert 003,apply 003,revert 003,apply 003',
	'the audit log has every apply and revert of 003, and nothing of the dry run');

# a broken down script: redo fails and changes nothing
write_migration($dir, '004_add_phone.sql',
	migration("ALTER TABLE customers ADD COLUMN phone text;", "ALTER TABLE customers DROP COLUMN no_such_column;"));
pgmig_ok($node, $dir, [ 'up', '-v' ], qr/^new 004\napplied 004 add phone \([\d.]+ ms\)\n\z/, 'up -v lists the file registered');
my $err = pgmig_fails($node, $dir, ['redo'],
	qr/error: column "no_such_column" of relation "customers" does not exist\nCONTEXT:  .*down script of revision 004, file "004_add_phone.sql" line 4\n/s,
	'redo with a broken down script');
like($err, qr/nothing was reverted: the check before the redo failed/, 'redo: says nothing was reverted');
is(sql_value($node, "SELECT count(*) FROM pgmig.schema_migrations WHERE id = '004'"), '1', '004 is still applied');
is(sql_value($node, "SELECT action || ' ' || success FROM pgmig.events WHERE revision = '004' ORDER BY event_id DESC LIMIT 1"),
	'apply true', 'the check before the redo ran nothing for good: the last event is the apply');
write_migration($dir, '004_add_phone.sql',
	migration("ALTER TABLE customers ADD COLUMN phone text;", "ALTER TABLE customers DROP COLUMN phone;"));
pgmig_ok($node, $dir, ['redo'], qr/^reverted 004 .*\napplied 004 /, 'redo after fixing the down script');

# an unapplied file that changes is registered again; one that goes away is forgotten
write_migration($dir, '005_add_city.sql', migration("ALTER TABLE customers ADD COLUMN town text;", ""));
pgmig_ok($node, $dir, [ 'up', '--dry-run' ], qr/applied 005/, 'up --dry-run with a new file');
is(sql_value($node, "SELECT count(*) FROM pgmig.revisions WHERE id = '005'"), '0', 'a dry run registers nothing');
write_migration($dir, '006_gone.sql', migration("SELECT 1;"));
$offset = -s $node->logfile;
pgmig_ok($node, $dir, [ 'stamp', '004' ], qr/^nothing to stamp\n\z/, 'stamp at the current revision');
is(sql_value($node, "SELECT string_agg(id, ',' ORDER BY id) FROM pgmig.revisions WHERE id > '004'"), '005,006',
	'005 and 006 are registered');
write_migration($dir, '005_add_city.sql', migration("ALTER TABLE customers ADD COLUMN city text;", ""));
unlink "$dir/migrations/006_gone.sql";
pgmig_ok($node, $dir, [ 'up', '--verbose' ],
	qr/^updated 005\nforgot 1 registered revision whose file is gone\napplied 005 add city \([\d.]+ ms\)\n\z/,
	'up --verbose: a changed file, a file gone');
is(sql_value($node, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'city'"),
	'1', 'the changed script ran');
is(sql_value($node, "SELECT count(*) FROM pgmig.revisions WHERE id = '006'"), '0', '006 was forgotten');
$log = slurp_file($node->logfile, $offset);
my @registers = $log =~ /mig_register\(/g;
is(scalar @registers, 2, 'stamp and up each sent their changes in one call');

# stamp: record without running, and back to base
pgmig_ok($node, $dir, [ 'stamp', '003' ], qr/^unstamped 005\nunstamped 004\n\z/, 'stamp 003 unstamps 004 and 005');
is(sql_value($node, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'city'"),
	'1', 'stamp ran no script');
pgmig_ok($node, $dir, ['status'], qr/^\[X\] 003_add_name.sql\n\[ \] 004_add_phone.sql\n\[ \] 005_add_city.sql  \(head\)\n/m,
	'status after stamp');
pgmig_ok($node, $dir, [ 'stamp', 'head' ], qr/^stamped 004\nstamped 005\n\z/, 'stamp head');
pgmig_ok($node, $dir, ['status'], qr/^\[X\] 005_add_city.sql  \(stamped, head\)$/m, 'status shows a stamped revision');

# a failing revision in the middle of a batch: nothing applied, file and line named
# (in a database of its own: its versions clash with the project above)
$node->safe_psql('postgres', 'CREATE DATABASE faildb');
$node->safe_psql('faildb', 'CREATE EXTENSION pgmig');
sub fail_value { return $node->safe_psql('faildb', $_[0]); }
$ENV{PGDATABASE} = 'faildb';
my $fail = new_project('fail');
write_migration($fail, '1_one.sql', migration("CREATE TABLE one (id int);"));
write_migration($fail, '2_two.sql', migration("CREATE TABLE two (id int);\n\nINSERT INTO two\n  SELECT * FROM no_such_table;"));
write_migration($fail, '3_three.sql', migration("CREATE TABLE three (id int);"));
$err = pgmig_fails($node, $fail, ['up'],
	qr/^pgmig: error: relation "no_such_table" does not exist\nLINE 2:   SELECT \* FROM no_such_table;\n.*CONTEXT:  up script of revision 2, file "2_two.sql" line 5\n/s,
	'a failing revision in the middle');
like($err, qr/nothing was applied: the transaction was rolled back/, 'says nothing was applied');
is(fail_value("SELECT count(*) FROM pgmig.schema_migrations WHERE id IN ('1', '2', '3')"), '0', 'nothing applied');
is(fail_value("SELECT to_regclass('one') IS NULL"), 't', 'the first revision was rolled back');
is(fail_value("SELECT format('%s %s %s %s', action, revision, success, sqlstate) FROM pgmig.events ORDER BY event_id DESC LIMIT 1"),
	'apply 2 f 42P01', 'the failure is in the audit log, with its revision');

# the same with --commit-each: the first stays
pgmig_fails($node, $fail, [ 'up', '--commit-each' ], qr/relation "no_such_table" does not exist/, 'up --commit-each');
is(fail_value("SELECT string_agg(id, ',') FROM pgmig.schema_migrations WHERE id IN ('1', '2', '3')"), '1',
	'--commit-each kept the first revision');

# a file edited after it was applied is refused, and shown
write_migration($fail, '1_one.sql', migration("CREATE TABLE one (id bigint);"));
$err = pgmig_fails($node, $fail, ['up'],
	qr/error: revision 1 was changed after it was applied\nDETAIL:  The up script in file "1_one.sql" has checksum [0-9a-f]+; it was applied with checksum [0-9a-f]+\.\nHINT:  Put the file back/,
	'a file changed after it was applied');
pgmig_ok($node, $fail, ['status'], qr/^\[X\] 1_one.sql  \(changed since it was applied\)$/m, 'status shows the change');
pgmig_fails($node, $fail, ['check'], qr/file "migrations\/1_one.sql" of revision 1 has changed since it was applied\n.*hint: Restore the file/s,
	'check finds the change');

# up --force accepts it: the new checksum is recorded as an override in the
# audit log, nothing runs again; on production only when confirmed
like($err, qr/run "pgmig up --force"/, 'the hint names up --force');
my $sum_before = fail_value("SELECT checksum FROM pgmig.schema_migrations WHERE id = '1'");
$node->safe_psql('faildb', "ALTER DATABASE faildb SET pgmig.environment = 'production'");
pgmig_fails($node, $fail, [ 'up', '1', '--force' ],
	qr/override of an applied revision refused in a production database/, 'up --force on production without confirmation');
is(fail_value("SELECT checksum FROM pgmig.schema_migrations WHERE id = '1'"), $sum_before,
	'up --force refused: the applied checksum stays');
pgmig_ok($node, $fail, [ 'up', '1', '--force', '--confirm' ],
	qr/^override 1: its file changed after it was applied; the new checksum is recorded, nothing runs$/m,
	'up --force --confirm says what it accepted');
$node->safe_psql('faildb', 'ALTER DATABASE faildb RESET pgmig.environment');
isnt(fail_value("SELECT checksum FROM pgmig.schema_migrations WHERE id = '1'"), $sum_before,
	'up --force: the new checksum is the applied one');
like(fail_value("SELECT action || ': ' || message FROM pgmig.events WHERE revision = '1' ORDER BY event_id DESC LIMIT 1"),
	qr/^override: up script of file "1_one.sql" accepted with checksum/, 'up --force: an override in the audit log');
is(fail_value("SELECT count(*) FROM pgmig.events WHERE revision = '1' AND action = 'apply'"), '1',
	'up --force: the revision did not run again');
pgmig_ok($node, $fail, ['status'], qr/^\[X\] 1_one.sql$/m, 'up --force: status shows no change any more');
write_migration($fail, '1_one.sql', migration("CREATE TABLE one (id int);"));
pgmig_ok($node, $fail, [ 'up', '1', '--force' ], qr/^override 1: /m, 'up --force: and back');

# an applied revision whose file is gone
write_migration($fail, '1_one.sql', migration("CREATE TABLE one (id int);"));
write_migration($fail, '2_two.sql', migration("CREATE TABLE two (id int);"));
pgmig_ok($node, $fail, ['up'], qr/^applied 2 two .*\napplied 3 three /, 'up after fixing 2');
unlink "$fail/migrations/1_one.sql";
pgmig_ok($node, $fail, ['status'], qr/^\[X\] 1 one  \(file missing\)\n\[X\] 2_two.sql\n/, 'status: file missing');
pgmig_fails($node, $fail, ['check'], qr/applied revision 1 \(1_one.sql\) has no file in migrations\n.*hint: Restore the file/s,
	'check: file missing');
pgmig_ok($node, $fail, ['heads'], qr/^3 three \(applied\)\n\z/, 'the graph still has it');

# what the server refuses in a script, it names with file and line
write_migration($fail, '4_tx.sql', migration("CREATE TABLE four (id int);\nBEGIN;\nSELECT 1;\nCOMMIT;"));
pgmig_fails($node, $fail, ['up'],
	qr/error: transaction control statements are not allowed in migration scripts\n.*CONTEXT:  up script of revision 4, file "4_tx.sql" line 3\n/s,
	'BEGIN in a script');
write_migration($fail, '4_tx.sql', migration("\\i other.sql"));
pgmig_fails($node, $fail, ['up'],
	qr/error: psql meta-commands are not supported in migration scripts\n.*CONTEXT:  up script of revision 4, file "4_tx.sql" line 2\n/s,
	'a psql meta-command in a script');
write_migration($fail, '4_tx.sql', migration("CREATE INDEX CONCURRENTLY three_id ON three (id);"));
pgmig_fails($node, $fail, ['up'],
	qr/error: CREATE INDEX CONCURRENTLY cannot run inside a transaction block\nHINT:  Mark it as a no-transaction revision with "-- migrate:up transaction:false" \(in node-pg-migrate's and sqlx's files, a first line "-- no-transaction"\), and apply it with the pgmig client\.\nCONTEXT:  up script of revision 4, file "4_tx\.sql" line 2\n/,
	'a statement that needs transaction:false');
is(fail_value("SELECT count(*) FROM pgmig.schema_migrations WHERE id = '4'"), '0', 'none of them was applied');

pgmig_done();
