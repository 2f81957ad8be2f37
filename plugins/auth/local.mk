# plugins/auth/local.mk - build rules for plugins/auth (included from the top
# Makefile.am): the Dovecot 2.3 passdb module libauthdb_hummingbird.so, which
# Dovecot loads from <moduledir>/auth, and the unit tests of its reply parsers
# and answer cache (docs/AUTH-MODULE.md).

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
	plugins/auth/redis-client.c \
	plugins/auth/redis-client.h \
	plugins/auth/redis-route.c \
	plugins/auth/redis-route.h \
	plugins/auth/route-cache.c \
	plugins/auth/route-cache.h \
	plugins/auth/userdb-hummingbird.c \
	lib/hb-backend.c \
	lib/hb-scripts.c \
	lib/hb-settings.c \
	lib/hb-user.c \
	lib/hb-utf8.c
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
plugins_auth_libauthdb_hummingbird_la_LIBADD = $(HIREDIS_LIBS)

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
endif

# the libFuzzer target of the reply parser is tests/fuzz/fuzz-director-reply.c
