# plugins/guard/local.mk - build rules for plugins/guard (included from the
# top Makefile.am): the Dovecot 2.3 mail plugin lib90_hb_guard_plugin.so,
# installed into Dovecot's mail plugin dir (docs/GUARD.md), and its unit test.

guard_LTLIBRARIES = plugins/guard/lib90_hb_guard_plugin.la
guarddir = $(dovecot_moduledir)
plugins_guard_lib90_hb_guard_plugin_la_SOURCES = \
	plugins/guard/hb-guard-plugin.c \
	plugins/guard/guard-corruption.c plugins/guard/guard-corruption.h \
	plugins/guard/guard-dirsync.c plugins/guard/guard-dirsync.h \
	plugins/guard/guard-events.c plugins/guard/guard-events.h \
	plugins/guard/guard-fence.c plugins/guard/guard-fence.h \
	plugins/guard/guard-index.c plugins/guard/guard-index.h \
	plugins/guard/guard-lock.c plugins/guard/guard-lock.h \
	plugins/guard/guard-mailbox.c plugins/guard/guard-mailbox.h \
	plugins/guard/guard-quarantine.c plugins/guard/guard-quarantine.h \
	plugins/guard/guard-rebuild.c plugins/guard/guard-rebuild.h \
	plugins/guard/guard-settings.c plugins/guard/guard-settings.h \
	plugins/guard/guard-uidlist.c plugins/guard/guard-uidlist.h \
	plugins/guard/guard-uidlist-tail.c plugins/guard/guard-uidlist-tail.h \
	plugins/guard/guard-user.c plugins/guard/guard-user.h
# Dovecot's headers need its own config.h (found via LIBDOVECOT_INCLUDE)
plugins_guard_lib90_hb_guard_plugin_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DHAVE_CONFIG_H $(LIBDOVECOT_INCLUDE) $(LIBDOVECOT_STORAGE_INCLUDE)
# no sanitizers (--enable-asan): Dovecot's mail processes have no ASan runtime
plugins_guard_lib90_hb_guard_plugin_la_CFLAGS = $(HB_CFLAGS)
# no -ldovecot: the mail process has it loaded (RTLD_GLOBAL)
plugins_guard_lib90_hb_guard_plugin_la_LDFLAGS = \
	-module -avoid-version -shared \
	-export-symbols-regex '^hb_guard_plugin_'

if HAVE_CMOCKA
check_PROGRAMS += plugins/guard/test-guard-lock
TESTS += plugins/guard/test-guard-lock
plugins_guard_test_guard_lock_SOURCES = plugins/guard/test-guard-lock.c \
	plugins/guard/guard-lock.c plugins/guard/guard-lock.h
plugins_guard_test_guard_lock_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
plugins_guard_test_guard_lock_LDADD = $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
# the parsers, linked with the real libdovecot (lib_init, data stack)
check_PROGRAMS += plugins/guard/test-guard-parse
TESTS += plugins/guard/test-guard-parse
plugins_guard_test_guard_parse_SOURCES = plugins/guard/test-guard-parse.c \
	plugins/guard/guard-corruption.c plugins/guard/guard-corruption.h \
	plugins/guard/guard-events.c plugins/guard/guard-events.h \
	plugins/guard/guard-fence.c plugins/guard/guard-fence.h \
	plugins/guard/guard-lock.c plugins/guard/guard-lock.h \
	plugins/guard/guard-quarantine.c plugins/guard/guard-quarantine.h \
	plugins/guard/guard-rebuild.c plugins/guard/guard-rebuild.h \
	plugins/guard/guard-settings.c plugins/guard/guard-settings.h \
	plugins/guard/guard-uidlist-tail.c plugins/guard/guard-uidlist-tail.h \
	plugins/guard/guard-user.c plugins/guard/guard-user.h
plugins_guard_test_guard_parse_CPPFLAGS = $(AM_CPPFLAGS) \
	-DHAVE_CONFIG_H $(LIBDOVECOT_INCLUDE) $(LIBDOVECOT_STORAGE_INCLUDE)
plugins_guard_test_guard_parse_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
plugins_guard_test_guard_parse_LDADD = $(CMOCKA_LIBS) \
	$(LIBDOVECOT_STORAGE) $(LIBDOVECOT)
plugins_guard_test_guard_parse_LDFLAGS = $(AM_LDFLAGS) \
	-Wl,-rpath,$(DOVECOT_RUNTIME_LIBDIR)
endif
