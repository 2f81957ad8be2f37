# tests/crashfs/local.mk - hb-crashfs, the FUSE file system that simulates
# power loss for the hb_guard fault-injection tests (included from the top
# Makefile.am; docs/RELIABILITY.md "The crash layer").  Built by `make` (the
# system tests run it from the build tree), never installed.
noinst_PROGRAMS += tests/crashfs/hb-crashfs
CRASHFS_CORE = \
	tests/crashfs/entries.c tests/crashfs/entries.h \
	tests/crashfs/tree.c tests/crashfs/tree.h \
	tests/crashfs/data.c tests/crashfs/gc.c tests/crashfs/knode.c \
	tests/crashfs/power.c tests/crashfs/power.h tests/crashfs/crash.c \
	tests/crashfs/xrename.c tests/crashfs/xrename.h \
	tests/crashfs/crashfs.c tests/crashfs/crashfs.h \
	tests/crashfs/ctl-parse.c tests/crashfs/ctl-parse.h \
	tests/crashfs/commands.c tests/crashfs/commands.h \
	tests/crashfs/control.c tests/crashfs/control.h \
	tests/crashfs/fsops.c tests/crashfs/fsops.h \
	tests/crashfs/fsops-dir.c tests/crashfs/fsops-dirio.c \
	tests/crashfs/fsops-file.c tests/crashfs/fsops-attr.c
tests_crashfs_hb_crashfs_SOURCES = tests/crashfs/main.c $(CRASHFS_CORE)
tests_crashfs_hb_crashfs_CFLAGS = $(AM_CFLAGS) $(FUSE3_CFLAGS)
tests_crashfs_hb_crashfs_LDADD = $(FUSE3_LIBS) -lpthread

# the control line parser, every malformed case (cmocka)
if HAVE_CMOCKA
check_PROGRAMS += tests/crashfs/test-ctl-parse
TESTS += tests/crashfs/test-ctl-parse
tests_crashfs_test_ctl_parse_SOURCES = tests/crashfs/test-ctl-parse.c \
	tests/crashfs/ctl-parse.c tests/crashfs/ctl-parse.h \
	tests/crashfs/power.c tests/crashfs/power.h \
	tests/crashfs/entries.c tests/crashfs/entries.h \
	tests/crashfs/data.c tests/crashfs/tree.h
tests_crashfs_test_ctl_parse_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_crashfs_test_ctl_parse_LDADD = $(CMOCKA_LIBS)
endif
