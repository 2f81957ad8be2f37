# tests/bench/local.mk - build rules for tests/bench (included from the top
# Makefile.am).  Benchmarks are built by `make` but never run by `make check`;
# tests/bench/run-director-bench.sh runs them (see docs/PERFORMANCE.md).
noinst_PROGRAMS += tests/bench/hb-imap-load tests/bench/hb-lookup-bench

tests_bench_hb_imap_load_SOURCES = tests/bench/hb-imap-load.c \
	tests/bench/bench-stats.c tests/bench/bench-stats.h \
	tests/bench/bench-target.c tests/bench/bench-target.h
tests_bench_hb_imap_load_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_bench_hb_imap_load_LDADD = $(LIBEVENT_LIBS)

tests_bench_hb_lookup_bench_SOURCES = tests/bench/hb-lookup-bench.c \
	tests/bench/bench-preload.c tests/bench/bench-preload.h \
	tests/bench/bench-stats.c tests/bench/bench-stats.h \
	tests/bench/bench-target.c tests/bench/bench-target.h
tests_bench_hb_lookup_bench_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS) $(HIREDIS_CFLAGS)
tests_bench_hb_lookup_bench_LDADD = lib/libhb.la $(HIREDIS_LIBS) $(LIBEVENT_LIBS) -lm

dist_noinst_SCRIPTS += tests/bench/run-director-bench.sh \
	tests/bench/run-locks-census-bench.sh

if BUILD_MILTER
include $(srcdir)/tests/bench/milter-bench.mk
endif
include $(srcdir)/tests/bench/guard-bench.mk
