# tests/fuzz/local.mk - libFuzzer targets of every untrusted-input parser
# (included from the top Makefile.am).  Never built by `make` or `make check`:
# gcc has no libFuzzer.  tests/fuzz/run-fuzzers.sh builds them with clang and
# runs them (tests/fuzz/README.md); here they are only distributed.

EXTRA_DIST += \
	tests/fuzz/README.md \
	tests/fuzz/fuzz-proto.c \
	tests/fuzz/fuzz-netstring.c \
	tests/fuzz/fuzz-user.c \
	tests/fuzz/fuzz-settings.c \
	tests/fuzz/fuzz-json.c \
	tests/fuzz/fuzz-http-response.c \
	tests/fuzz/fuzz-doveadm-reply.c \
	tests/fuzz/fuzz-census-who.c \
	tests/fuzz/fuzz-addr.c \
	tests/fuzz/fuzz-director-reply.c \
	tests/fuzz/fuzz-route-event.c \
	tests/fuzz/fuzz-mailhdr.c \
	tests/fuzz/fuzz-envelope.c \
	tests/fuzz/fuzz-proclocks.c \
	tests/fuzz/corpus
dist_noinst_SCRIPTS += tests/fuzz/run-fuzzers.sh

# `make fuzz` runs every target for FUZZ_SECONDS (default 30) seconds each
fuzz:
	$(SHELL) $(srcdir)/tests/fuzz/run-fuzzers.sh
.PHONY: fuzz
