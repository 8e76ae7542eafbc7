# pgmig top-level Makefile: dispatches to extension/ and cli/.
#
#   make            build the extension and the client
#   make install    install both (the client also lands on the PATH, with
#                   its manual page and bash completion)
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

PG_CONFIG ?= pg_config
# The one version number: the control file's default_version.
PGMIG_VERSION := $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" extension/pgmig.control)
# Where "make install" links the client so that it is on the PATH
# (Debian keeps PostgreSQL's own bindir off it).
PATH_BINDIR ?= /usr/local/bin
# Where the manual page and the bash completion go, where man(1) and
# bash-completion look by default.
MANDIR ?= /usr/local/share/man
BASHCOMPDIR ?= /usr/local/share/bash-completion/completions

export PG_CONFIG PGMIG_VERSION

# The client is built when its sources are in the tree (it lands after the
# extension); until then everything else still builds and tests.
HAVE_CLI := $(wildcard cli/Makefile)

.PHONY: all extension cli install uninstall installcheck test demo bench fuzz clean

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
	mkdir -p '$(DESTDIR)$(MANDIR)/man1' '$(DESTDIR)$(BASHCOMPDIR)'
	cp cli/pgmig.1 '$(DESTDIR)$(MANDIR)/man1/pgmig.1'
	cp cli/pgmig.bash '$(DESTDIR)$(BASHCOMPDIR)/pgmig'
endif

# The link goes only if it is ours: another pgmig on the PATH stays.
uninstall:
	$(MAKE) -C extension uninstall
ifneq ($(HAVE_CLI),)
	$(MAKE) -C cli uninstall
	if [ "$$(readlink '$(DESTDIR)$(PATH_BINDIR)/pgmig')" = '$(shell $(PG_CONFIG) --bindir)/pgmig' ]; then \
		rm -f '$(DESTDIR)$(PATH_BINDIR)/pgmig'; \
	fi
	rm -f '$(DESTDIR)$(MANDIR)/man1/pgmig.1' '$(DESTDIR)$(BASHCOMPDIR)/pgmig'
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

clean:
	$(MAKE) -C extension clean
	$(if $(HAVE_CLI),$(MAKE) -C cli clean)
	rm -rf tmp_check
	$(MAKE) -C fuzz clean
