# pgmig top-level Makefile: dispatches to extension/ and cli/.
#
#   make            build the extension and the client
#   make install    install both (the client also lands on the PATH, with
#                   its manual page and bash and zsh completions)
#   make uninstall  remove what "make install" put down, the PATH link too
#   make test       install missing packages, build, install, run every suite
#                   on throwaway PostgreSQL instances (run as root or as a
#                   user allowed to run initdb)
#   make demo       the same set-up, then the example project in examples/shop
#   make installcheck   pg_regress and the isolation specs against an already
#                       running server (PG* env), then the TAP tests, with the
#                       installed pgmig (as a user allowed to run initdb)
#   make fuzz       build the fuzz targets (clang, libFuzzer, ASan, UBSan) and
#                   run each for FUZZ_SECONDS (default 60); FUZZ_TARGET=common
#                   or split runs one (see fuzz/README)
#   make deb        Debian packages of the extension (postgresql-NN-pgmig,
#                   for each server version postgresql-common supports) and
#                   of the client (pgmig), built in a copy of the tree, into
#                   DEBDIR (default build/deb)

PG_CONFIG ?= pg_config
# The one version number: the control file's default_version.
PGMIG_VERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" extension/pgmig.control)
# Where "make install" links the client so that it is on the PATH
# (Debian keeps PostgreSQL's own bindir off it).
PATH_BINDIR ?= /usr/local/bin
# Where the manual page and the bash and zsh completions go, where man(1),
# bash-completion and zsh's fpath look by default.
MANDIR ?= /usr/local/share/man
BASHCOMPDIR ?= /usr/local/share/bash-completion/completions
ZSHCOMPDIR ?= /usr/local/share/zsh/site-functions

# Where "make deb" copies the tree to build it and leaves the packages.
DEBDIR ?= build/deb

export PG_CONFIG PGMIG_VERSION

# The client is built when its sources are in the tree (it lands after the
# extension); until then everything else still builds and tests.
HAVE_CLI := $(wildcard cli/Makefile)

.PHONY: all extension cli install uninstall installcheck test demo bench fuzz deb clean

all: extension $(if $(HAVE_CLI),cli)

extension:
	$(MAKE) -C extension

cli:
	$(MAKE) -C cli

install: all
	$(MAKE) -C extension install
ifneq ($(HAVE_CLI),)
	$(MAKE) -C cli install
	mkdir -p '$(DESTDIR)$(PATH_BINDIR)'
	ln -sf '$(shell $(PG_CONFIG) --bindir)/pgmig' '$(DESTDIR)$(PATH_BINDIR)/pgmig'
	mkdir -p '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(BASHCOMPDIR)' '$(DESTDIR)$(ZSHCOMPDIR)'
	cp cli/pgmig.1 '$(DESTDIR)$(MANDIR)/man1/pgmig.1'
	cp cli/pgmig.bash '$(DESTDIR)$(BASHCOMPDIR)/pgmig'
	cp cli/_pgmig '$(DESTDIR)$(ZSHCOMPDIR)/_pgmig'
endif

# The link goes only if it is ours: another pgmig on the PATH stays.
uninstall:
	$(MAKE) -C extension uninstall
ifneq ($(HAVE_CLI),)
	$(MAKE) -C cli uninstall
	if [ "$$(readlink '$(DESTDIR)$(PATH_BINDIR)/pgmig')" = '$(shell $(PG_CONFIG) --bindir)/pgmig' ]; then \
		rm -f '$(DESTDIR)$(PATH_BINDIR)/pgmig'; \
	fi
	rm -f '$(DESTDIR)$(MANDIR)/man1/pgmig.1' '$(DESTDIR)$(BASHCOMPDIR)/pgmig' \
		'$(DESTDIR)$(ZSHCOMPDIR)/_pgmig'
endif

installcheck:
	$(MAKE) -C extension installcheck

test:
	bash test/run-tests.sh

demo:
	bash examples/demo.sh

bench:
	bash bench/run.sh

fuzz:
	$(MAKE) -C fuzz

# debian/changelog's version must be the control file's (the Debian
# revision after the dash aside).  The copy holds the tree's sources as
# they are in the working tree: in a git work tree the files git tracks or
# would add (not what .gitignore ignores), else every file but build/.
# dpkg-buildpackage cleans and builds the copy and leaves the packages next
# to it; the working tree is only read.
deb:
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version) || exit 1; \
	if [ "$${v%-*}" != '$(PGMIG_VERSION)' ]; then \
		echo "debian/changelog has version $$v, but the control file's default_version is $(PGMIG_VERSION)" >&2; \
		echo "add an entry for $(PGMIG_VERSION)-1 at the top of debian/changelog (dch -v $(PGMIG_VERSION)-1)" >&2; \
		exit 1; \
	fi
	rm -rf '$(DEBDIR)/pgmig-$(PGMIG_VERSION)'
	rm -f '$(DEBDIR)'/*pgmig*_*.deb '$(DEBDIR)'/pgmig_*.buildinfo '$(DEBDIR)'/pgmig_*.changes
	mkdir -p '$(DEBDIR)/pgmig-$(PGMIG_VERSION)'
	{ if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then \
		git ls-files -z --cached --others --exclude-standard; \
	else \
		find . -path ./build -prune -o ! -type d -print0; \
	fi; } | tar -c --null -T - --ignore-failed-read | \
		tar -x -C '$(DEBDIR)/pgmig-$(PGMIG_VERSION)'
	cd '$(DEBDIR)/pgmig-$(PGMIG_VERSION)' && pg_buildext updatecontrol && \
		dpkg-buildpackage --build=binary --no-sign
	rm -rf '$(DEBDIR)/pgmig-$(PGMIG_VERSION)'
	@ls -1 '$(DEBDIR)'/*.deb

clean:
	$(MAKE) -C extension clean
	$(if $(HAVE_CLI),$(MAKE) -C cli clean)
	rm -rf tmp_check
	$(MAKE) -C fuzz clean
