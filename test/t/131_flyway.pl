
# Flyway's SQL layout, read as it is (issue 12): versioned files
# V<version>__<description>.sql in Flyway's version order, their undo files
# U<version>__<description>.sql, executeInTransaction=false in a script's
# .conf, malformed names and files refused by name, and "pgmig import" from
# flyway_schema_history (created here as Flyway's documentation defines it:
# Flyway needs Java, which the test machine has not), its checksums
# computed independently with zlib's CRC-32.
use strict;
use warnings;

use Compress::Zlib qw(crc32);
use File::Path qw(make_path);
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('flyway');
my %offline = (env => { PGHOST => '/nonexistent', PGPORT => '1', DATABASE_URL => undef });

# Flyway's checksum of a file's text, computed here the way its
# ChecksumCalculator reads it: the lines without their endings (\r\n, \r or
# \n), a byte order mark dropped, one CRC-32 over them, as a signed int
sub flyway_checksum
{
	my ($text) = @_;
	$text =~ s/^\xEF\xBB\xBF//;
	my $crc = crc32(join('', split(/\r\n|\r|\n/, $text)));
	return $crc >= 2**31 ? $crc - 2**32 : $crc;
}

# The versions in Flyway's order, as written, and their files.  A
# numeric order of the digits alone (1.9 as 19) would put 2 before 1.9
# and 1.10; Flyway compares part by part.
my @order = ('1', '1.1', '1_2', '01.3', '1.9', '1.10', '2', '2.0.1');
my %files = (
	'V1__init.sql' => "CREATE TABLE f1 (id int);\r\n\r\nCREATE TABLE f1b (id int);\r\n",
	'U1__init.sql' => "DROP TABLE f1b;\nDROP TABLE f1;\n",
	'V1.1__more_tables.sql' => "CREATE TABLE f11 (id int);\n",
	'U1.1__more_tables.sql' => "DROP TABLE f11;\nDROP TABLE no_such_table;\n",
	'V1_2__underscore.sql' => "CREATE TABLE f12 (id int);\n",
	'U1_2__underscore.sql' => "DROP TABLE f12;\n",
	'V01.3__zeros.sql' => "CREATE TABLE f13 (id int);",
	'U01.3__zeros.sql' => "DROP TABLE f13;\n",
	'V1.9__nine.sql' => "CREATE TABLE f19 (id int);\n",
	'U1.9__nine.sql' => "DROP TABLE f19;\n",
	'V1.10__ten.sql' => "CREATE TABLE f110 (id int);\n",
	'U1.10__ten.sql' => "DROP TABLE f110;\n",
	'V2__two.sql' => "CREATE TABLE f2 (id int);\n",
	'U2__two.sql' => "DROP TABLE f2;\n",
	'V2.0.1__index.sql' => "CREATE INDEX CONCURRENTLY f2_id ON f2 (id);\n",
	'V2.0.1__index.sql.conf' => "# Flyway's per-script configuration\nexecuteInTransaction=false\n",
	'U2.0.1__index.sql' => "DROP INDEX f2_id;\n");
my $fw = new_project('flyway');
write_file("$fw/migrations/$_", $files{$_}) foreach keys %files;

pgmig_ok(undef, $fw, [ 'check', '--offline' ], qr/^ok: 8 revisions, head 2\.0\.1; format: flyway$/,
	'check: the layout is named', %offline);

$node->safe_psql('postgres', 'CREATE DATABASE fwdb');
$node->safe_psql('fwdb', 'CREATE EXTENSION pgmig');
my $applied = join('', map { "applied \Q$_\E [^\\n]*\\n" } @order);
pgmig_ok($node, $fw, [ 'up', '-d', 'fwdb' ], qr/^$applied/, 'up: every version, in Flyway\'s order');
is($node->safe_psql('fwdb', 'SELECT string_agg(id, \' \' ORDER BY length(sortkey), sortkey COLLATE "C") FROM pgmig.revisions'),
	join(' ', @order), 'catalog: the sort keys order as Flyway orders versions');
is($node->safe_psql('fwdb', 'SELECT string_agg(id, \' \' ORDER BY id COLLATE "C") FROM pgmig.schema_migrations'),
	join(' ', sort @order), 'catalog: every version applied');
is($node->safe_psql('fwdb', "SELECT description, source_file FROM pgmig.revisions WHERE id = '1.1'"),
	'more tables|V1.1__more_tables.sql', 'catalog: the description has spaces for underscores');
is($node->safe_psql('fwdb', "SELECT string_agg(id, ' ') FROM pgmig.revisions WHERE NOT transactional"),
	'2.0.1', 'catalog: executeInTransaction=false makes the one no-transaction revision');
