# lib/local.mk - the code shared by the daemons, hbctl, the Dovecot modules and
# the tests, built once as two libtool convenience libraries (PIC):
#
#  lib/libhb-core.la  what the Dovecot passdb module links in whole (the
#                     settings with their checks, keys, user names): libc and
#                     libidn2 only (no hiredis, OpenSSL, libcrypt or libevent
#                     calls), and never instrumented - Dovecot's processes
#                     have no ASan runtime, so --enable-asan leaves these
#                     files out (the fuzzers still run them under ASan)
#  lib/libhb.la       the rest (Redis, TLS, secrets, addresses, logging...)
#                     with the core inside; daemons, hbctl and the tests
#                     link this one, instrumented under --enable-asan
noinst_LTLIBRARIES += lib/libhb-core.la lib/libhb.la

lib_libhb_core_la_SOURCES = \
	lib/hb-addr.c lib/hb-addr.h \
	lib/hb-backend.c lib/hb-backend.h \
	lib/hb-domain-list.c lib/hb-domain-list.h \
	lib/hb-keys.c lib/hb-keys.h \
	lib/hb-paths.h \
	lib/hb-scripts.c lib/hb-scripts.h \
	lib/hb-secret-file.c lib/hb-secret-file.h \
	lib/hb-settings.c lib/hb-settings.h \
	lib/hb-settings-addr.c lib/hb-settings-addr.h \
	lib/hb-user.c lib/hb-user.h \
	lib/hb-utf8.c lib/hb-utf8.h
# no $(HB_SAN_CFLAGS): see above
lib_libhb_core_la_CFLAGS = $(HB_CFLAGS) $(IDN2_CFLAGS)
lib_libhb_core_la_LIBADD = $(IDN2_LIBS)

lib_libhb_la_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
lib_libhb_la_SOURCES = \
	lib/hb-audit.c lib/hb-audit.h \
	lib/hb-base64.c lib/hb-base64.h \
	lib/hb-daemon.c lib/hb-daemon.h \
	lib/hb-dlist.h \
	lib/hb-doveadm-reply.c lib/hb-doveadm-reply.h \
	lib/hb-hash.c lib/hb-hash.h \
	lib/hb-json.c lib/hb-json.h \
	lib/hb-log.c lib/hb-log.h \
	lib/hb-redis.c lib/hb-redis.h \
	lib/hb-scripts-admin.c lib/hb-scripts-admin.h \
	lib/hb-scripts-domains.c lib/hb-scripts-domains.h \
	lib/hb-scripts-sender.c lib/hb-scripts-sender.h \
	lib/hb-scripts-policy.c lib/hb-scripts-policy.h \
	lib/hb-secret.c lib/hb-secret.h \
	lib/hb-tls-client.c lib/hb-tls-client.h \
	lib/hb-units.c lib/hb-units.h \
	lib/hb-policy.c lib/hb-policy.h \
	lib/hb-proclocks.c lib/hb-proclocks.h \
	lib/hb-mailhdr.c lib/hb-mailhdr.h
lib_libhb_la_CFLAGS += $(OPENSSL_CFLAGS) $(LIBCRYPT_CFLAGS)
lib_libhb_la_CFLAGS += $(IDN2_CFLAGS)
lib_libhb_la_LIBADD = lib/libhb-core.la
HB_LIBS = lib/libhb.la $(HIREDIS_LIBS) $(LIBEVENT_LIBS) -lm
HB_LIBS += $(IDN2_LIBS)
