
# The manual page and the bash and zsh completions (issue 13): the page
# renders without a warning and names every command and every option the
# client's help lists; the completions offer commands, a command's options,
# and the folder's revision ids, asking the client they come with.  zsh's
# is run by zsh's own completion system on a pseudo-terminal
# (test/zsh-complete.zsh).
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
is(complete('pgmig', '--databases', 'tenants.txt', '-j', '2', 'st'), 'stamp status',
	'completion: fleet options and their values before the command');
is(complete('pgmig', '--databases', '=', 'tenants.txt', 'st'), 'stamp status', 'completion: and --databases=FILE');

# --- the zsh completion: zsh's completion system, driven on a pseudo-terminal
sub zsh_complete
{
	my ($line) = @_;
	my $outfile = "$dir/zsh-candidates";
	my ($zout, $zerr) = ('', '');
	unlink $outfile;
	my $cwd = Cwd::getcwd();
	chdir $dir or die;
	# a hang (no "--end--") is a failure, not the end of the test
	eval {
		IPC::Run::run([ 'zsh', '-f', "$src/test/zsh-complete.zsh", "$src/cli", $outfile, $line ],
			'<', \'', '>', \$zout, '2>', \$zerr,
			init => sub { $ENV{PGHOST} = '/nonexistent'; }, IPC::Run::timeout(60));
	};
	$zerr .= $@ if $@;
	chdir $cwd;
	my $candidates = -e $outfile ? read_file_text($outfile) : '';
	note("zsh complete '$line': $candidates$zerr");
	my %seen;
	return join(' ', sort grep { $_ ne '--end--' && !$seen{$_}++ } split /\n/, $candidates);
}
is(zsh_complete('pgmig u'), 'up', 'zsh completion: a command');
is(zsh_complete('pgmig st'), 'stamp status', 'zsh completion: the commands of a prefix');
is(zsh_complete('pgmig up --c'), '--commit-each --confirm', "zsh completion: a command's options");
is(zsh_complete('pgmig import --dr'), '--drop', 'zsh completion: import --drop');
is(zsh_complete('pgmig show 0'), '001 002 010', "zsh completion: the folder's revision ids");
is(zsh_complete('pgmig down b'), 'base', 'zsh completion: targets');
is(zsh_complete('pgmig help h'), 'heads help history', 'zsh completion: help takes commands');
is(zsh_complete('pgmig -d app --dir migrations st'), 'stamp status', 'zsh completion: options and their values before the command');
is(zsh_complete('pgmig --d'), '--dir', 'zsh completion: a general option');
is(zsh_complete('pgmig up --all'), '--all-databases', 'zsh completion: up --all-databases');
is(zsh_complete('pgmig up --databases te'), 'tenants.txt', 'zsh completion: --databases takes a file');
is(zsh_complete('pgmig --databases tenants.txt -j 2 st'), 'stamp status', 'zsh completion: fleet options before the command');

pgmig_done();
