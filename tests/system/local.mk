# tests/system/local.mk - build rules for tests/system (included from the top Makefile.am)
# `make check` runs the pytest system tests after the unit tests; the runner
# script finds the binaries through HB_BUILDDIR (default: the directory make
# check runs it in, the top build dir).  Its summary line goes to fd 9.
# tests/authdb-ns.sh gives the tests' (and benchmarks') Dovecot proxies our
# passdb module in a private mount namespace.
dist_noinst_SCRIPTS += tests/system/run-system-tests.sh tests/authdb-ns.sh
EXTRA_DIST += \
	tests/system/harness.py \
	tests/system/clients.py \
	tests/system/cluster.py \
	tests/system/conftest.py \
	tests/system/templates.py \
	tests/system/test_harness.py \
	tests/system/test_director.py tests/system/test_doctor.py \
	tests/system/test_failover.py \
	tests/system/test_fast_path.py \
	tests/system/test_domains_cli.py \
	tests/system/test_redis_acl.py \
	tests/system/test_config_check.py \
	tests/system/test_identity.py \
	tests/system/test_docs.py \
	tests/system/test_sender_authority.py \
	tests/system/test_userdb.py \
	tests/system/test_milter.py \
	tests/system/test_milter_from.py \
	tests/system/test_postfix_integration.py \
	tests/system/test_caps.py \
	tests/system/test_guard.py \
	tests/system/test_guard_security.py \
	tests/system/test_crashfs.py \
	tests/system/test_locks_census.py \
	tests/system/test_locks.py \
	tests/system/test_locks_director.py \
	tests/system/test_proxy_metrics.py \
	tests/system/test_apikey.py \
	tests/system/test_doveadm_tls.py \
	tests/system/test_proxy_lmtp.py \
	tests/system/test_isolation.py \
	tests/system/isolation_run.py \
	tests/system/test_guard_faults.py \
	tests/system/test_health_faults.py \
	tests/system/guard_harness.py \
	tests/system/imap_ledger.py
TESTS += tests/system/run-system-tests.sh
AM_TESTS_FD_REDIRECT = 9>&2
# the parts configure left out (--disable-milter ...): their tests skip
AM_TESTS_ENVIRONMENT = HB_DISABLED_PARTS='$(HB_DISABLED_PARTS)'; export HB_DISABLED_PARTS;