is($node->safe_psql('fwdb', "SELECT indisvalid FROM pg_index WHERE indexrelid = 'f2_id'::regclass"), 't',
	'the concurrent index was built outside a transaction');

# status names the layout, and its JSON matches its schema
my ($st, $json, $sql);
($st, $json) = pgmig($node, $fw, [ 'status', '--json', '-d', 'fwdb' ]);
like($json, qr/"format":\s*"flyway"/, 'status --json: format flyway');
is(validate_json($json, 'status.json'), "valid\n", 'status --json: matches json-schema/status.json');

# up --sql: the script registers the undo files and the .conf files too
$node->safe_psql('postgres', 'CREATE DATABASE fwsql');
my $sst;
($sst, $sql) = pgmig(undef, $fw, [ 'up', '--sql' ], %offline);
is($sst, 0, 'up --sql: exit 0');
my $script = write_file("$fw/up.sql", $sql);
my ($pout, $perr) = ('', '');
IPC::Run::run([ 'psql', '-X', '-h', $node->host, '-p', $node->port, '-d', 'fwsql', '-v', 'ON_ERROR_STOP=1',
	'-f', $script ], '<', \'', '>', \$pout, '2>', \$perr);
is($? >> 8, 0, 'up --sql: the script runs') or diag($perr);
is($node->safe_psql('fwsql', "SELECT count(*) FILTER (WHERE down_script IS NOT NULL), count(*) FILTER (WHERE NOT transactional) FROM pgmig.revisions"),
	'8|1', 'up --sql: undo files and the .conf registered');
unlink $script;

# down: the undo files, newest first; an error names the undo file
my $err = pgmig_fails($node, $fw, [ 'down', 'base', '-d', 'fwdb' ],
	qr/down script of revision 1\.1, file "U1\.1__more_tables\.sql" line 2/,
	'down: an error names the undo file and its line');
write_file("$fw/migrations/U1.1__more_tables.sql", "DROP TABLE f11;\n");
pgmig_ok($node, $fw, [ 'down', 'base', '-d', 'fwdb' ],
	qr/^reverted 1\.1 more tables [^\n]*\nreverted 1 init /m, 'down base: every undo file');
is($node->safe_psql('fwdb', "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'f1%' OR tablename = 'f2'"), '0',
	'down base: the tables are gone');
is($node->safe_psql('fwdb', 'SELECT count(*) FROM pgmig.schema_migrations'), '0',
	'down base: nothing applied');
# a versioned file without an undo file is irreversible
unlink "$fw/migrations/U2__two.sql";
pgmig_ok($node, $fw, [ 'up', '-d', 'fwdb' ], qr/applied 2\.0\.1/, 'up again');
pgmig_fails($node, $fw, [ 'down', '1.10', '-d', 'fwdb' ], qr/revision 2 is irreversible/,
	'down: a versioned file without an undo file is irreversible');
write_file("$fw/migrations/U2__two.sql", $files{'U2__two.sql'});

# new: a versioned file and its undo, as Flyway names them
pgmig_ok(undef, $fw, [ 'new', '-m', 'add users' ],
	qr/^created migrations\/V(\d{14})__add_users\.sql\ncreated migrations\/U\1__add_users\.sql$/,
	'new: V<version>__<description>.sql and its undo file');
unlink glob("$fw/migrations/[VU]*__add_users.sql");
my $fw_new = new_project('flyway_new');
write_file("$fw_new/migrations/V1__a.sql", "SELECT 1;\n");
pgmig_ok(undef, $fw_new, [ 'new', '-m', 'b' ], qr/^created migrations\/V2__b\.sql\n/,
	'new: after V1 comes V2');

# a Maven or Gradle project: Flyway's folder is found, init names it
my $maven = PostgreSQL::Test::Utils::tempdir('flyway_maven');
make_path("$maven/src/main/resources/db/migration", "$maven/src/main/java");
write_file("$maven/src/main/resources/db/migration/V1__init.sql", "CREATE TABLE m1 (id int);\n");
pgmig_ok(undef, "$maven/src/main/java", [ 'check', '--offline' ], qr/^ok: 1 revision, head 1; format: flyway$/,
	'a Maven project: its db/migration found from below', %offline);
$node->safe_psql('postgres', 'CREATE DATABASE fwinit');
pgmig_ok($node, $maven, [ 'init', '-d', 'fwinit' ],
	qr/migrations folder src\/main\/resources\/db\/migration exists: 1 migration file/, 'init: names Flyway\'s folder');
