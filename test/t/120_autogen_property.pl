
# Autogenerate's property: for every consecutive pair of states (k, k+1)
# of a migration history (the example project's, test/autogen/history and
# a real project's, graphile-worker's),
# with pg_dump --schema-only of state k+1 as the schema file and the first
# k revisions as the migrations, "pgmig new --autogenerate" writes a
# revision that takes state k to a schema identical to state k+1 (pg_dump
# --schema-only, byte for byte but pg_dump's random \restrict keys), and
# whose down gives back state k identically but for the order of columns:
# a column the revision drops comes back last (ADD COLUMN cannot choose
# its place).
use strict;
use warnings;

use File::Basename;
use File::Copy;
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = new_node('property');
my $root = dirname(__FILE__) . '/../..';
my %histories = (
	shop    => "$root/examples/shop/migrations",
	history => "$root/test/autogen/history");
# another history to check by hand: PGMIG_AUTOGEN_HISTORY=DIR
$histories{extra} = $ENV{PGMIG_AUTOGEN_HISTORY} if $ENV{PGMIG_AUTOGEN_HISTORY};

# A real project's history: graphile-worker's 18 migrations (tables
# rebuilt and renamed, functions, triggers, composite types, row-level
# security), from the npm registry.  Its files use a psql variable for
# their schema and have no header; they become dbmate files here.  Its
# eleventh migration rebuilds the jobs table with new columns between old
# ones, an order ADD COLUMN cannot give (DECISIONS 53): that pair of
# states is compared but for the order of columns.
my %any_column_order = ('graphile_worker 10' => 1);
sub graphile_worker_history
{
	my $npm = PostgreSQL::Test::Utils::tempdir('npm');
	my ($out, $err) = ('', '');
	if (!IPC::Run::run([ 'npm', 'pack', '--silent', 'graphile-worker@0.16.6' ],
			'>', \$out, '2>', \$err, init => sub { chdir $npm or die }))
	{
		diag("graphile-worker's history left out: npm pack failed: $err");
		return undef;
	}
	system('tar', '-xzf', "$npm/graphile-worker-0.16.6.tgz", '-C', $npm) == 0 or die "tar failed";
	my $dir = "$npm/migrations";
	mkdir $dir or die;
	foreach my $f (sort glob("$npm/package/sql/*.sql"))
	{
		my $text = read_file_text($f);
		$text =~ s/:GRAPHILE_WORKER_SCHEMA/graphile_worker/g;
		$text = "CREATE SCHEMA graphile_worker;\n$text" if basename($f) eq '000001.sql';
		open my $fh, '>', "$dir/" . basename($f, '.sql') . '_graphile_worker.sql' or die;
		print $fh "-- migrate:up\n$text";
		close $fh;
	}
	return $dir;
}
my $gw = graphile_worker_history();
$histories{graphile_worker} = $gw if $gw;

# pg_dump --schema-only of a database, without the \restrict lines, whose
# key is random.
sub dump_schema
{
	my ($db) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ 'pg_dump', '--schema-only', '-h', $node->host, '-p', $node->port, '-d', $db ],
		'>', \$out, '2>', \$err)
	  or die "pg_dump $db: $err";
	$out =~ s/^\\(?:un)?restrict .*\n//mg;
	return $out;
}

# A dump with the columns of each CREATE TABLE in name order.
sub columns_sorted
{
	my ($dump) = @_;
	$dump =~ s{^(CREATE (?:UNLOGGED )?TABLE [^\n]*\(\n)(.*?)(\n\)[^\n]*;\n)}
	  {$1 . join(",\n", sort map { s/,$//r } split /\n/, $2) . $3}msge;
	return $dump;
}

# A project holding the first k files of a history.
sub project_with
{
	my ($name, $files, $k) = @_;
	my $dir = new_project($name);
	copy($_, "$dir/migrations/" . basename($_)) or die "copy $_: $!" foreach @$files[ 0 .. $k - 1 ];
	return $dir;
}

foreach my $h (sort keys %histories)
{
	my @files = sort glob("$histories{$h}/*.sql");
	ok(@files >= 5, "$h: a history of " . scalar(@files) . " revisions");

	# the states, as the migrations build them
	my @state;
	foreach my $k (0 .. $#files + 1)
	{
		my $db = "${h}_state$k";
		$node->safe_psql('postgres', "CREATE DATABASE $db");
		$node->safe_psql($db, 'CREATE EXTENSION pgmig');
		my $proj = project_with("${h}_s$k", \@files, $k);
		pgmig_ok($node, $proj, ['up'], undef, "$h: state $k built", env => { PGDATABASE => $db },
			allow_stderr => 1) if $k > 0;
		$state[$k] = dump_schema($db);
	}

	foreach my $k (0 .. $#files)
	{
		my $tag = "$h: state $k to " . ($k + 1);
		my $db = "${h}_work$k";
		my %env = (env => { PGDATABASE => $db });
		my $proj = project_with("${h}_p$k", \@files, $k);

		# the schema file: pg_dump's own output, \restrict lines and all
		my ($dump, $err) = ('', '');
		IPC::Run::run([ 'pg_dump', '--schema-only', '-h', $node->host, '-p', $node->port,
			'-d', "${h}_state" . ($k + 1), '-f', "$proj/schema.sql" ], '2>', \$err)
		  or die "pg_dump: $err";

		$node->safe_psql('postgres', "CREATE DATABASE $db");
		$node->safe_psql($db, 'CREATE EXTENSION pgmig');
		my ($status, $out, $stderr) = pgmig($node, $proj, [ 'new', '-m', 'next', '--autogenerate' ], %env);
		if ($state[$k] eq $state[ $k + 1 ])
		{
			# a revision that changes nothing pg_dump shows
			like($out, qr/^no changes detected/, "$tag: the same schema, no changes detected");
			is(scalar(my @w = glob("$proj/migrations/*.sql")), $k, "$tag: no revision written");
			next;
		}
		is($status, 0, "$tag: new --autogenerate proves its revision");
		my @written = glob("$proj/migrations/*.sql");
		is(scalar @written, $k + 1, "$tag: one revision written");
		next if $status != 0;

		pgmig_ok($node, $proj, ['up'], undef, "$tag: up", %env, allow_stderr => 1);
		if ($any_column_order{"$h $k"})
		{
			is(columns_sorted(dump_schema($db)), columns_sorted($state[ $k + 1 ]),
				"$tag: up gives state " . ($k + 1) . ", identical but for the order of columns");
		}
		else
		{
			is(dump_schema($db), $state[ $k + 1 ], "$tag: up gives state " . ($k + 1) . ", identical");
		}
		pgmig_ok($node, $proj, [ 'down', '-1' ], undef, "$tag: down -1", %env, allow_stderr => 1);
		is(columns_sorted(dump_schema($db)), columns_sorted($state[$k]),
			"$tag: down gives state $k back, identical but for the order of columns");
	}
}

pgmig_done();
