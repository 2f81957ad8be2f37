# cli/local.mk - hbctl, the operator tool, and its unit tests (included from
# the top Makefile.am).
bin_PROGRAMS += cli/hbctl
cli_hbctl_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS)
cli_hbctl_SOURCES = \
	cli/main.c cli/hbctl.h cli/usage.c cli/usage.h \
	cli/args.c cli/args.h cli/output.c cli/output.h \
	cli/glob-escape.c cli/glob-escape.h cli/store.c \
	cli/doveadm.c cli/doveadm.h \
	cli/doveadm-http.c cli/http-response.c cli/doveadm-http.h \
	cli/cmd-backend.c cli/backend-cmds.h cli/backend-fence.c \
	cli/backend-users.c cli/print-backend.c \
	cli/cmd-user.c cli/user-cmds.h cli/user-move.c cli/user-kick.c \
	cli/print-user.c cli/cmd-status.c cli/status.h cli/print-status.c \
	cli/cmd-locks.c cli/lock-census.c cli/lock-census.h cli/lock-census-print.c \
	cli/lock-publish.c cli/route-cache-wait.c \
	cli/domain-cmds.h cli/domain-change.c cli/cmd-domain.c cli/cmd-policy.c \
	cli/cmd-audit.c cli/cmd-mailbox.c cli/cmd-admin.c \
	cli/server.h cli/server-cmds.c cli/server-print.c cli/server-session.c cli/server-tls.c \
	cli/doctor.h cli/cmd-doctor.c cli/doctor-args.c cli/doctor-run.c cli/doctor-dovecot.c \
	cli/doctor-abi.c cli/doctor-elf.c cli/doctor-redis.c
cli_hbctl_LDADD = $(HB_LIBS) $(OPENSSL_LIBS) $(LIBCRYPT_LIBS)

if HAVE_CMOCKA
HBCTL_TEST_CFLAGS = $(AM_CFLAGS) $(HIREDIS_CFLAGS) $(CMOCKA_CFLAGS) -I$(top_srcdir)/cli
check_PROGRAMS += tests/unit/test-hbctl-args tests/unit/test-hbctl-output \
	tests/unit/test-hbctl-json tests/unit/test-hbctl-doveadm \
	tests/unit/test-lock-census
TESTS += tests/unit/test-hbctl-args tests/unit/test-hbctl-output \
	tests/unit/test-hbctl-json tests/unit/test-hbctl-doveadm \
	tests/unit/test-lock-census

tests_unit_test_lock_census_CFLAGS = $(HBCTL_TEST_CFLAGS)
tests_unit_test_lock_census_SOURCES = tests/unit/test-lock-census.c \
	cli/lock-census.c cli/lock-census.h
tests_unit_test_lock_census_LDADD = lib/libhb.la $(CMOCKA_LIBS)

tests_unit_test_hbctl_args_CFLAGS = $(HBCTL_TEST_CFLAGS)
tests_unit_test_hbctl_args_SOURCES = tests/unit/test-hbctl-args.c cli/args.c
tests_unit_test_hbctl_args_LDADD = $(HB_LIBS) $(CMOCKA_LIBS)

tests_unit_test_hbctl_output_CFLAGS = $(HBCTL_TEST_CFLAGS)
tests_unit_test_hbctl_output_SOURCES = tests/unit/test-hbctl-output.c cli/output.c \
	cli/glob-escape.c
tests_unit_test_hbctl_output_LDADD = $(CMOCKA_LIBS)

tests_unit_test_hbctl_json_CFLAGS = $(HBCTL_TEST_CFLAGS)
tests_unit_test_hbctl_json_SOURCES = tests/unit/test-hbctl-json.c
tests_unit_test_hbctl_json_LDADD = lib/libhb.la $(CMOCKA_LIBS)

tests_unit_test_hbctl_doveadm_CFLAGS = $(HBCTL_TEST_CFLAGS)
tests_unit_test_hbctl_doveadm_SOURCES = tests/unit/test-hbctl-doveadm.c cli/doveadm.c \
	cli/output.c cli/http-response.c cli/doveadm-http.c
tests_unit_test_hbctl_doveadm_LDADD = lib/libhb.la $(OPENSSL_LIBS) $(CMOCKA_LIBS)
endif
