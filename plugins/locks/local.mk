# plugins/locks/local.mk - build rules for plugins/locks (included from the
# top Makefile.am): the Dovecot 2.3 mail plugin lib91_hb_locks_plugin.so,
# installed into Dovecot's mail plugin dir (docs/LOCKS.md).

locks_LTLIBRARIES = plugins/locks/lib91_hb_locks_plugin.la
locksdir = $(dovecot_moduledir)
plugins_locks_lib91_hb_locks_plugin_la_SOURCES = \
	plugins/locks/hb-locks-plugin.c \
	plugins/locks/locks-mailbox.c plugins/locks/locks-mailbox.h \
	plugins/locks/locks-settings.c plugins/locks/locks-settings.h \
	plugins/locks/locks-title.c plugins/locks/locks-title.h
# Dovecot's headers need its own config.h (found via LIBDOVECOT_INCLUDE)
plugins_locks_lib91_hb_locks_plugin_la_CPPFLAGS = $(AM_CPPFLAGS) \
	-DHAVE_CONFIG_H $(LIBDOVECOT_INCLUDE) $(LIBDOVECOT_STORAGE_INCLUDE)
# no sanitizers (--enable-asan): Dovecot's mail processes have no ASan runtime
plugins_locks_lib91_hb_locks_plugin_la_CFLAGS = $(HB_CFLAGS)
# no -ldovecot: the mail process has it loaded (RTLD_GLOBAL)
plugins_locks_lib91_hb_locks_plugin_la_LDFLAGS = \
	-module -avoid-version -shared \
	-export-symbols-regex '^hb_locks_plugin_'