ok(!-e "$maven/migrations", 'init: no empty migrations/ beside it');

# malformed files, each named; nothing skipped
my @bad = (
	[ 'V3_init.sql', "SELECT 1;\n", qr/file name "V3_init\.sql" has no "__" after its version/, 'a single underscore' ],
	[ 'Vx__a.sql', "SELECT 1;\n", qr/file name "Vx__a\.sql" has no version pgmig can read \("x"\)/, 'a version that is no number' ],
	[ 'V1.2.3.4.5.6.7__deep.sql', "SELECT 1;\n", qr/has no version pgmig can read \("1\.2\.3\.4\.5\.6\.7"\)/, 'more parts than pgmig orders' ],
	[ 'V3..1__a.sql', "SELECT 1;\n", qr/has no version pgmig can read \("3\.\.1"\)/, 'an empty part' ],
	[ 'U7__lonely.sql', "SELECT 1;\n", qr/file "migrations\/U7__lonely\.sql" has no up file beside it\n.*hint: An undo file/s, 'an undo file without its versioned file' ],
	[ 'U1__other_name.sql', "SELECT 1;\n", qr/file "migrations\/U1__other_name\.sql" has no up file beside it/, 'an undo file of another description' ],
	[ 'V1.0__again.sql', "SELECT 1;\n", qr/duplicate version 1\.0 in files "migrations\/V1__init\.sql" and "migrations\/V1\.0__again\.sql"|duplicate version 1 in files "migrations\/V1\.0__again\.sql" and "migrations\/V1__init\.sql"/, '1.0 and 1 are one version' ],
	[ 'V001__again.sql', "SELECT 1;\n", qr/duplicate version/, '001 and 1 are one version' ],
	[ 'R1__views.sql', "CREATE VIEW v AS SELECT 1;\n", qr/file name "R1__views\.sql" is no repeatable migration's name/, 'a repeatable migration with a version' ],
	[ 'R__views.sql.conf', "executeInTransaction=false\n", qr/configuration file "R__views\.sql\.conf" is not supported/, 'the configuration of a repeatable migration' ],
	[ 'V5__placeholder.sql', "CREATE TABLE \${schema}.t (id int);\n", qr/Flyway placeholder "\$\{schema\}"\n.*CONTEXT:  file "V5__placeholder\.sql" line 1/s, 'a placeholder Flyway would have replaced' ],
	[ 'V5__section.sql', "-- migrate:up\nSELECT 1;\n", qr/section line in a file of Flyway's layout/, 'a dbmate file named as Flyway\'s' ],
	[ '20240101000000_dbmate.sql', "-- migrate:up\nSELECT 1;\n", qr/mixes dbmate's layout and flyway's/, 'a folder mixing layouts' ],
	[ 'V2__two.sql.conf', "shouldExecute=true\n", qr/setting "shouldExecute" is not supported\n.*CONTEXT:  file "V2__two\.sql\.conf" line 1/s, 'a setting pgmig does not evaluate' ],
	[ 'V2__two.sql.conf', "executeInTransaction=maybe\n", qr/invalid value "maybe" for executeInTransaction/, 'a setting that is no boolean' ],
	[ 'U2__two.sql.conf', "executeInTransaction=false\n", qr/configuration file "U2__two\.sql\.conf" is not supported/, 'the configuration of an undo file' ],
	[ 'V9__x.sql.conf', "executeInTransaction=false\n", qr/file "migrations\/V9__x\.sql\.conf" has no up file beside it/, 'a configuration without its file' ]);
foreach my $b (@bad)
{
	my ($name, $text, $like, $what) = @$b;
	write_file("$fw/migrations/$name", $text);
	pgmig_fails(undef, $fw, [ 'check', '--offline' ], $like, "malformed: $what", %offline);
	unlink "$fw/migrations/$name";
}
pgmig_ok(undef, $fw, [ 'check', '--offline' ], qr/^ok: 8 revisions/, 'the folder is well again', %offline);
# placeholderReplacement=false: "${...}" is text
write_file("$fw/migrations/V5__literal.sql", "SELECT '\${not_a_placeholder}';\n");
write_file("$fw/migrations/V5__literal.sql.conf", "placeholderReplacement = false\nencoding=UTF-8\n");
pgmig_ok(undef, $fw, [ 'check', '--offline' ], qr/^ok: 9 revisions/, 'placeholderReplacement=false: the text is literal', %offline);
unlink "$fw/migrations/V5__literal.sql", "$fw/migrations/V5__literal.sql.conf";
# format = flyway insists; --format too
write_file("$fw/pgmig.conf", "format = dbmate\n");
pgmig_fails(undef, $fw, [ 'check', '--offline' ], qr/file "migrations\/U01\.3__zeros\.sql" is not in dbmate's layout/,
	'format = dbmate: Flyway\'s files are refused', %offline);
write_file("$fw/pgmig.conf", "format = flyway\n");
pgmig_ok(undef, $fw, [ 'check', '--offline' ], qr/format: flyway/, 'format = flyway', %offline);
unlink "$fw/pgmig.conf";
pgmig_ok(undef, $fw, [ 'check', '--offline', '--format=flyway' ], qr/format: flyway/, '--format=flyway', %offline);

# psql users register the same files, and get the same refusals
$node->safe_psql('postgres', 'CREATE DATABASE fwpsql');
$node->safe_psql('fwpsql', 'CREATE EXTENSION pgmig');
is($node->safe_psql('fwpsql', "SELECT string_agg(revision || ':' || action, ' ') FROM mig_register("
	  . "ARRAY['V1.10__b.sql', 'V1.9__a.sql', 'U1.9__a.sql', 'V1.9__a.sql.conf'],"
	  . " ARRAY['SELECT 1;', 'SELECT 2;', 'SELECT 3;', 'executeInTransaction=false'])"),
	'1.9:new 1.10:new', 'mig_register: Flyway\'s files, in Flyway\'s order');
is($node->safe_psql('fwpsql', "SELECT transactional, down_script FROM pgmig.revisions WHERE id = '1.9'"),
	'f|SELECT 3;', 'mig_register: the undo file and the .conf belong to the revision');
my ($rc, $stdout, $stderr) = $node->psql('fwpsql',
	"SELECT * FROM mig_register(ARRAY['U__v.sql.conf'], ARRAY['executeInTransaction=false'])");
like($stderr, qr/configuration file "U__v\.sql\.conf" is not supported/, 'mig_register: the configuration of an undo file is refused');
is($node->safe_psql('fwpsql', "SELECT string_agg(revision || ':' || action, ' ') FROM mig_register("
	  . "ARRAY['R__v.sql'], ARRAY['CREATE VIEW psql_v AS SELECT 1 AS one;'])"),
	'R__v.sql:new', 'mig_register: a repeatable migration');
is($node->safe_psql('fwpsql', "SELECT string_agg(file_name || ':' || description, ' ') FROM mig_apply_repeatables()"),
	'R__v.sql:v', 'mig_apply_repeatables: runs it');
is($node->safe_psql('fwpsql', "SELECT count(*) FROM mig_apply_repeatables()"), '0',
	'mig_apply_repeatables: then nothing, until it changes');
is($node->safe_psql('fwpsql', "SELECT one FROM psql_v"), '1', 'mig_apply_repeatables: the view is there');

# --- a database Flyway migrated: flyway_schema_history as Flyway's
# documentation defines it
my $history_ddl = 'CREATE TABLE flyway_schema_history (installed_rank INT NOT NULL PRIMARY KEY,'
  . ' version VARCHAR(50), description VARCHAR(200) NOT NULL, type VARCHAR(20) NOT NULL,'
  . ' script VARCHAR(1000) NOT NULL, checksum INT, installed_by VARCHAR(100) NOT NULL,'
  . ' installed_on TIMESTAMP NOT NULL DEFAULT now(), execution_time INT NOT NULL, success BOOLEAN NOT NULL)';
my $rank = 0;
# a row of the history: [version, type, script, checksum, success,
# description (default: the script)]
sub history_rows
{
	my @rows;
	foreach my $r (@_)
	{
		my ($version, $type, $script, $checksum, $success, $desc) = @$r;
		push @rows, sprintf("(%d, %s, '%s', '%s', '%s', %s, 'flyway', now(), 5, %s)",
			++$rank, defined $version ? "'$version'" : 'NULL', $desc // $script, $type, $script,
			$checksum // 'NULL', $success // 'true');
	}
	return 'INSERT INTO flyway_schema_history VALUES ' . join(', ', @rows);
}
# a versioned row as Flyway writes it for a file of the folder
sub applied_row
{
	my ($file, $version) = @_;
	return [ $version, 'SQL', $file, flyway_checksum(read_file_text("$fw/migrations/$file")) ];
}

# the good case: 1 to 1.3 applied (1.1 undone and applied again), and the
# schema row Flyway writes when it creates a schema
$node->safe_psql('postgres', 'CREATE DATABASE fwimp');
$node->safe_psql('fwimp', 'CREATE TABLE f1 (id int); CREATE TABLE f1b (id int); CREATE TABLE f11 (id int);'
	  . ' CREATE TABLE f12 (id int); CREATE TABLE f13 (id int);'
	  . " $history_ddl; "
	  . history_rows([ undef, 'SCHEMA', '"public"', undef ], applied_row('V1__init.sql', '1'),
		applied_row('V1.1__more_tables.sql', '1.1'), [ '1.1', 'UNDO_SQL', 'U1.1__more_tables.sql', 0 ],
		applied_row('V1.1__more_tables.sql', '1.1'), applied_row('V1_2__underscore.sql', '1.2'),
		applied_row('V01.3__zeros.sql', '01.3'))
	  . '; CREATE EXTENSION pgmig');
pgmig_fails($node, $fw, [ 'up', '-d', 'fwimp' ], qr/was migrated by Flyway.*hint: Run "pgmig import" first/s,
	'up refuses a database Flyway migrated, and says to import');
is($node->safe_psql('fwimp', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'up: nothing done');
pgmig_ok($node, $fw, [ 'import', '-d', 'fwimp' ],
	qr/^imported 4 revisions from Flyway \(public\.flyway_schema_history\)/m, 'import: the versions Flyway applied');
is($node->safe_psql('fwimp', "SELECT count(*), count(*) FILTER (WHERE id IN ('1', '1.1', '1_2', '01.3') AND method = 'stamped') FROM pgmig.schema_migrations"),
	'4|4', 'import: the catalog holds what Flyway applied, stamped');
is($node->safe_psql('fwimp', "SELECT count(*) FROM pgmig.events WHERE action = 'import'"), '4',
	'import: an import event each');
is($node->safe_psql('fwimp', 'SELECT count(*) FROM flyway_schema_history'), '7', 'import: Flyway\'s table is left alone');
pgmig_ok($node, $fw, [ 'up', '-d', 'fwimp' ], qr/^applied 1\.9 [^\n]*\napplied 1\.10 [^\n]*\napplied 2 [^\n]*\napplied 2\.0\.1 /,
	'then up applies only what Flyway had not');

# a baseline stands for every version up to its own
$node->safe_psql('postgres', 'CREATE DATABASE fwbase');
$node->safe_psql('fwbase', "$history_ddl; "
	  . history_rows([ '1.1', 'BASELINE', '<< Flyway Baseline >>', undef ], applied_row('V1_2__underscore.sql', '1.2'))
	  . '; CREATE EXTENSION pgmig');
pgmig_ok($node, $fw, [ 'import', '-d', 'fwbase' ], qr/^imported 3 revisions from Flyway/m,
	'import: a baseline and what came after it');
is($node->safe_psql('fwbase', "SELECT string_agg(id, ' ' ORDER BY id COLLATE \"C\") FROM pgmig.schema_migrations"),
	'1 1.1 1_2', 'import: the versions up to the baseline, and after it');

# the bad cases: reported, nothing imported
my $crc = flyway_checksum(read_file_text("$fw/migrations/V1.1__more_tables.sql"));
my @imports = (
	[ 'an edited file', [ applied_row('V1__init.sql', '1'), [ '1.1', 'SQL', 'V1.1__more_tables.sql', $crc + 1 ] ],
		qr/1 file changed since Flyway applied it\n.*detail: Flyway's checksums differ: migrations\/V1\.1__more_tables\.sql \(recorded \Q@{[$crc + 1]}\E, file \Q$crc\E\)\. Nothing was imported\./s ],
	[ 'a failed migration', [ applied_row('V1__init.sql', '1'), [ '1.1', 'SQL', 'V1.1__more_tables.sql', $crc, 'false' ] ],
		qr/Flyway recorded 1 failed migration in public\.flyway_schema_history\n.*Failed: V1\.1__more_tables\.sql \(rank \d+\)/s ],
	[ 'a version without a file', [ applied_row('V1__init.sql', '1'), [ '7', 'SQL', 'V7__gone.sql', 1 ] ],
		qr/1 migration that Flyway applied has no file in "migrations"\n.*without a file: 7\./s ],
	[ 'a repeatable migration without a file', [ applied_row('V1__init.sql', '1'), [ undef, 'SQL', 'R__views.sql', 1 ] ],
		qr/1 migration that Flyway applied has no file in "migrations"\n.*without a file: R__views\.sql\./s ],
	[ 'a Java migration', [ [ '1', 'JDBC', 'db.migration.V1__init', undef ] ],
		qr/holds 1 migration pgmig cannot take over\n.*db\.migration\.V1__init \(rank \d+, type JDBC\)/s ]);
my $n_imp = 0;
foreach my $case (@imports)
{
	my ($what, $rows, $like) = @$case;
	my $db = 'fwbad' . ++$n_imp;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "$history_ddl; " . history_rows(@$rows) . '; CREATE EXTENSION pgmig');
	pgmig_fails($node, $fw, [ 'import', '-d', $db ], $like, "import refuses $what");
	is($node->safe_psql($db, 'SELECT count(*) FROM pgmig.schema_migrations'), '0', "import of $what: nothing imported");
}

# the checksum pgmig computes is Flyway's: a BOM and Windows line endings
# do not count, and an edit that only adds blank lines neither
my $fw_sum = new_project('flyway_sum');
write_file("$fw_sum/migrations/V1__bom.sql", "\xEF\xBB\xBF-- a BOM\r\nSELECT 1;\r\n");
write_file("$fw_sum/migrations/V2__lf.sql", "SELECT 2;\n\n\nSELECT 3;\n");
$node->safe_psql('postgres', 'CREATE DATABASE fwsum');
$node->safe_psql('fwsum', "$history_ddl; "
	  . history_rows([ '1', 'SQL', 'V1__bom.sql', flyway_checksum("-- a BOM\nSELECT 1;") ],
		[ '2', 'SQL', 'V2__lf.sql', flyway_checksum("SELECT 2;\r\nSELECT 3;") ])
	  . '; CREATE EXTENSION pgmig');
pgmig_ok($node, $fw_sum, [ 'import', '-d', 'fwsum' ], qr/^imported 2 revisions from Flyway/m,
	'checksum: Flyway\'s line rule, BOM and line endings aside');

# --- repeatable migrations: after the versioned ones, in the order of
# their descriptions, again whenever they change
my $rp = new_project('flyway_repeatable');
my %rp = (
	'V1__table.sql' => "CREATE TABLE rt (id int);\n",
	'U1__table.sql' => "DROP VIEW IF EXISTS rv;\nDROP TABLE rt;\n",
	'R__b_view.sql' => "CREATE OR REPLACE VIEW rv AS SELECT count(*) AS n FROM rt;\n",
	'R__a_func.sql' => "CREATE OR REPLACE FUNCTION rf() RETURNS int LANGUAGE sql AS \$\$ SELECT 1 \$\$;\n");
write_file("$rp/migrations/$_", $rp{$_}) foreach keys %rp;
pgmig_ok(undef, $rp, [ 'check', '--offline' ], qr/^ok: 1 revision, head 1; format: flyway$/,
	'repeatable: check reads them', %offline);
$node->safe_psql('postgres', 'CREATE DATABASE fwrep');
$node->safe_psql('fwrep', 'CREATE EXTENSION pgmig');
pgmig_ok($node, $rp, [ 'status', '-d', 'fwrep' ], qr/^Repeatable migrations to apply: R__a_func\.sql, R__b_view\.sql$/m,
	'repeatable: status names those up would run');
pgmig_ok($node, $rp, [ 'up', '-d', 'fwrep' ],
	qr/^applied 1 table [^\n]*\napplied R__a_func\.sql a func \([^)]*, repeatable\)\napplied R__b_view\.sql b view \([^)]*, repeatable\)\n/,
	'repeatable: up applies them after the versioned ones, by description');
pgmig_ok($node, $rp, [ 'up', '-d', 'fwrep' ], qr/^nothing to apply$/m, 'repeatable: not again while unchanged');
my $status = pgmig_ok($node, $rp, [ 'status', '-d', 'fwrep' ], undef, 'repeatable: status');
unlike($status, qr/Repeatable migrations/, 'repeatable: status has none to apply');
is($node->safe_psql('fwrep', 'SELECT count(*) FROM pgmig.repeatables WHERE applied_checksum = checksum'), '2',
	'repeatable: catalog: both applied as registered');
# a change: applied again, alone, after a new versioned revision
write_file("$rp/migrations/R__a_func.sql", "CREATE OR REPLACE FUNCTION rf() RETURNS int LANGUAGE sql AS \$\$ SELECT 2 \$\$;\n");
write_file("$rp/migrations/V2__more.sql", "ALTER TABLE rt ADD COLUMN x int;\n");
write_file("$rp/migrations/U2__more.sql", "ALTER TABLE rt DROP COLUMN x;\n");
pgmig_ok($node, $rp, [ 'status', '-d', 'fwrep' ], qr/^Repeatable migrations to apply: R__a_func\.sql$/m,
	'repeatable: status names the changed one');
pgmig_ok($node, $rp, [ 'up', '--dry-run', '-d', 'fwrep' ], qr/dry run: repeatable migration R__a_func\.sql not run/,
	'repeatable: a dry run names it without running it');
pgmig_ok($node, $rp, [ 'up', '-d', 'fwrep' ], qr/^applied 2 more [^\n]*\napplied R__a_func\.sql a func \([^)]*, repeatable\)\n(?!applied)/,
	'repeatable: a changed one is applied again, after the versioned ones, alone');
