
# PgmigTest: helpers for the TAP tests of the pgmig client.
#
# The tests run the installed "pgmig" binary (the first on the PATH) in a
# project folder of their own, against a throwaway node of
# PostgreSQL::Test::Cluster.  Set PGMIG_VALGRIND=1 to run every pgmig
# command under valgrind: its reports go to files under the test's
# tmp_check/, and pgmig_done() fails the test if any of them holds an error
# or a leak.

package PgmigTest;

use strict;
use warnings;

use Cwd qw(getcwd);
use Exporter 'import';
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use File::Spec;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our @EXPORT = qw(
  new_node new_project write_migration write_file migration read_file_text
  pgmig pgmig_ok pgmig_fails pgmig_start pgmig_finish
  sql_value at_file_line validate_json pgmig_done
);

# Where valgrind writes its reports.
my $valgrind_dir;

# Not our code: PostgreSQL's simple_prompt() (libpgcommon) ignores a failing
# tcgetattr() and passes the uninitialized termios on to tcsetattr().  That
# happens when the password is read from a pipe (the tests run pgmig without
# a terminal, see "setsid"); the ioctl then fails with ENOTTY, harmlessly.
# pgmig's own code has no suppression: any leak or error in it fails the test.
my $suppressions = <<'EOS';
{
   libpgcommon: simple_prompt passes an unread termios when stdin is no terminal
   Memcheck:Param
   ioctl(TCSET{S,SW,SF})
   fun:tcsetattr
   fun:simple_prompt*
}
EOS

# The command that runs pgmig: the installed binary, under valgrind if asked.
sub pgmig_command
{
	my @cmd = ('pgmig');
	if ($ENV{PGMIG_VALGRIND})
	{
		my $supp;
		if (!$valgrind_dir)
		{
			my $test = basename($0, '.pl');
			$valgrind_dir = "$PostgreSQL::Test::Utils::tmp_check/valgrind/$test";
			make_path($valgrind_dir);
		}
		$supp = "$valgrind_dir/pgmig.supp";
		if (!-f $supp)
		{
			open my $fh, '>', $supp or die "open $supp: $!";
			print $fh $suppressions;
			close $fh;
		}
		unshift @cmd, 'valgrind', '--quiet', '--leak-check=full',
		  '--show-leak-kinds=definite,indirect,possible',
		  '--errors-for-leak-kinds=definite,indirect,possible',
		  "--suppressions=$supp", "--log-file=$valgrind_dir/pgmig.%p.log";
	}
	return @cmd;
}

# A started node with a name of its own.  Every update of drift
# tracking's map, kept from what DDL touched, is checked against the whole
# schema (pgmig.check_map): any test's DDL is a test of drift tracking.
# Every plan made from the recent revisions is checked against one made
# from the whole catalog (pgmig.check_catalog).
sub new_node
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "pgmig.check_map = on\npgmig.check_catalog = on\n");
	$node->append_conf('postgresql.conf', $opts{conf}) if $opts{conf};
	$node->start;
	return $node;
}

# A fresh project folder with a migrations/ folder; returns its path.
sub new_project
{
	my ($name) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir($name);
	mkdir "$dir/migrations" or die "mkdir $dir/migrations: $!";
	return $dir;
}

# A migration file's text from its up and (optional) down sections.
sub migration
{
	my ($up, $down, %opts) = @_;
	my $text = '';
	$text .= "-- pgmig:revises $opts{revises}\n" if defined $opts{revises};
	$text .= "-- pgmig:label $opts{label}\n"     if defined $opts{label};
	$text .= "-- migrate:up" . ($opts{notx} ? " transaction:false" : "") . "\n";
	$text .= "$up\n";
	$text .= "-- migrate:down\n$down\n" if defined $down;
	return $text;
}

# Write migrations/NAME in the project (raw bytes).
sub write_migration
{
	my ($dir, $name, $text) = @_;
	return write_file("$dir/migrations/$name", $text);
}

# Write a file (raw bytes); returns its path.
sub write_file
{
	my ($path, $text) = @_;
	open my $fh, '>:raw', $path or die "open $path: $!";
	print $fh $text;
	close $fh or die "close $path: $!";
	return $path;
}

# The contents of a file.
sub read_file_text
{
	my ($path) = @_;
	open my $fh, '<:raw', $path or die "open $path: $!";
	local $/;
	my $text = <$fh>;
	close $fh;
	return $text;
}

