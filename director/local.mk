# director/local.mk - hummingbird-director, the routing daemon.
sbin_PROGRAMS += director/hummingbird-director
DIRECTOR_CORE = \
	director/apikey.c director/apikey.h \
	director/cache.c director/cache.h \
	director/census.c director/census.h \
	director/census-who.c director/census-who.h \
	director/check.c director/check.h \
	director/client.c director/client.h \
	director/conn.c director/conn.h \
	director/director.h \
	director/doveadm-client.c director/doveadm-client.h \
	director/failover.c director/failover.h \
	director/health.c director/health.h \
	director/housekeeping.c director/housekeeping.h \
	director/hosted.c director/hosted.h \
	director/kick.c director/kick.h \
	director/listeners.c director/listeners.h \
	director/metrics.c director/metrics.h \
	director/netstring.c director/netstring.h \
	director/probe.c director/probe.h \
	director/probe-reply.c director/probe-reply.h \
	director/proto.c director/proto.h \
	director/reassign.c director/reassign.h \
	director/redis.c director/redis.h \
	director/route.c director/route.h \
	director/socketmap.c director/socketmap.h \
	director/table.c director/table.h \
	director/userdb.c director/userdb.h \
	director/userdb-reply.c director/userdb-reply.h \
	director/watch.c director/watch.h
director_hummingbird_director_SOURCES = director/main.c $(DIRECTOR_CORE)
director_hummingbird_director_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(LIBEVENT_CFLAGS) \
	$(LIBEVENT_OPENSSL_CFLAGS) $(OPENSSL_CFLAGS)
director_hummingbird_director_LDADD = $(HB_LIBS) $(LIBEVENT_OPENSSL_LIBS) $(OPENSSL_LIBS) \
	$(LIBCRYPT_LIBS)

if HAVE_CMOCKA
# socketmap_domains: parsing and matching of a configured domain list
check_PROGRAMS += tests/unit/test-hb-domain-list
TESTS += tests/unit/test-hb-domain-list
tests_unit_test_hb_domain_list_SOURCES = tests/unit/test-hb-domain-list.c
tests_unit_test_hb_domain_list_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
tests_unit_test_hb_domain_list_LDADD = $(HB_LIBS) $(CMOCKA_LIBS)
endif
