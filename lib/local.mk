# lib/local.mk - libhb.a: code shared by the director, hbctl and the tests.
noinst_LIBRARIES += lib/libhb.a
lib_libhb_a_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
lib_libhb_a_SOURCES = \
	lib/hb-addr.c lib/hb-addr.h \
	lib/hb-audit.c lib/hb-audit.h \
	lib/hb-backend.c lib/hb-backend.h \
	lib/hb-base64.c lib/hb-base64.h \
	lib/hb-daemon.c lib/hb-daemon.h \
	lib/hb-dlist.h \
	lib/hb-doveadm-reply.c lib/hb-doveadm-reply.h \
	lib/hb-hash.c lib/hb-hash.h \
	lib/hb-json.c lib/hb-json.h \
	lib/hb-keys.c lib/hb-keys.h \
	lib/hb-log.c lib/hb-log.h \
	lib/hb-redis.c lib/hb-redis.h \
	lib/hb-scripts.c lib/hb-scripts.h \
	lib/hb-scripts-admin.c lib/hb-scripts-admin.h \
	lib/hb-scripts-domains.c lib/hb-scripts-domains.h \
	lib/hb-scripts-sender.c lib/hb-scripts-sender.h \
	lib/hb-scripts-policy.c lib/hb-scripts-policy.h \
	lib/hb-secret.c lib/hb-secret.h \
	lib/hb-secret-file.c lib/hb-secret-file.h \
	lib/hb-settings.c lib/hb-settings.h \
	lib/hb-tls-client.c lib/hb-tls-client.h \
	lib/hb-units.c lib/hb-units.h \
	lib/hb-policy.c lib/hb-policy.h \
	lib/hb-proclocks.c lib/hb-proclocks.h \
	lib/hb-mailhdr.c lib/hb-mailhdr.h \
	lib/hb-user.c lib/hb-user.h \
	lib/hb-utf8.c lib/hb-utf8.h
lib_libhb_a_CFLAGS += $(OPENSSL_CFLAGS) $(LIBCRYPT_CFLAGS)
lib_libhb_a_CFLAGS += $(IDN2_CFLAGS)
HB_LIBS = lib/libhb.a $(HIREDIS_LIBS) $(LIBEVENT_LIBS) -lm
HB_LIBS += $(IDN2_LIBS)
