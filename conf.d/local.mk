# conf.d/local.mk - configuration snippets installed to $(sysconfdir)/hummingbird/conf.d
dist_confd_DATA = \
	conf.d/hummingbird.conf \
	conf.d/hummingbird-director.service \
	conf.d/postfix-main.cf \
	conf.d/dovecot-backend.conf.ext
dist_confd_DATA += conf.d/dovecot-proxy.conf.ext conf.d/dovecot-proxy-metrics.conf.ext
dist_confd_DATA += conf.d/redis-users.acl
dist_confd_DATA += conf.d/postfix-milter.cf conf.d/hummingbird-milter.service
dist_confd_DATA += conf.d/admind.conf conf.d/hummingbird-admind.service
dist_confd_DATA += conf.d/director.conf conf.d/milter.conf conf.d/auth.conf
dist_confd_DATA += conf.d/90-hb-guard.conf conf.d/91-hb-locks.conf
dist_confd_DATA += conf.d/hummingbird-locks@.service conf.d/hummingbird-locks@.timer
