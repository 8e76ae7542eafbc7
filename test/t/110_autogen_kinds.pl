
# Autogenerate, kind by kind: every scenario in test/autogen/ holds a
# "from" and a "to" schema.  In both directions, a project whose one
# migration builds one state and whose schema.sql declares the other gets
# a revision from "pgmig new --autogenerate"; applied, it must give the
# schema psql builds from the declared state (pg_dump --schema-only, up
# to the order of columns, which ADD COLUMN cannot choose), and its down
# must give back the first.
use strict;
use warnings;

use File::Basename;
use File::Copy;
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('kinds');
my $srcdir = dirname(__FILE__) . '/../autogen';
my @scenarios = sort glob("$srcdir/*.sql");
ok(@scenarios >= 20, 'the scenarios are there');

# Expected summary lines (on stderr) for some scenarios and directions.
my %expect = (
	'01_tables fwd' => [ qr/^pgmig: warning: .*dropped table public\.old_stuff/m,
		qr/added table public\.customers/ ],
	'02_columns fwd' => [ qr/dropped column public\.users\.legacy/,
		qr/changed column public\.users\.age \(type, not null, default\)/,
		qr/added column public\.users\.phone/ ],
	'02_columns rev' => [ qr/warning: .*public\.users\.age.*bigint to smallint/ ],
	'03_view_over_retyped_column fwd' => [ qr/re-created view public\.big_orders/,
		qr/re-created view public\.big_order_ids/ ],
	'06_enum_rebuilt fwd' => [ qr/warning: .*changed type public\.status: values are dropped/ ],
	'20_kind_change fwd' => [ qr/warning: .*dropped table public\.log to create it again/ ],
);

# A scenario file's two states.
sub states
{
	my ($path) = @_;
	my $text = read_file_text($path);
	$text =~ /^-- from\n(.*)^-- to\n(.*)\z/ms or die "$path: no -- from / -- to";
	return ($1, $2);
}

# psql a script into a database; dies on error.
sub load
{
	my ($db, $sql) = @_;
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, "CREATE EXTENSION pgmig;\n$sql", on_error_stop => 1);
}

# pg_dump --schema-only of a database, made comparable: statements sorted,
# and the lines of each CREATE TABLE (its columns) sorted too.
sub schema_of
{
	my ($db) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pg_dump', '--schema-only', '--no-owner', '--no-privileges',
		'-h', $node->host, '-p', $node->port, '-d', $db ], '>', \$out, '2>', \$err)
	  or die "pg_dump $db: $err";
	$out =~ s/^(--.*|SET .*|SELECT pg_catalog\.set_config.*|\\(?:un)?restrict .*)\n//mg;
	my @stmts;
	foreach my $stmt (split /;\n/, $out)
	{
		$stmt =~ s/^\s+|\s+$//g;
		next if $stmt eq '';
		if ($stmt =~ /^(CREATE (?:UNLOGGED )?TABLE [^\n]*\()\n(.*)\n(\).*)\z/s)
		{
			my ($head, $body, $tail) = ($1, $2, $3);
			my @lines = sort map { s/,$//r } split /\n/, $body;
			$stmt = join("\n", $head, @lines, $tail);
		}
		push @stmts, $stmt;
	}
	return join(";\n", sort @stmts) . "\n";
}

my $n = 0;
foreach my $path (@scenarios)
{
	my $name = basename($path, '.sql');
	my ($from, $to) = states($path);

	foreach my $dir ('fwd', 'rev')
	{
		my ($a, $b) = $dir eq 'fwd' ? ($from, $to) : ($to, $from);
		my $tag = "$name $dir";
		my $db = 'k' . ++$n;
		my %env = (env => { PGDATABASE => $db });

		my $proj = new_project("k$n");
		write_migration($proj, '1_start.sql', migration($a, "SELECT 1;"));
		open my $fh, '>', "$proj/schema.sql" or die;
		print $fh $b;
		close $fh;
		$node->safe_psql('postgres', "CREATE DATABASE $db");
		$node->safe_psql($db, 'CREATE EXTENSION pgmig');

		my ($status, $out, $err) = pgmig($node, $proj, [ 'new', '-m', 'auto', '--autogenerate' ], %env);
		is($status, 0, "$tag: new --autogenerate succeeds, its round trip proven");
		foreach my $re (@{ $expect{$tag} || [] })
		{
			like($err, $re, "$tag: the summary says so");
		}
		my @files = sort glob("$proj/migrations/*.sql");
		is(scalar @files, 2, "$tag: a revision is written");
		next if @files != 2;
		like(read_file_text($files[1]), qr/^-- migrate:down\n/m, "$tag: with a down section");

		pgmig_ok($node, $proj, ['up'], undef, "$tag: up", %env, allow_stderr => 1);
		load("${db}_to", $b);
		is(schema_of($db), schema_of("${db}_to"), "$tag: up gives what psql builds from the schema file");
		my ($dst) = pgmig($node, $proj, ['diff'], %env);
		is($dst, 0, "$tag: then pgmig diff finds no difference");

		pgmig_ok($node, $proj, [ 'down', '-1' ], undef, "$tag: down -1", %env, allow_stderr => 1);
		load("${db}_from", $a);
		is(schema_of($db), schema_of("${db}_from"), "$tag: down gives back the first state");
	}
}

pgmig_done();
