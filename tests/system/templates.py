"""templates.py - the configuration files the system-test harness writes:
Dovecot backends and proxies (both passdb configurations of docs/AUTH-MODULE.md),
hummingbird.conf (docs/DESIGN.md, 8) with the shipped health settings, and a
loopback-only Postfix.  Placeholders are filled with str.format(); doubled
braces are literal Dovecot braces.
"""

import os

DOVECOT_COMMON = """\
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = {instance}
listen = {ip}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
log_path = {dir}/log
info_log_path = {dir}/log
mail_location = maildir:~/Maildir
"""

# static passdb/userdb (password "pass") and the IMAP login listener of every
# backend-like Dovecot here
STATIC_USERS = """\
mail_uid = {uid}
mail_gid = {uid}
first_valid_uid = {uid}
passdb {{
  driver = static
  args = password=pass
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={mail_root}/%u allow_all_users=yes
}}
"""
STATIC_USERS_IMAP = STATIC_USERS + """\
service imap-login {{
  service_count = 0
  process_min_avail = 1
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""

BACKEND_CONF = DOVECOT_COMMON + """\
protocols = imap pop3 lmtp
login_trusted_networks = 127.0.0.0/8
imap_id_send = name {name}
""" + STATIC_USERS + """\
# Dovecot's own process settings, as on an operator's backend: a login
# process and an imap process per session
service imap-login {{
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = {ip}
    port = {lmtp_port}
  }}
}}
# the doveadm HTTP API and its key: conf.d/dovecot-backend.conf.ext as shipped
!include {snippet}
"""

# every test proxy opts in to the login metrics as an operator does: the
# shipped conf.d/dovecot-proxy-metrics.conf.ext, included where it lies
PROXY_METRICS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                             "conf.d", "dovecot-proxy-metrics.conf.ext")

PROXY_HEAD = DOVECOT_COMMON + """\
protocols = imap pop3
!include """ + os.path.normpath(PROXY_METRICS).replace("{", "{{").replace("}", "}}") + """
auth_failure_delay = 0
login_proxy_max_reconnects = 0
"""

# configuration 1 (docs/AUTH-MODULE.md): the only passdb, the backend checks
# the password
PROXY_PASSDB_ONLY = """\
passdb {{
  driver = hummingbird
  args = socket={socket} timeout={timeout_ms} nopassword=y{fast_path}
}}
"""

# configuration 2 (conf.d/dovecot-proxy.conf.ext): an authenticating passdb
# with result_success = continue, then hummingbird, no nopassword
PROXY_PASSDB_CHAINED = """\
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users_file}
  result_success = continue
}}
passdb {{
  driver = hummingbird
  args = socket={socket} timeout={timeout_ms}
  skip = unauthenticated
}}
"""

PROXY_TAIL = """\
userdb {{
  driver = static
  args = uid={uid} gid={uid} home=/nonexistent
}}
service imap-login {{
  service_count = 0
  process_min_avail = 2
  vsz_limit = 1G
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  service_count = 0
  process_min_avail = 1
  vsz_limit = 1G
  inet_listener pop3 {{
    port = {pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
"""

# hosted mailboxes (docs/DOMAINS.md 6): the passdb checks the password with
# the hash from the director's userdb socket, then routes; the userdb gives
# the quota
PROXY_PASSDB_HOSTED = """\
passdb {{
  driver = hummingbird
  args = socket={socket} userdb_socket={userdb_socket} timeout={timeout_ms}
}}
"""
PROXY_USERDB_STATIC = """\
userdb {{
  driver = static
  args = uid={uid} gid={uid} home=/nonexistent
}}
"""
PROXY_USERDB_HOSTED = """\
userdb {{
  driver = hummingbird
  args = userdb_socket={userdb_socket}
}}
"""

PROXY_CONF = PROXY_HEAD + PROXY_PASSDB_ONLY + PROXY_TAIL
PROXY_CHAINED_CONF = PROXY_HEAD + PROXY_PASSDB_CHAINED + PROXY_TAIL
# Postfix's smtpd asks this socket for SMTP AUTH (smtpd_sasl_type = dovecot)
PROXY_SASL_LISTENER = """\
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
"""
PROXY_HOSTED_CONF = PROXY_HEAD + PROXY_PASSDB_HOSTED + PROXY_TAIL.replace(
    PROXY_USERDB_STATIC, PROXY_USERDB_HOSTED) + PROXY_SASL_LISTENER

DIRECTOR_CONF = """\
# hummingbird.conf written by tests/system/harness.py
redis_host = 127.0.0.1
redis_port = {redis_port}
redis_timeout = 500ms
key_prefix = hb:
director_listen = {socket}
director_socket_mode = 0666
director_tcp_listen = 127.0.0.1:{tcp_port}
socketmap_listen = 127.0.0.1:{socketmap_port}
metrics_listen = 127.0.0.1:{metrics_port}
user_expire = 15m
lookup_wait_timeout = 4s
# health checks as shipped (docs/DESIGN.md 5), except: a probe under ASan on
# a loaded 2-core CI machine can take two seconds
health_timeout = 3s
health_lease_ttl = 2s
# probes under ASan on a loaded 2-core CI machine can take a second; only
# tests about degraded backends should see one
degrade_probe_time = 2500ms
cache_size = 10000
instance_id = {name}
log = stderr
log_level = debug
pid_file = {dir}/director.pid
doveadm_api_key_file = {key_file}
kick_timeout = 5s
census_interval = 1s
# the cluster's domain is routed without `hbctl domain add` (docs/INSTALL.md)
socketmap_domains = example.com
"""

POSTFIX_MAIN = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
maillog_file = {dir}/log
maillog_file_prefixes = {dir}
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.systest.invalid
mydomain = systest.invalid
myorigin = $myhostname
mydestination = localhost
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = {domain}
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
# Postfix's default transports (smtp, relay) as on a real node, but every
# message that leaves goes to the smtp-sink on loopback, never further
relayhost = [127.0.0.1]:{sink_port}
# local delivery (root@localhost) only inside the test directory
mail_spool_directory = {dir}/mail
forward_path =
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
disable_dns_lookups = yes
smtp_host_lookup = native
lmtp_host_lookup = native
queue_run_delay = 2s
minimal_backoff_time = 2s
maximal_backoff_time = 4s
append_dot_mydomain = no
"""

MILTER_CONF = """\
# hummingbird.conf of a milter, written by tests/system/harness.py
redis_host = 127.0.0.1
redis_port = {redis_port}
redis_timeout = 500ms
key_prefix = hb:
milter_listen = {listen}
milter_metrics_listen = 127.0.0.1:{metrics_port}
milter_cache_ttl = 0
milter_stale_ttl = 1m
log = stderr
log_level = debug
pid_file = {dir}/milter.pid
"""

# a second smtpd that takes SMTP AUTH from Dovecot (docs/AUTH-MODULE.md,
# configuration 3) and relays only for authenticated clients
POSTFIX_MASTER_SASL = """\
127.0.0.1:{port} inet n - n - - smtpd
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_sasl_type=dovecot
  -o smtpd_sasl_path={sasl_path}
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_recipient_restrictions=permit_sasl_authenticated,reject
"""

POSTFIX_MASTER = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
  -o syslog_name=postfix/$service_name
local     unix  -       n       n       -       -       local
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

# a Dovecot of the fault-injection tests (tests/system/test_guard_faults.py):
# IMAP only, maildir homes under {mail_root}, every imap process titled with
# its user; {settings}: lock method, NFS settings, hb_guard
GUARD_BACKEND_CONF = DOVECOT_COMMON + """\
protocols = imap
verbose_proctitle = yes
mail_max_userip_connections = 500
""" + STATIC_USERS_IMAP + """\
service imap {{
  process_limit = 200
}}
{settings}
"""
