# conf.d/local.mk - what `make install` puts outside the program directories
# (included from the top Makefile.am):
#  - each program's own configuration file in $(sysconfdir)/hummingbird,
#    never over one that is already there (an operator's edits win)
#  - the Dovecot and Redis snippets in $(sysconfdir)/hummingbird/conf.d (Postfix:
#    scripts/hummingbird-postfix-setup, installed in $(pkgdatadir))
#  - the systemd units, made from conf.d/*.in with this build's paths
#  - hbctl's bash completion

dist_confd_DATA = \
	conf.d/dovecot-backend.conf.ext \
	conf.d/dovecot-proxy.conf.ext \
	conf.d/dovecot-proxy-metrics.conf.ext \
	conf.d/redis-users.acl \
	conf.d/90-hb-guard.conf \
	conf.d/91-hb-locks.conf

# --- the programs' own files: $(sysconfdir)/hummingbird/NAME.conf ---
hbconfdir = $(sysconfdir)/hummingbird
HB_CONFIG_FILES = conf.d/hummingbird.conf conf.d/director.conf
if BUILD_MILTER
HB_CONFIG_FILES += conf.d/milter.conf
endif
if BUILD_ADMIND
HB_CONFIG_FILES += conf.d/admind.conf
endif
if BUILD_PLUGINS
HB_CONFIG_FILES += conf.d/auth.conf
endif
EXTRA_DIST += conf.d/hummingbird.conf conf.d/director.conf conf.d/milter.conf \
	conf.d/admind.conf conf.d/auth.conf

.PHONY: install-hb-config uninstall-hb-config
install-hb-config:
	@$(MKDIR_P) '$(DESTDIR)$(hbconfdir)'
	@for f in $(HB_CONFIG_FILES); do \
		dest='$(DESTDIR)$(hbconfdir)/'`basename $$f`; \
		if test -f "$$dest"; then \
			echo "keeping $$dest (the shipped one is $(srcdir)/$$f)"; \
		else \
			echo " $(INSTALL_DATA) $$f $$dest"; \
			$(INSTALL_DATA) "$(srcdir)/$$f" "$$dest" || exit 1; \
		fi; \
	done
# only files still as shipped: an edited one is the operator's
uninstall-hb-config:
	@for f in $(HB_CONFIG_FILES); do \
		dest='$(DESTDIR)$(hbconfdir)/'`basename $$f`; \
		if cmp -s "$(srcdir)/$$f" "$$dest"; then \
			echo " rm -f $$dest"; rm -f "$$dest"; \
		elif test -f "$$dest"; then \
			echo "keeping $$dest (changed since installed)"; \
		fi; \
	done

# --- systemd units ---
# made at make time, not by configure, so that `make install prefix=...`
# (and distcheck) write that prefix's paths into them
HB_UNITS = conf.d/hummingbird-director.service conf.d/hummingbird-locks@.service
if BUILD_MILTER
HB_UNITS += conf.d/hummingbird-milter.service
endif
if BUILD_ADMIND
HB_UNITS += conf.d/hummingbird-admind.service
endif
EXTRA_DIST += conf.d/hummingbird-director.service.in conf.d/hummingbird-locks@.service.in \
	conf.d/hummingbird-milter.service.in conf.d/hummingbird-admind.service.in \
	conf.d/hummingbird-locks@.timer
CLEANFILES += conf.d/hummingbird-director.service conf.d/hummingbird-locks@.service \
	conf.d/hummingbird-milter.service conf.d/hummingbird-admind.service
if HAVE_SYSTEMD
systemdsystemunit_DATA = $(HB_UNITS) conf.d/hummingbird-locks@.timer
else
noinst_DATA = $(HB_UNITS)
endif

hb_unit_edit = sed -e 's|@sbindir[@]|$(sbindir)|g' -e 's|@bindir[@]|$(bindir)|g' \
	-e 's|@sysconfdir[@]|$(sysconfdir)|g'
conf.d/hummingbird-director.service: $(srcdir)/conf.d/hummingbird-director.service.in
conf.d/hummingbird-milter.service: $(srcdir)/conf.d/hummingbird-milter.service.in
conf.d/hummingbird-admind.service: $(srcdir)/conf.d/hummingbird-admind.service.in
conf.d/hummingbird-locks@.service: $(srcdir)/conf.d/hummingbird-locks@.service.in
conf.d/hummingbird-director.service conf.d/hummingbird-milter.service \
conf.d/hummingbird-admind.service conf.d/hummingbird-locks@.service: Makefile
	$(AM_V_GEN)$(MKDIR_P) conf.d && rm -f $@ $@.tmp && \
		$(hb_unit_edit) $(srcdir)/$@.in >$@.tmp && mv $@.tmp $@

# --- bash completion: conf.d/hbctl.bash-completion as .../completions/hbctl ---
bashcompletiondir = $(datadir)/bash-completion/completions
EXTRA_DIST += conf.d/hbctl.bash-completion
.PHONY: install-hb-completion uninstall-hb-completion
install-hb-completion:
	$(MKDIR_P) '$(DESTDIR)$(bashcompletiondir)'
	$(INSTALL_DATA) $(srcdir)/conf.d/hbctl.bash-completion '$(DESTDIR)$(bashcompletiondir)/hbctl'
uninstall-hb-completion:
	rm -f '$(DESTDIR)$(bashcompletiondir)/hbctl'