is($node->safe_psql('fwrep', 'SELECT rf()'), '2', 'repeatable: the new script ran');
is($node->safe_psql('fwrep', "SELECT count(*) FROM pgmig.events WHERE action = 'apply' AND revision = 'R__a_func.sql'"), '2',
	'repeatable: an apply event each time');
pgmig_ok($node, $rp, [ 'check', '-d', 'fwrep' ], qr/^ok: 2 revisions/, 'repeatable: check online');
pgmig_ok($node, $rp, [ 'history', '-v', '-d', 'fwrep' ], qr/^Rev: 2 /, 'repeatable: history -v, with their events in the log');
# a failing one: the run is rolled back whole, the error names the file
write_file("$rp/migrations/V3__three.sql", "CREATE TABLE rt3 (id int);\n");
write_file("$rp/migrations/U3__three.sql", "DROP TABLE rt3;\n");
write_file("$rp/migrations/R__c_bad.sql", "SELECT 1;\nSELECT * FROM no_such_table;\n");
pgmig_fails($node, $rp, [ 'up', '-d', 'fwrep' ], qr/relation "no_such_table" does not exist.*R__c_bad\.sql" line 2/s,
	'repeatable: an error names its file and line');
is($node->safe_psql('fwrep', "SELECT count(*) FROM pgmig.schema_migrations WHERE id = '3'"), '0',
	'repeatable: and the run is rolled back whole');
