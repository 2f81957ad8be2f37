# tests/bench/milter-bench.mk - build rules for the milter benchmark (included
# from tests/bench/local.mk).  noop-milter is the do-nothing libmilter milter
# that run-milter-bench.sh compares hummingbird-milter against; the benchmark
# is built by `make` but never run by `make check` (docs/PERFORMANCE.md).
noinst_PROGRAMS += tests/bench/noop-milter

tests_bench_noop_milter_SOURCES = tests/bench/noop-milter.c
tests_bench_noop_milter_LDADD = $(MILTER_LIBS)

dist_noinst_SCRIPTS += tests/bench/run-milter-bench.sh
