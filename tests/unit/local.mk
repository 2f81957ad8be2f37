# tests/unit/local.mk - cmocka unit tests of lib/ and of the director's pure
# parsers (included from the top Makefile.am).  `make check` runs them;
# `make check-valgrind` runs them under valgrind (leaks and memory errors fail).
# Other components hook their own programs into check-valgrind with
# `check-valgrind: check-valgrind-NAME`.

UNIT_TESTS =
if HAVE_CMOCKA
UNIT_TESTS += \
	tests/unit/test-hb-hash \
	tests/unit/test-hb-settings \
	tests/unit/test-hb-user \
	tests/unit/test-hb-backend \
	tests/unit/test-hb-keys \
	tests/unit/test-hb-secret \
	tests/unit/test-proto \
	tests/unit/test-netstring \
	tests/unit/test-cache \
	tests/unit/test-census-who \
	tests/unit/test-probe-reply \
	tests/unit/test-userdb-reply
UNIT_TESTS += tests/unit/test-hb-ratelimit
UNIT_TESTS += tests/unit/test-hb-route-scripts
UNIT_TESTS += tests/unit/test-hb-degrade-scripts
UNIT_TESTS += tests/unit/test-hb-apikey-script
UNIT_TESTS += tests/unit/test-hb-domain-scripts
UNIT_TESTS += tests/unit/test-hb-policy
UNIT_TESTS += tests/unit/test-hb-mailhdr
UNIT_TESTS += tests/unit/test-hb-addr tests/unit/test-hb-units
UNIT_TESTS += tests/unit/test-hb-proclocks
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)

UNIT_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
UNIT_LIBS = lib/libhb.la $(HIREDIS_LIBS) $(CMOCKA_LIBS) -lm
UNIT_DIRECTOR_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/director

tests_unit_test_hb_hash_SOURCES = tests/unit/test-hb-hash.c
tests_unit_test_hb_hash_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hb_hash_LDADD = $(UNIT_LIBS)

tests_unit_test_hb_settings_SOURCES = tests/unit/test-hb-settings.c
tests_unit_test_hb_settings_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hb_settings_CPPFLAGS = $(AM_CPPFLAGS) -DCONF_DIR='"$(abs_top_srcdir)/conf.d"'
tests_unit_test_hb_settings_LDADD = $(UNIT_LIBS)

tests_unit_test_hb_user_SOURCES = tests/unit/test-hb-user.c tests/unit/test-escape.h
tests_unit_test_hb_user_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hb_user_LDADD = $(UNIT_LIBS)

tests_unit_test_hb_backend_SOURCES = tests/unit/test-hb-backend.c
tests_unit_test_hb_backend_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hb_backend_LDADD = $(UNIT_LIBS)

tests_unit_test_hb_keys_SOURCES = tests/unit/test-hb-keys.c
tests_unit_test_hb_keys_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hb_keys_LDADD = $(UNIT_LIBS)

tests_unit_test_hb_secret_SOURCES = tests/unit/test-hb-secret.c
tests_unit_test_hb_secret_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hb_secret_LDADD = lib/libhb.la $(OPENSSL_LIBS) $(LIBCRYPT_LIBS) $(CMOCKA_LIBS)

tests_unit_test_proto_SOURCES = tests/unit/test-proto.c director/proto.c
tests_unit_test_proto_CPPFLAGS = $(UNIT_DIRECTOR_CPPFLAGS)
tests_unit_test_proto_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_proto_LDADD = $(UNIT_LIBS)

tests_unit_test_netstring_SOURCES = tests/unit/test-netstring.c director/netstring.c
tests_unit_test_netstring_CPPFLAGS = $(UNIT_DIRECTOR_CPPFLAGS)
tests_unit_test_netstring_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_netstring_LDADD = $(UNIT_LIBS)

tests_unit_test_cache_SOURCES = tests/unit/test-cache.c director/cache.c
tests_unit_test_cache_CPPFLAGS = $(UNIT_DIRECTOR_CPPFLAGS)
tests_unit_test_cache_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_cache_LDADD = $(UNIT_LIBS)

tests_unit_test_userdb_reply_SOURCES = tests/unit/test-userdb-reply.c director/userdb-reply.c
tests_unit_test_userdb_reply_CPPFLAGS = $(UNIT_DIRECTOR_CPPFLAGS)
tests_unit_test_userdb_reply_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_userdb_reply_LDADD = $(UNIT_LIBS)

tests_unit_test_probe_reply_SOURCES = tests/unit/test-probe-reply.c director/probe-reply.c
tests_unit_test_probe_reply_CPPFLAGS = $(UNIT_DIRECTOR_CPPFLAGS)
tests_unit_test_probe_reply_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_probe_reply_LDADD = $(UNIT_LIBS)

tests_unit_test_census_who_SOURCES = tests/unit/test-census-who.c director/census-who.c
tests_unit_test_census_who_CPPFLAGS = $(UNIT_DIRECTOR_CPPFLAGS)
tests_unit_test_census_who_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_census_who_LDADD = $(UNIT_LIBS)