is($node->safe_psql('fwrep', "SELECT action, success, sqlstate FROM pgmig.events WHERE revision = 'R__c_bad.sql'"),
	'apply|f|42P01', 'repeatable: the failure is in the audit log');
unlink "$rp/migrations/R__c_bad.sql";
# down leaves them; up --sql applies them too
pgmig_ok($node, $rp, [ 'down', 'base', '-d', 'fwrep' ], qr/reverted 2 more/, 'repeatable: down base');
is($node->safe_psql('fwrep', 'SELECT count(*) FROM pgmig.repeatables WHERE applied_checksum = checksum'), '2',
	'repeatable: down leaves them applied, as Flyway\'s undo does');
($st, $sql) = pgmig(undef, $rp, [ 'up', '--sql' ], %offline);
like($sql, qr/mig_register\(.*'R__a_func\.sql'.*mig_apply\('head'\);\nSELECT file_name, description, duration FROM :"pgmig_schema"\.mig_apply_repeatables\(\);\nCOMMIT;/s,
	'repeatable: up --sql registers them and applies them after the revisions');

# a database Flyway ran them in: one as its file is, one Flyway ran before a change
$node->safe_psql('postgres', 'CREATE DATABASE fwrepimp');
$node->safe_psql('fwrepimp', "CREATE TABLE rt (id int); $history_ddl; "
	  . history_rows([ '1', 'SQL', 'V1__table.sql', flyway_checksum($rp{'V1__table.sql'}) ],
		[ undef, 'SQL', 'R__a_func.sql', flyway_checksum($rp{'R__a_func.sql'}), 'true', 'a func' ],
		[ undef, 'SQL', 'R__b_view.sql', flyway_checksum($rp{'R__b_view.sql'}), 'true', 'b view' ])
	  . '; CREATE EXTENSION pgmig');
pgmig_ok($node, $rp, [ 'import', '-d', 'fwrepimp' ],
	qr/^imported 1 repeatable migration as Flyway last ran them\nimported 1 revision from Flyway/m,
	'repeatable: import records the one whose file is as Flyway ran it');
pgmig_ok($node, $rp, [ 'up', '-d', 'fwrepimp' ],
	qr/^applied 2 more [^\n]*\napplied 3 three [^\n]*\napplied R__a_func\.sql a func \([^)]*, repeatable\)\n(?!applied)/,
	'repeatable: then up runs the changed one, as Flyway would');
