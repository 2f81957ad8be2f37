# milter/local.mk - hummingbird-milter, the Postfix policy milter (included
# from the top Makefile.am; docs/MILTER.md).
sbin_PROGRAMS += milter/hummingbird-milter
MILTER_CORE = \
	milter/milter.h milter/conf.c \
	milter/callbacks.c milter/callbacks.h \
	milter/checks.c milter/checks.h milter/sender.c milter/ratelimit.c \
	milter/envelope.c milter/envelope.h \
	milter/metrics.c milter/metrics.h \
	milter/policy-cache.c milter/policy-cache.h \
	milter/ttl-cache.c milter/ttl-cache.h \
	milter/redis-pool.c milter/redis-pool.h
milter_hummingbird_milter_SOURCES = milter/main.c $(MILTER_CORE)
milter_hummingbird_milter_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(OPENSSL_CFLAGS)
milter_hummingbird_milter_LDADD = $(HB_LIBS) $(OPENSSL_LIBS) $(LIBCRYPT_LIBS) $(MILTER_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += tests/unit/test-milter-envelope
TESTS += tests/unit/test-milter-envelope
tests_unit_test_milter_envelope_SOURCES = tests/unit/test-milter-envelope.c milter/envelope.c
tests_unit_test_milter_envelope_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/milter
tests_unit_test_milter_envelope_LDADD = $(CMOCKA_LIBS)

# policy_from_replies() with the cache, pool and metrics it sits among
check_PROGRAMS += tests/unit/test-milter-policy
TESTS += tests/unit/test-milter-policy
tests_unit_test_milter_policy_SOURCES = tests/unit/test-milter-policy.c milter/policy-cache.c \
	milter/ttl-cache.c \
	milter/redis-pool.c milter/metrics.c milter/conf.c
tests_unit_test_milter_policy_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) $(HIREDIS_CFLAGS) \
	-I$(top_srcdir)/milter
tests_unit_test_milter_policy_LDADD = $(HB_LIBS) $(OPENSSL_LIBS) $(CMOCKA_LIBS) -lpthread
endif