# The environment that points pgmig at the node (PGDATABASE is the
# test's, "postgres" unless it changes it).
sub node_env
{
	my ($node) = @_;
	return (
		PGHOST     => $node->host,
		PGPORT     => $node->port,
		PGDATABASE => $ENV{PGDATABASE} // 'postgres');
}

# Run pgmig in "dir" against "node" (undef: no server); returns
# (exit status, stdout, stderr).  %opts: env => {VAR => value or undef},
# stdin => text, setsid => 1 (no controlling terminal, so that a password
# prompt reads stdin).
sub pgmig
{
	my ($node, $dir, $args, %opts) = @_;
	my ($out, $err) = ('', '');
	my $in = $opts{stdin} // '';
	my @cmd = (pgmig_command(), @$args);

	unshift @cmd, 'setsid', '--wait' if $opts{setsid};
	local %ENV = %ENV;
	%ENV = (%ENV, node_env($node)) if $node;
	foreach my $k (keys %{ $opts{env} || {} })
	{
		if (defined $opts{env}{$k}) { $ENV{$k} = $opts{env}{$k}; }
		else { delete $ENV{$k}; }
	}
	my $cwd = getcwd();
	chdir $dir or die "chdir $dir: $!";
	IPC::Run::run(\@cmd, '<', \$in, '>', \$out, '2>', \$err);
	my $status = ($? & 127) ? 128 + ($? & 127) : $? >> 8;
	chdir $cwd;
	note("pgmig @$args: exit $status\n--- stdout\n$out--- stderr\n$err");
	return ($status, $out, $err);
}

# pgmig must exit 0, print stdout matching "like" (a regexp or undef) and
# nothing on stderr unless allow_stderr.  Returns stdout.
sub pgmig_ok
{
	my ($node, $dir, $args, $like, $name, %opts) = @_;
	my ($status, $out, $err) = pgmig($node, $dir, $args, %opts);
	my $ok = is($status, 0, "$name: exit status 0");
	like($out, $like, "$name: output") if defined $like;
	is($err, '', "$name: nothing on stderr") unless $opts{allow_stderr};
	diag("stderr: $err") if !$ok;
	return wantarray ? ($out, $err) : $out;
}

# pgmig must exit with "status" (default 1) and print stderr matching
# "like".  Returns stderr.
sub pgmig_fails
{
	my ($node, $dir, $args, $like, $name, %opts) = @_;
	my ($status, $out, $err) = pgmig($node, $dir, $args, %opts);
	is($status, $opts{status} // 1, "$name: exit status " . ($opts{status} // 1));
	like($err, $like, "$name: error message");
	return wantarray ? ($err, $out) : $err;
}

# Start pgmig in the background; returns a handle for pgmig_finish.
sub pgmig_start
{
	my ($node, $dir, $args) = @_;
	my %h = (out => '', err => '', args => $args);
	my @cmd = (pgmig_command(), @$args);
	local %ENV = (%ENV, node_env($node));
	my $cwd = getcwd();
	chdir $dir or die "chdir $dir: $!";
	$h{run} = IPC::Run::start(\@cmd, '<', \'', '>', \$h{out}, '2>', \$h{err});
	chdir $cwd;
	return \%h;
}

# Wait for a background pgmig; returns (exit status, stdout, stderr).
sub pgmig_finish
{
	my ($h) = @_;
	$h->{run}->finish;
	my $status = $h->{run}->result(0);
	note("pgmig @{$h->{args}} (background): exit $status\n--- stdout\n$h->{out}--- stderr\n$h->{err}");
	return ($status, $h->{out}, $h->{err});
}

# One value from the node (from database "postgres" unless another is given).
sub sql_value
{
	my ($node, $sql, $db) = @_;
	return $node->safe_psql($db // 'postgres', $sql);
}

# An error about a line of a migration file, as the client and the server
# print it: the message (a regular expression), its DETAIL and HINT lines,
# then the location on a context line, CONTEXT:  file "FILE" line LINE.
sub at_file_line
{
	my ($message, $file, $line) = @_;
	return qr/$message\n(?:(?:DETAIL|HINT):  [^\n]*\n)*CONTEXT:  file "\Q$file\E" line $line(?:\n|\z)/;
}

# Validate "json" against json-schema/SCHEMA with test/validate-json.py;
# returns the validator's word: "valid\n", or "invalid: ..." and why.
sub validate_json
{
	my ($json, $schema) = @_;
	my $src = $ENV{PGMIG_SRCDIR} // File::Spec->catdir(dirname(__FILE__), '..', '..');
	my ($out, $err) = ('', '');
	IPC::Run::run([ '/usr/bin/python3', "$src/test/validate-json.py", "$src/json-schema", $schema ],
		'<', \$json, '>', \$out, '2>', \$err);
	note("validate $schema: $out$err");
	return $out . $err;
}

# End the test: with PGMIG_VALGRIND, check valgrind's reports first.
sub pgmig_done
{
	if ($ENV{PGMIG_VALGRIND})
	{
		my @logs = glob("$valgrind_dir/pgmig.*.log");
		my @bad = grep { -s $_ } @logs;
		foreach my $log (@bad)
		{
			diag("valgrind report $log:\n" . read_file_text($log));
		}
		ok(@logs > 0 && !@bad,
			"valgrind: no error or leak in " . scalar(@logs) . " runs of pgmig");
	}
	done_testing();
}

1;