# only a repeatable migration changed: up runs it alone
write_file("$rp/migrations/R__b_view.sql", "CREATE OR REPLACE VIEW rv AS SELECT count(*) AS n, 2 AS two FROM rt;\n");
pgmig_ok($node, $rp, [ 'up', '-d', 'fwrepimp' ], qr/^applied R__b_view\.sql b view \([^)]*, repeatable\)\n(?!applied)/,
	'repeatable: up runs a changed one when no revision is pending');
is($node->safe_psql('fwrepimp', 'SELECT two FROM rv'), '2', 'repeatable: the view is the new one');
# a repeatable migration "flyway repair" forgot is no history to match
$node->safe_psql('postgres', 'CREATE DATABASE fwrepdel');
$node->safe_psql('fwrepdel', "CREATE TABLE rt (id int); $history_ddl; "
	  . history_rows([ '1', 'SQL', 'V1__table.sql', flyway_checksum($rp{'V1__table.sql'}) ],
		[ undef, 'SQL', 'R__gone.sql', 1, 'true', 'gone' ], [ undef, 'DELETE', 'R__gone.sql', 1, 'true', 'gone' ])
	  . '; CREATE EXTENSION pgmig');
pgmig_ok($node, $rp, [ 'import', '-d', 'fwrepdel' ], qr/^imported 1 revision from Flyway/m,
	'repeatable: import skips one Flyway\'s repair deleted');

