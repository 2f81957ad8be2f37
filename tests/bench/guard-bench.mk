# tests/bench/guard-bench.mk - build rules for the hb_guard benchmark (included
# from tests/bench/local.mk).  hb-imap-work is the mixed-workload IMAP client
# that run-guard-bench.sh runs against stock Dovecot and Dovecot with hb_guard;
# built by `make`, never run by `make check` (docs/PERFORMANCE.md).
noinst_PROGRAMS += tests/bench/hb-imap-work

tests_bench_hb_imap_work_SOURCES = tests/bench/hb-imap-work.c \
	tests/bench/imap-work.h \
	tests/bench/imap-work-session.c \
	tests/bench/imap-work-reply.c tests/bench/imap-work-reply.h \
	tests/bench/imap-work-msg.c tests/bench/imap-work-msg.h \
	tests/bench/bench-stats.c tests/bench/bench-stats.h \
	tests/bench/bench-target.c tests/bench/bench-target.h
tests_bench_hb_imap_work_CFLAGS = $(AM_CFLAGS) $(LIBEVENT_CFLAGS)
tests_bench_hb_imap_work_LDADD = $(LIBEVENT_LIBS)

dist_noinst_SCRIPTS += tests/bench/run-guard-bench.sh
