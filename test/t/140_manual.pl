
# The manual page and the bash completion (issue 13): the page renders
# without a warning and names every command and every option the client's
# help lists; the completion offers commands, a command's options, and the
# folder's revision ids, asking the client it comes with.
use strict;
use warnings;

use Cwd ();
use File::Basename qw(dirname);
use IPC::Run;
use PgmigTest;
use PostgreSQL::Test::Utils;
use Test::More;

my $src = $ENV{PGMIG_SRCDIR} // dirname(__FILE__) . '/../..';
my $page = "$src/cli/pgmig.1";
my $completion = "$src/cli/pgmig.bash";
my %offline = (env => { PGHOST => '/nonexistent', PGPORT => '1', DATABASE_URL => undef });

# --- the manual page
my ($out, $err) = ('', '');
IPC::Run::run([ 'man', '--warnings', '-l', $page ], '<', \'', '>', \$out, '2>', \$err,
	init => sub { $ENV{MANWIDTH} = 80; $ENV{MANPAGER} = 'cat'; $ENV{PAGER} = 'cat'; });
is($? >> 8, 0, 'man -l renders the page');
is($err, '', 'man --warnings: no warning');
like($out, qr/^NAME\n\s+pgmig .* PostgreSQL-native schema migrations/m, 'the page has its name');
foreach my $section (qw(SYNOPSIS DESCRIPTION COMMANDS OPTIONS ENVIRONMENT FILES), 'EXIT STATUS', 'EXAMPLES')
{
	like($out, qr/^\Q$section\E$/m, "the page has a section $section");
}

my $dir = new_project('manual');
my ($st, $help) = pgmig(undef, $dir, ['--help'], %offline);
my @commands = $help =~ /^  ([a-z]+) {2,}/mg;
ok(@commands >= 15, 'the client lists its commands (' . scalar(@commands) . ')');
open my $fh, '<', $page or die "$page: $!";
my $source = do { local $/; <$fh> };
close $fh;
foreach my $cmd (@commands)
{
	like($source, qr/^\.It\b.*\bCm \Q$cmd\E\b/m, "the page documents command $cmd");
	my ($cst, $chelp) = pgmig(undef, $dir, [ 'help', $cmd ], %offline);
	foreach my $opt ($chelp =~ /^\s+(?:-\w, )?--([a-z][-a-z]*)/mg)
	{
		(my $mdoc = $opt) =~ s/-/\\-/g;
		like($source, qr/Fl \\-\Q$mdoc\E\b/, "the page documents option --$opt of $cmd");
	}
}

# --- the completion, against the client under test
write_migration($dir, '001_first.sql', migration('SELECT 1;'));
write_migration($dir, '002_second.sql', migration('SELECT 2;'));
write_migration($dir, '010_tenth.sql', migration('SELECT 10;'));
# the client under test is first on the PATH the suite runs with
sub complete
{
	my (@words) = @_;
	my $script = qq{source '$completion'; COMP_WORDS=(} . join(' ', map { "'$_'" } @words)
	  . q{); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _pgmig; printf '%s\n' "${COMPREPLY[@]}"};
	my ($cout, $cerr) = ('', '');
	my $cwd = Cwd::getcwd();
	chdir $dir or die;
	IPC::Run::run([ 'bash', '-c', $script ], '<', \'', '>', \$cout, '2>', \$cerr,
		init => sub { $ENV{PGHOST} = '/nonexistent'; });
	chdir $cwd;
	note("complete @words: $cout$cerr");
	return join(' ', sort grep { $_ ne '' } split /\n/, $cout);
}
is(complete('pgmig', 'u'), 'up', 'completion: a command');
is(complete('pgmig', 'st'), 'stamp status', 'completion: the commands of a prefix');
is(complete('pgmig', 'up', '--c'), '--commit-each --confirm', "completion: a command's options");
is(complete('pgmig', 'import', '--dr'), '--drop', 'completion: import --drop');
is(complete('pgmig', 'show', '0'), '001 002 010', "completion: the folder's revision ids");
is(complete('pgmig', 'down', 'b'), 'base', 'completion: targets');
is(complete('pgmig', 'help', 'h'), 'heads help history', 'completion: help takes commands');
is(complete('pgmig', 'up', '--all'), '--all-databases', 'completion: up --all-databases');
write_file("$dir/tenants.txt", "app\n");
is(complete('pgmig', 'up', '--databases', 'te'), 'tenants.txt', 'completion: --databases takes a file');
is(complete('pgmig', 'status', '--databases', '=', 'te'), 'tenants.txt', 'completion: --databases=FILE too');
is(complete('pgmig', 'up', '--dir', 'mi'), 'migrations', 'completion: --dir takes a folder');

pgmig_done();