# up --json names a repeatable migration it ran as one
write_file("$rp/migrations/R__b_view.sql", "CREATE OR REPLACE VIEW rv AS SELECT count(*) AS n, 3 AS two FROM rt;\n");
my ($rjst, $rjson) = pgmig($node, $rp, [ 'up', '--json', '-d', 'fwrepimp' ]);
is($rjst, 0, 'repeatable: up --json exits 0');
is(validate_json($rjson, 'run.json'), "valid\n", 'repeatable: up --json matches json-schema/run.json');
like($rjson, qr/\{"revision":"R__b_view\.sql","description":"b view","action":"applied","transactional":true,"repeatable":true,[^}]*"committed":true\}/,
	'repeatable: up --json lists it, committed, as a repeatable migration');
is($node->safe_psql('fwrepimp', 'SELECT two FROM rv'), '3', 'repeatable: the changed view is there');

# CREATE INDEX CONCURRENTLY in an ordinary revision: the hint says how
# Flyway's layout marks a no-transaction revision
my $fw_cic = new_project('flyway_cic');
write_file("$fw_cic/migrations/V1__t.sql", "CREATE TABLE cic (id int);\n");
write_file("$fw_cic/migrations/V2__index.sql", "CREATE INDEX CONCURRENTLY cic_id ON cic (id);\n");
$node->safe_psql('postgres', 'CREATE DATABASE fwcic');
$node->safe_psql('fwcic', 'CREATE EXTENSION pgmig');
pgmig_fails($node, $fw_cic, [ 'up', '-d', 'fwcic' ],
	qr/CREATE INDEX CONCURRENTLY cannot run inside a transaction block\nHINT:  Mark it as a no-transaction revision with "executeInTransaction=false" in its \.sql\.conf file, and apply it with the pgmig client\./,
	'CREATE INDEX CONCURRENTLY: the hint names Flyway\'s .conf setting');
