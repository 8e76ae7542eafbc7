#!/usr/bin/env perl
# Run TAP test files with TAP::Harness and report the totals.
#
#   perl test/tap-runner.pl [-j N] t/001_foo.pl t/002_bar.pl ...
#
# Prints the harness's usual per-file results, then, as its last line, the
# totals taken from the harness's aggregator (not from parsing its text):
#
#   TAP-TOTALS passed=N failed=N files=N bad_files=N
#
# "passed" and "failed" count assertions.  A file that goes wrong without a
# failed assertion (it dies, exits non-zero, or its plan does not match what
# ran) adds one to "failed", so that a broken file never reads as a pass.
# Exit status: 0 when everything passed, 1 otherwise.
use strict;
use warnings;

use Getopt::Long;
use TAP::Harness;

my $jobs = 1;
GetOptions('jobs|j=i' => \$jobs)
  or die "usage: $0 [-j N] test-file...\n";
die "usage: $0 [-j N] test-file...\n" unless @ARGV;

my $harness = TAP::Harness->new(
	{
		verbosity => 0,
		jobs      => $jobs,
		timer     => 1,
		color     => 0,
		# keep the tests' stderr (diagnostics of failures) on the terminal
		merge => 0,
	});

my $aggregator = $harness->runtests(@ARGV);

my ($passed, $failed, $bad_files) = (0, 0, 0);
foreach my $file ($aggregator->descriptions)
{
	my ($parser) = $aggregator->parsers($file);
	my $file_failed = scalar $parser->failed;
	$passed += scalar $parser->passed;
	$failed += $file_failed;

	# exit status, wait status, bad plan, no plan, unparseable TAP
	my $broken = $parser->exit || $parser->wait || $parser->parse_errors;
	if ($file_failed || $broken)
	{
		$bad_files++;
		$failed++ if !$file_failed;
	}
}

printf "TAP-TOTALS passed=%d failed=%d files=%d bad_files=%d\n",
  $passed, $failed, scalar($aggregator->descriptions), $bad_files;

exit(($failed || $bad_files) ? 1 : 0);
