# admin/local.mk - hummingbird-admind, the TLS admin service for delegated
# domain admins (included from the top Makefile.am; docs/ADMIND.md), its
# unit tests, fuzz target and system tests.
sbin_PROGRAMS += admin/hummingbird-admind
# the pure parsers: unit-tested and fuzzed on their own
ADMIND_API = admin/api.h admin/route.c admin/body.c admin/headers.c admin/password-rule.c
admin_hummingbird_admind_SOURCES = admin/main.c admin/admind.h $(ADMIND_API) \
	admin/auth.c admin/changes.c admin/conns.c admin/conns.h admin/deferred.c \
	admin/dispatch.c admin/limiter.c admin/limiter.h admin/password.c \
	admin/reads.c admin/reply.c admin/server.c admin/store.c admin/tls.c \
	cli/output.c cli/output.h
admin_hummingbird_admind_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/cli $(HIREDIS_CFLAGS) \
	$(LIBEVENT_CFLAGS) $(LIBEVENT_OPENSSL_CFLAGS) $(OPENSSL_CFLAGS)
admin_hummingbird_admind_LDADD = $(HB_LIBS) $(LIBEVENT_OPENSSL_LIBS) $(OPENSSL_LIBS) \
	$(LIBCRYPT_LIBS)

EXTRA_DIST += \
	tests/fuzz/fuzz-admind-request.c \
	tests/system/admind_harness.py \
	tests/system/test_admind.py \
	tests/system/test_admind_flood.py \
	tests/system/test_admind_security.py

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-admind-route tests/unit/test-admind-body \
	tests/unit/test-admind-limiter
TESTS += tests/unit/test-admind-route tests/unit/test-admind-body \
	tests/unit/test-admind-limiter
ADMIND_TEST_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/admin $(CMOCKA_CFLAGS)
tests_unit_test_admind_route_CFLAGS = $(ADMIND_TEST_CFLAGS)
tests_unit_test_admind_route_SOURCES = tests/unit/test-admind-route.c $(ADMIND_API)
tests_unit_test_admind_route_LDADD = $(HB_LIBS) $(CMOCKA_LIBS)
tests_unit_test_admind_body_CFLAGS = $(ADMIND_TEST_CFLAGS)
tests_unit_test_admind_body_SOURCES = tests/unit/test-admind-body.c $(ADMIND_API)
tests_unit_test_admind_body_LDADD = $(HB_LIBS) $(CMOCKA_LIBS)
tests_unit_test_admind_limiter_CFLAGS = $(ADMIND_TEST_CFLAGS)
tests_unit_test_admind_limiter_SOURCES = tests/unit/test-admind-limiter.c admin/limiter.c \
	admin/limiter.h
tests_unit_test_admind_limiter_LDADD = $(HB_LIBS) $(CMOCKA_LIBS)
endif