is($node->safe_psql('fwcic', 'SELECT count(*) FROM pgmig.schema_migrations'), '0', 'CREATE INDEX CONCURRENTLY: nothing applied');

# an applied revision whose file is gone keeps the sort key it was
# registered with: 1_2 (1.2) stays between 1 and 1.10
my $fw_gone = new_project('flyway_gone');
write_file("$fw_gone/migrations/V1__a.sql", "CREATE TABLE ga (id int);\n");
write_file("$fw_gone/migrations/V1_2__b.sql", "CREATE TABLE gb (id int);\n");
write_file("$fw_gone/migrations/V1_10__c.sql", "CREATE TABLE gc (id int);\n");
$node->safe_psql('postgres', 'CREATE DATABASE fwgone');
$node->safe_psql('fwgone', 'CREATE EXTENSION pgmig');
pgmig_ok($node, $fw_gone, [ 'up', '-d', 'fwgone' ], undef, 'a file gone: up');
unlink "$fw_gone/migrations/V1_2__b.sql";
my ($gst, $gout, $gerr) = pgmig($node, $fw_gone, [ 'status', '-d', 'fwgone' ]);
like($gout, qr/^\[X\] V1__a\.sql\n\[X\] 1_2 b  \(file missing\)\n\[X\] V1_10__c\.sql  \(head\)\n\nApplied: 3\n/,
	'a file gone: status keeps its applied revision, in version order');
unlike($gerr, qr/ignoring applied revision/, 'a file gone: its registered sort key is used');

pgmig_done();
