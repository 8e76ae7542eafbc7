#!/usr/bin/perl
# Check META.json against the PGXN meta spec 1.0.0 (https://pgxn.org/spec/)
# and against the tree: its version is the control file's default_version,
# every file it names exists, and it requires no newer PostgreSQL than the
# one the tests run on.  Prints what is wrong and exits 1, or exits 0.
#
#   perl test/check-meta.pl SRCDIR PG_MAJOR
use strict;
use warnings;
use JSON::PP;

my ($src, $pg_major) = @ARGV;
die "usage: check-meta.pl SRCDIR PG_MAJOR\n" unless defined $pg_major;
my @errors;
sub err { push @errors, join('', @_); }

open my $fh, '<', "$src/META.json" or die "META.json: $!\n";
my $meta = eval { JSON::PP->new->decode(do { local $/; <$fh> }) };
die "META.json is not JSON: $@" unless $meta;

open my $cf, '<', "$src/extension/pgmig.control" or die "pgmig.control: $!\n";
my ($control_version) = map { /^default_version\s*=\s*'([^']+)'/ ? $1 : () } <$cf>;
die "pgmig.control has no default_version\n" unless $control_version;

my $semver = qr/^\d+\.\d+\.\d+(?:-[0-9A-Za-z-]+)?$/;
foreach my $key (qw(name abstract version maintainer license provides meta-spec))
{
	err("required key \"$key\" is missing") unless exists $meta->{$key};
}
err("name \"$meta->{name}\" is not a name") if defined $meta->{name} && $meta->{name} !~ /^[A-Za-z][\w-]*$/;
err("version \"$meta->{version}\" is not a semantic version") if defined $meta->{version} && $meta->{version} !~ $semver;
err("version $meta->{version} is not the control file's default_version $control_version")
	if defined $meta->{version} && $meta->{version} ne $control_version;
err("meta-spec version is not 1.0.0") unless ($meta->{'meta-spec'}{version} // '') eq '1.0.0';
err("maintainer must be a string or a list of them")
	unless !ref $meta->{maintainer} || ref $meta->{maintainer} eq 'ARRAY';
foreach my $ext (sort keys %{ $meta->{provides} // {} })
{
	my $p = $meta->{provides}{$ext};
	err("provides.$ext has no file") unless $p->{file};
	err("provides.$ext.file \"$p->{file}\" does not exist") if $p->{file} && !-f "$src/$p->{file}";
	err("provides.$ext.docfile \"$p->{docfile}\" does not exist") if $p->{docfile} && !-f "$src/$p->{docfile}";
	err("provides.$ext.version \"" . ($p->{version} // '') . "\" is not $control_version")
		unless ($p->{version} // '') eq $control_version;
}
my $pg = $meta->{prereqs}{runtime}{requires}{PostgreSQL};
if (!defined $pg || $pg !~ $semver)
{
	err("prereqs.runtime.requires.PostgreSQL is not a semantic version");
}
elsif ((split /\./, $pg)[0] > $pg_major)
{
	err("prereqs require PostgreSQL $pg, newer than the $pg_major the tests run on");
}

print "META.json: $_\n" foreach @errors;
exit(@errors ? 1 : 0);