tests_unit_test_hb_ratelimit_SOURCES = tests/unit/test-hb-ratelimit.c \
	tests/unit/redis-fixture.c tests/unit/redis-fixture.h tests/unit/redis-fixture-cmd.h
tests_unit_test_hb_ratelimit_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_test_hb_ratelimit_LDADD = lib/libhb.la $(HIREDIS_LIBS) $(CMOCKA_LIBS) -lm

tests_unit_test_hb_route_scripts_SOURCES = tests/unit/test-hb-route-scripts.c \
	tests/unit/redis-fixture.c tests/unit/redis-fixture.h tests/unit/redis-fixture-cmd.h
tests_unit_test_hb_route_scripts_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_test_hb_route_scripts_LDADD = lib/libhb.la $(HIREDIS_LIBS) $(CMOCKA_LIBS) -lm

tests_unit_test_hb_degrade_scripts_SOURCES = tests/unit/test-hb-degrade-scripts.c \
	tests/unit/redis-fixture.c tests/unit/redis-fixture.h tests/unit/redis-fixture-cmd.h
tests_unit_test_hb_degrade_scripts_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_test_hb_degrade_scripts_LDADD = lib/libhb.la $(HIREDIS_LIBS) $(CMOCKA_LIBS) -lm

tests_unit_test_hb_apikey_script_SOURCES = tests/unit/test-hb-apikey-script.c \
	tests/unit/redis-fixture.c tests/unit/redis-fixture.h tests/unit/redis-fixture-cmd.h
tests_unit_test_hb_apikey_script_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_test_hb_apikey_script_LDADD = lib/libhb.la $(HIREDIS_LIBS) $(CMOCKA_LIBS) -lm

tests_unit_test_hb_domain_scripts_SOURCES = tests/unit/test-hb-domain-scripts.c \
	tests/unit/redis-fixture.c tests/unit/redis-fixture.h tests/unit/redis-fixture-cmd.h
tests_unit_test_hb_domain_scripts_CFLAGS = $(UNIT_CFLAGS) $(HIREDIS_CFLAGS)
tests_unit_test_hb_domain_scripts_LDADD = lib/libhb.la $(HIREDIS_LIBS) $(CMOCKA_LIBS) -lm

tests_unit_test_hb_addr_SOURCES = tests/unit/test-hb-addr.c tests/unit/test-escape.h
tests_unit_test_hb_addr_CFLAGS = $(UNIT_CFLAGS) $(IDN2_CFLAGS)
tests_unit_test_hb_addr_LDADD = lib/libhb.la $(IDN2_LIBS) $(CMOCKA_LIBS)

tests_unit_test_hb_units_SOURCES = tests/unit/test-hb-units.c
tests_unit_test_hb_units_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hb_units_LDADD = lib/libhb.la $(CMOCKA_LIBS)

tests_unit_test_hb_proclocks_SOURCES = tests/unit/test-hb-proclocks.c
tests_unit_test_hb_proclocks_CFLAGS = $(UNIT_CFLAGS) \
	-DSAMPLES_DIR='"$(abs_top_srcdir)/tests/unit/samples"'
tests_unit_test_hb_proclocks_LDADD = lib/libhb.la $(CMOCKA_LIBS)
EXTRA_DIST += tests/unit/samples/proc-locks-dovecot.txt

tests_unit_test_hb_mailhdr_SOURCES = tests/unit/test-hb-mailhdr.c
tests_unit_test_hb_mailhdr_CFLAGS = $(UNIT_CFLAGS) $(IDN2_CFLAGS)
tests_unit_test_hb_mailhdr_LDADD = lib/libhb.la $(IDN2_LIBS) $(CMOCKA_LIBS)

tests_unit_test_hb_policy_SOURCES = tests/unit/test-hb-policy.c tests/unit/cap-cases.h
tests_unit_test_hb_policy_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_hb_policy_LDADD = lib/libhb.la $(CMOCKA_LIBS)
endif

# Each program once under valgrind; any memory error or leak fails the target.
# ASan and valgrind do not mix: a --enable-asan build skips this (ASan's own
# leak checker already runs during `make check` there).
VALGRIND = valgrind
VALGRIND_FLAGS = --error-exitcode=1 --leak-check=full --quiet

.PHONY: check-valgrind check-valgrind-unit
check-valgrind: check-valgrind-unit
check-valgrind-unit: $(UNIT_TESTS)
	@if test -n "$(HB_SAN_CFLAGS)"; then \
		echo "check-valgrind-unit: SKIPPED, built with --enable-asan"; exit 0; \
	fi; \
	failed=0; \
	for t in $(UNIT_TESTS); do \
		echo "valgrind $$t"; \
		$(VALGRIND) $(VALGRIND_FLAGS) ./$$t || { \
			echo "FAIL (valgrind): $$t"; failed=$$((failed + 1)); }; \
	done; \
	if test $$failed -ne 0; then \
		echo "check-valgrind-unit: $$failed program(s) failed"; exit 1; \
	fi; \
	echo "check-valgrind-unit: all unit tests are clean under valgrind"
