# plugins/auth/local.mk - build rules for plugins/auth (included from the top
# Makefile.am): the Dovecot 2.3 passdb module libauthdb_hummingbird.so, which
# Dovecot loads from <moduledir>/auth, and the unit tests of its reply parsers
# and answer cache and of the cache's health events (docs/AUTH-MODULE.md).

# the module's Redis connections on Dovecot's ioloop (also unit-tested)
plugins_auth_redis_sources = \
	plugins/auth/redis-client.c \
	plugins/auth/redis-client.h \
	plugins/auth/redis-conn.c \
	plugins/auth/redis-conn.h \
	plugins/auth/redis-subscriber.c \
	plugins/auth/redis-subscriber.h

authdb_LTLIBRARIES += plugins/auth/libauthdb_hummingbird.la
plugins_auth_libauthdb_hummingbird_la_SOURCES = \
	plugins/auth/passdb-hummingbird.c \
	plugins/auth/director-lookup.c \
	plugins/auth/director-lookup.h \
	plugins/auth/director-reply.c \
	plugins/auth/director-reply.h \
	plugins/auth/director-userdb.c \
	plugins/auth/director-userdb.h \
	plugins/auth/hosted-lookup.c \
	plugins/auth/hosted-lookup.h \
	$(plugins_auth_redis_sources) \
	plugins/auth/redis-route.c \
	plugins/auth/redis-route.h \
	plugins/auth/route-cache.c \
	plugins/auth/route-cache.h \
	plugins/auth/route-event.c \
	plugins/auth/route-event.h \
	plugins/auth/userdb-hummingbird.c
# Dovecot's headers need its own config.h (found via LIBDOVECOT_INCLUDE)
plugins_auth_libauthdb_hummingbird_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DHAVE_CONFIG_H $(LIBDOVECOT_INCLUDE)
# no sanitizers (--enable-asan) here: Dovecot's auth binary has no ASan runtime
plugins_auth_libauthdb_hummingbird_la_CFLAGS = $(HB_CFLAGS)
# no -ldovecot: the auth process has it loaded (RTLD_GLOBAL); export only
# the entry points so that our helpers never clash with the host's symbols
plugins_auth_libauthdb_hummingbird_la_LDFLAGS = \
	-module -avoid-version -shared \
	-export-symbols-regex '^authdb_hummingbird_'
# lib/libhb-core.la: the shared code built once, without sanitizers (lib/local.mk)
plugins_auth_libauthdb_hummingbird_la_LIBADD = lib/libhb-core.la $(HIREDIS_LIBS)

if HAVE_CMOCKA
check_PROGRAMS += plugins/auth/test-director-reply
TESTS += plugins/auth/test-director-reply
plugins_auth_test_director_reply_SOURCES = \
	plugins/auth/test-director-reply.c \
	plugins/auth/director-reply.c \
	plugins/auth/director-reply.h
plugins_auth_test_director_reply_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
plugins_auth_test_director_reply_LDADD = $(CMOCKA_LIBS)

check_PROGRAMS += plugins/auth/test-director-userdb
TESTS += plugins/auth/test-director-userdb
plugins_auth_test_director_userdb_SOURCES = \
	plugins/auth/test-director-userdb.c \
	plugins/auth/director-userdb.c \
	plugins/auth/director-userdb.h \
	plugins/auth/director-reply.c \
	plugins/auth/director-reply.h
plugins_auth_test_director_userdb_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
plugins_auth_test_director_userdb_LDADD = $(CMOCKA_LIBS)

check_PROGRAMS += plugins/auth/test-route-cache
TESTS += plugins/auth/test-route-cache
plugins_auth_test_route_cache_SOURCES = \
	plugins/auth/test-route-cache.c \
	plugins/auth/route-cache.c \
	plugins/auth/route-cache.h
plugins_auth_test_route_cache_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
plugins_auth_test_route_cache_LDADD = $(CMOCKA_LIBS)

check_PROGRAMS += plugins/auth/test-route-event
TESTS += plugins/auth/test-route-event
plugins_auth_test_route_event_SOURCES = \
	plugins/auth/test-route-event.c \
	plugins/auth/route-event.c \
	plugins/auth/route-event.h
plugins_auth_test_route_event_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
plugins_auth_test_route_event_LDADD = $(CMOCKA_LIBS)

# the module's Redis connections on a real ioloop (libdovecot) against a
# redis-server of their own
check_PROGRAMS += plugins/auth/test-redis-subscriber
TESTS += plugins/auth/test-redis-subscriber
plugins_auth_test_redis_subscriber_SOURCES = \
	plugins/auth/test-redis-subscriber.c \
	$(plugins_auth_redis_sources) \
	tests/unit/redis-fixture.c \
	tests/unit/redis-fixture.h \
	tests/unit/redis-fixture-cmd.h
plugins_auth_test_redis_subscriber_CPPFLAGS = $(AM_CPPFLAGS) \
	-I$(top_srcdir)/tests/unit -DHAVE_CONFIG_H $(LIBDOVECOT_INCLUDE)
plugins_auth_test_redis_subscriber_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS) \
	$(HIREDIS_CFLAGS)
plugins_auth_test_redis_subscriber_LDADD = $(CMOCKA_LIBS) $(HIREDIS_LIBS) \
	$(LIBDOVECOT)
plugins_auth_test_redis_subscriber_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,-rpath,$(DOVECOT_RUNTIME_LIBDIR)
endif

# the libFuzzer targets of the reply parser and the health events are
# tests/fuzz/fuzz-director-reply.c and tests/fuzz/fuzz-route-event.c
