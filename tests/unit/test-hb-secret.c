/* test-hb-secret.c - cmocka tests of lib/hb-secret.c: admin PBKDF2 hashes
 * (round trip, salt, a known answer computed by Python's hashlib), mailbox
 * SHA512-CRYPT hashes checked by Dovecot's own `doveadm pw -t`, every
 * malformed stored form (-1, never a crash), generated credentials, the
 * secret-file checks (mode, owner, symlink, type, content, O_EXCL, umask) and
 * the verbatim reader of keys shared with Dovecot (trailing newline kept). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hb-secret.h"

/* python3 -c "import hashlib,base64; print(base64.b64encode(hashlib.pbkdf2_hmac(
 *   'sha256', b'pw', b'0123456789abcdef', 100000)).rstrip(b'='))" */
#define KAT_HASH "t9gU63kQhTLkUZA7f8peN5LsQLft4SrcHNA9Fs+60To"
/* base64 of "0123456789abcdef" without its "==" */
#define KAT_SALT "MDEyMzQ1Njc4OWFiY2RlZg"
#define KAT_STORED "$pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH
#define MB_SALT "abcdefghijklmnop"
#define MB_HASH86 \
	"ctKh0/vR6LtB5z.Ybyf59RPDpNM1B4ZdF7v/5QwVJOmqR.8aO1YpVerpW8WirhhHgHceJjs/NO9ra0N8KnhA./"

/* ---- admin hashes ---- */

static void test_admin_known_answer(void **state)
{
	char out[HB_ADMIN_HASH_MAX];
	const char *error = NULL;

	if (hb_admin_hash_with_salt("pw", 100000, (const unsigned char *)"0123456789abcdef",
				    out, sizeof(out), &error) < 0)
		fail_msg("hash failed: %s", error);
	assert_string_equal(out, KAT_STORED);
	assert_int_equal(hb_admin_verify("pw", KAT_STORED, &error), 1);
	assert_int_equal(hb_admin_verify("pW", KAT_STORED, &error), 0);
	assert_int_equal(hb_admin_verify("pw ", KAT_STORED, &error), 0);
	/* a stored hash differing only in its last bytes does not match */
	assert_int_equal(hb_admin_verify("pw", "$pbkdf2-sha256$100000$" KAT_SALT
					 "$t9gU63kQhTLkUZA7f8peN5LsQLft4SrcHNA9Fs+60Uo", &error), 0);
	assert_int_equal(hb_admin_verify("pw", "$pbkdf2-sha256$100001$" KAT_SALT "$" KAT_HASH,
					 &error), 0);
}

static void test_admin_round_trip(void **state)
{
	char a[HB_ADMIN_HASH_MAX], b[HB_ADMIN_HASH_MAX];
	const char *error = NULL;
	const char *pw = "correct horse battery staple";

	if (hb_admin_hash(pw, HB_ADMIN_KDF_ITER_DEFAULT, a, sizeof(a), &error) < 0)
		fail_msg("hash failed: %s", error);
	assert_true(strncmp(a, "$pbkdf2-sha256$200000$", 22) == 0);
	/* prefix + ITER + $ + 22 salt chars + $ + 43 hash chars, no padding */
	assert_int_equal(strlen(a), 22 + 22 + 1 + 43);
	assert_null(strchr(a, '='));
	assert_int_equal(hb_admin_verify(pw, a, &error), 1);
	assert_int_equal(hb_admin_verify("correct horse battery stapl", a, &error), 0);
	assert_int_equal(hb_admin_verify("", a, &error), 0);

	/* same password, fresh salt: a different string that also verifies */
	if (hb_admin_hash(pw, HB_ADMIN_KDF_ITER_MIN, b, sizeof(b), &error) < 0)
		fail_msg("hash failed: %s", error);
	assert_string_not_equal(a, b);
	assert_true(strncmp(a + 22, b + 22, 22) != 0);
	assert_int_equal(hb_admin_verify(pw, b, &error), 1);
}

static void test_admin_refusals(void **state)
{
	char out[HB_ADMIN_HASH_MAX], big[HB_SECRET_MAX + 2];
	const char *error;

	error = NULL;
	assert_int_equal(hb_admin_hash("", HB_ADMIN_KDF_ITER_MIN, out, sizeof(out), &error), -1);
	assert_non_null(error);
	error = NULL;
	assert_int_equal(hb_admin_hash("pw", HB_ADMIN_KDF_ITER_MIN - 1, out, sizeof(out), &error), -1);
	assert_non_null(error);
	error = NULL;
	assert_int_equal(hb_admin_hash("pw", HB_ADMIN_KDF_ITER_MAX + 1, out, sizeof(out), &error), -1);
	assert_non_null(error);
	error = NULL;
	assert_int_equal(hb_admin_hash("pw", HB_ADMIN_KDF_ITER_MIN, out, 40, &error), -1);
	assert_non_null(error);

	memset(big, 'x', HB_SECRET_MAX + 1);
	big[HB_SECRET_MAX + 1] = '\0';
	error = NULL;
	assert_int_equal(hb_admin_hash(big, HB_ADMIN_KDF_ITER_MIN, out, sizeof(out), &error), -1);
	assert_non_null(error);
	/* exactly HB_SECRET_MAX bytes is fine, and the over-long one never matches */
	big[HB_SECRET_MAX] = '\0';
	assert_int_equal(hb_admin_hash(big, HB_ADMIN_KDF_ITER_MIN, out, sizeof(out), &error), 0);
	assert_int_equal(hb_admin_verify(big, out, &error), 1);
	big[HB_SECRET_MAX] = 'x';
	assert_int_equal(hb_admin_verify(big, out, &error), 0);
}

static void expect_admin_malformed(const char *stored)
{
	const char *error = NULL;
	int ret = hb_admin_verify("pw", stored, &error);

	if (ret != -1)
		fail_msg("malformed admin hash '%s' gave %d", stored, ret);
	assert_non_null(error);
	assert_true(strlen(error) > 0);
}

static void test_admin_malformed(void **state)
{
	static const char *const bad[] = {
		"", "$", "pw", KAT_HASH,
		"$pbkdf2-sha1$100000$" KAT_SALT "$" KAT_HASH,
		"$PBKDF2-SHA256$100000$" KAT_SALT "$" KAT_HASH,
		"pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH,
		" $pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH,
		"{PBKDF2}$pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$",
		"$pbkdf2-sha256$100000",
		"$pbkdf2-sha256$100000$",
		"$pbkdf2-sha256$100000$" KAT_SALT,
		"$pbkdf2-sha256$100000$" KAT_SALT "$",
		/* ITER */
		"$pbkdf2-sha256$$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$99999$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$10000001$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$0100000$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$+100000$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$-100000$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$ 100000$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$100000 $" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$1e6$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$0x186a0$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$18446744073709651616$" KAT_SALT "$" KAT_HASH,
		"$pbkdf2-sha256$4294967396$" KAT_SALT "$" KAT_HASH,
		/* SALT */
		"$pbkdf2-sha256$100000$$" KAT_HASH,
		"$pbkdf2-sha256$100000$" KAT_SALT "==$" KAT_HASH,
		"$pbkdf2-sha256$100000$MDEyMzQ1Njc4OWFiY2RlZ$" KAT_HASH,
		"$pbkdf2-sha256$100000$MDEyMzQ1Njc4OWFiY2RlZgA$" KAT_HASH,
		"$pbkdf2-sha256$100000$MDEyMzQ1Njc4OWFiY2RlZh$" KAT_HASH, /* nonzero spare bits */
		"$pbkdf2-sha256$100000$MDEyMzQ1Njc4OWFiY2Rl*g$" KAT_HASH,
		"$pbkdf2-sha256$100000$MDEyMzQ1Njc4OWFiY2Rl.g$" KAT_HASH,
		"$pbkdf2-sha256$100000$MDEyMzQ1Njc4OWFiY2Rl-g$" KAT_HASH,
		"$pbkdf2-sha256$100000$MDEyMzQ1Njc4O FiY2RlZg$" KAT_HASH,
		/* HASH */
		"$pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH "=",
		"$pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH "A",
		"$pbkdf2-sha256$100000$" KAT_SALT "$t9gU63kQhTLkUZA7f8peN5LsQLft4SrcHNA9Fs+60T",
		"$pbkdf2-sha256$100000$" KAT_SALT "$t9gU63kQhTLkUZA7f8peN5LsQLft4SrcHNA9Fs+60Tp",
		"$pbkdf2-sha256$100000$" KAT_SALT "$t9gU63kQhTLkUZA7f8peN5LsQLft4SrcHNA9Fs_60To",
		"$pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH "$",
		"$pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH "$x",
		"$pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH "\n",
		"$pbkdf2-sha256$100000$" KAT_SALT "$" KAT_HASH KAT_HASH,
		"$pbkdf2-sha256$100000$" KAT_SALT "$" KAT_SALT,
		"$pbkdf2-sha256$100000$" KAT_HASH "$" KAT_SALT,
		"$pbkdf2-sha256$100000$" KAT_SALT "$$" KAT_HASH,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_admin_malformed(bad[i]);
	/* the unmodified form is fine, so the cases above fail for their own reason */
	const char *error = NULL;
	assert_int_equal(hb_admin_verify("pw", KAT_STORED, &error), 1);
}

/* ---- mailbox hashes ---- */

/* Run doveadm with ARGV (no shell).  Without OUT_FD its output is discarded
 * and its exit status returned (the test fails if it could not run or died of
 * a signal); with OUT_FD, *OUT_FD reads its stdout and the caller wait()s. */
static int run_doveadm(char *const argv[], int *out_fd)
{
	int pipefd[2] = { -1, -1 }, status;
	pid_t pid;

	if (out_fd != NULL && pipe(pipefd) < 0)
		fail_msg("pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out_fd != NULL ? pipefd[1] : null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (out_fd != NULL) {
		close(pipefd[1]);
		*out_fd = pipefd[0];
		return 0;
	}
	if (waitpid(pid, &status, 0) < 0)
		fail_msg("waitpid: %s", strerror(errno));
	if (!WIFEXITED(status))
		fail_msg("doveadm did not exit normally");
	if (WEXITSTATUS(status) == 127)
		fail_msg("doveadm could not be run");
	return WEXITSTATUS(status);
}

static int doveadm_pw_test(const char *hash, const char *password)
{
	char *argv[] = { "doveadm", "pw", "-t", (char *)hash, "-p", (char *)password, NULL };

	return run_doveadm(argv, NULL);
}

static void test_mailbox_round_trip(void **state)
{
	char a[HB_MAILBOX_HASH_MAX], b[HB_MAILBOX_HASH_MAX];
	const char *error = NULL, *p;

	if (hb_mailbox_hash("s3cret", a, sizeof(a), &error) < 0)
		fail_msg("hash failed: %s", error);
	p = "{SHA512-CRYPT}$6$rounds=5000$";
	assert_true(strncmp(a, p, strlen(p)) == 0);
	assert_int_equal(strlen(a), strlen(p) + 16 + 1 + 86);
	for (size_t i = strlen(p); i < strlen(p) + 16; i++)
		assert_non_null(strchr("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", a[i]));
	assert_int_equal(a[strlen(p) + 16], '$');
	assert_int_equal(hb_mailbox_verify("s3cret", a, &error), 1);
	assert_int_equal(hb_mailbox_verify("s3creT", a, &error), 0);
	assert_int_equal(hb_mailbox_verify("", a, &error), 0);
	/* only the last hash character differs: no match */
	memcpy(b, a, sizeof(b));
	b[strlen(b) - 1] = b[strlen(b) - 1] == '.' ? '/' : '.';
	assert_int_equal(hb_mailbox_verify("s3cret", b, &error), 0);

	if (hb_mailbox_hash("s3cret", b, sizeof(b), &error) < 0)
		fail_msg("hash failed: %s", error);
	assert_string_not_equal(a, b);
	assert_int_equal(hb_mailbox_verify("s3cret", b, &error), 1);
}

static void test_mailbox_doveadm(void **state)
{
	static const char *const passwords[] = {
		"s3cret", "correct horse battery staple", "p\xc3\xa4$s w'o\"rd;`x`",
		"0123456789abcdefghijklmnopqrstuvwxyz2345",
	};
	char hash[HB_MAILBOX_HASH_MAX];
	const char *error = NULL;

	for (size_t i = 0; i < sizeof(passwords) / sizeof(passwords[0]); i++) {
		if (hb_mailbox_hash(passwords[i], hash, sizeof(hash), &error) < 0)
			fail_msg("hash failed: %s", error);
		if (doveadm_pw_test(hash, passwords[i]) != 0)
			fail_msg("doveadm refused our hash of password #%zu: %s", i, hash);
		if (doveadm_pw_test(hash, "wrong password") == 0)
			fail_msg("doveadm accepted a wrong password for %s", hash);
	}
}

/* Dovecot's own SHA512-CRYPT (no rounds=) verifies with hb_mailbox_verify. */
static void test_mailbox_from_doveadm(void **state)
{
	char *argv[] = { "doveadm", "pw", "-s", "SHA512-CRYPT", "-p", "from dovecot", NULL };
	char buf[HB_MAILBOX_HASH_MAX + 2];
	const char *error = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, status;

	run_doveadm(argv, &fd);
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	assert_int_not_equal(wait(&status), -1);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	buf[len] = '\0';
	assert_true(len > 0 && buf[len - 1] == '\n');
	buf[len - 1] = '\0';
	assert_true(strncmp(buf, "{SHA512-CRYPT}$6$", 17) == 0);
	assert_int_equal(hb_mailbox_verify("from dovecot", buf, &error), 1);
	assert_int_equal(hb_mailbox_verify("from Dovecot", buf, &error), 0);
}

static void test_mailbox_refusals(void **state)
{
	char out[HB_MAILBOX_HASH_MAX], big[HB_SECRET_MAX + 2];
	const char *error;

	error = NULL;
	assert_int_equal(hb_mailbox_hash("", out, sizeof(out), &error), -1);
	assert_non_null(error);
	error = NULL;
	assert_int_equal(hb_mailbox_hash("pw", out, 100, &error), -1);
	assert_non_null(error);
	memset(big, 'y', HB_SECRET_MAX + 1);
	big[HB_SECRET_MAX + 1] = '\0';
	error = NULL;
	assert_int_equal(hb_mailbox_hash(big, out, sizeof(out), &error), -1);
	assert_non_null(error);
}

static void expect_mailbox_malformed(const char *stored)
{
	const char *error = NULL;
	int ret = hb_mailbox_verify("pw", stored, &error);

	if (ret != -1)
		fail_msg("malformed mailbox hash '%s' gave %d", stored, ret);
	assert_non_null(error);
	assert_true(strlen(error) > 0);
}

static void test_mailbox_malformed(void **state)
{
	static const char *const bad[] = {
		"", "{SHA512-CRYPT}", "{SHA512-CRYPT}$6$", "{SHA512-CRYPT}$6$$",
		"$6$" MB_SALT "$" MB_HASH86,
		"{sha512-crypt}$6$" MB_SALT "$" MB_HASH86,
		"{CRYPT}$6$" MB_SALT "$" MB_HASH86,
		"{SHA256-CRYPT}$5$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$5$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$2b$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$6" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT} $6$" MB_SALT "$" MB_HASH86,
		"{PLAIN}pw",
		/* rounds */
		"{SHA512-CRYPT}$6$rounds=$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$6$rounds=999$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$6$rounds=05000$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$6$rounds=1000001$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$6$rounds=999999999$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$6$rounds=-5000$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$6$rounds=5k$" MB_SALT "$" MB_HASH86,
		"{SHA512-CRYPT}$6$rounds=5000" MB_SALT "$" MB_HASH86,
		/* salt */
		"{SHA512-CRYPT}$6$$" MB_HASH86,
		"{SHA512-CRYPT}$6$rounds=5000$$" MB_HASH86,
		"{SHA512-CRYPT}$6$" MB_SALT "q$" MB_HASH86,
		"{SHA512-CRYPT}$6$abc!efgh$" MB_HASH86,
		"{SHA512-CRYPT}$6$abc efgh$" MB_HASH86,
		"{SHA512-CRYPT}$6$" MB_HASH86,
		/* hash */
		"{SHA512-CRYPT}$6$" MB_SALT "$",
		"{SHA512-CRYPT}$6$" MB_SALT "$" MB_HASH86 "A",
		"{SHA512-CRYPT}$6$" MB_SALT "$" MB_HASH86 "\n",
		"{SHA512-CRYPT}$6$" MB_SALT "$" MB_HASH86 "$",
		"{SHA512-CRYPT}$6$" MB_SALT "$"
		"ctKh0/vR6LtB5z.Ybyf59RPDpNM1B4ZdF7v/5QwVJOmqR.8aO1YpVerpW8WirhhHgHceJjs/NO9ra0N8KnhA.",
		"{SHA512-CRYPT}$6$" MB_SALT "$"
		"ctKh0/vR6LtB5z.Ybyf59RPDpNM1B4ZdF7v/5QwVJOmqR.8aO1YpVerpW8WirhhHgHceJjs/NO9ra0N8KnhA+/",
		"{SHA512-CRYPT}$6$" MB_SALT "$" MB_SALT,
	};
	char good[HB_MAILBOX_HASH_MAX];
	const char *error = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_mailbox_malformed(bad[i]);
	/* the unmodified shapes parse (and do not match "pw") */
	assert_int_equal(hb_mailbox_verify("pw", "{SHA512-CRYPT}$6$" MB_SALT "$" MB_HASH86, &error), 0);
	snprintf(good, sizeof(good), "{SHA512-CRYPT}$6$rounds=1000$%s$%s", MB_SALT, MB_HASH86);
	assert_int_equal(hb_mailbox_verify("pw", good, &error), 0);
}

/* ---- generated credentials ---- */

static void test_generate(void **state)
{
	char a[HB_SECRET_GENERATED_LEN + 1], b[HB_SECRET_GENERATED_LEN + 1];

	assert_int_equal(hb_secret_generate(a, sizeof(a)), 0);
	assert_int_equal(hb_secret_generate(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), HB_SECRET_GENERATED_LEN);
	assert_int_equal(strlen(b), HB_SECRET_GENERATED_LEN);
	assert_int_equal(strspn(a, "abcdefghijklmnopqrstuvwxyz234567"), HB_SECRET_GENERATED_LEN);
	assert_int_equal(strspn(b, "abcdefghijklmnopqrstuvwxyz234567"), HB_SECRET_GENERATED_LEN);
	assert_string_not_equal(a, b);
	assert_int_equal(hb_secret_generate(a, HB_SECRET_GENERATED_LEN), -1);
	assert_int_equal(hb_secret_generate(a, 0), -1);
}

/* Over many secrets every base32 character shows up (no stuck bits). */
static void test_generate_alphabet_covered(void **state)
{
	char s[HB_SECRET_GENERATED_LEN + 1];
	unsigned int seen = 0;
	const char *alpha = "abcdefghijklmnopqrstuvwxyz234567";

	for (int i = 0; i < 200; i++) {
		assert_int_equal(hb_secret_generate(s, sizeof(s)), 0);
		for (size_t j = 0; j < HB_SECRET_GENERATED_LEN; j++)
			seen |= 1u << (strchr(alpha, s[j]) - alpha);
	}
	assert_int_equal(seen, 0xffffffffu);
}

/* ---- secret files ---- */

struct file_fixture {
	char dir[64];
	char path[128];
};

static int file_setup(void **state)
{
	struct file_fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-hb-secret.XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int file_teardown(void **state)
{
	struct file_fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;
	char p[512];
	int ret = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
		if (unlink(p) < 0 && rmdir(p) < 0)
			ret = -1;
	}
	if (d != NULL)
		closedir(d);
	if (rmdir(f->dir) < 0)
		ret = -1;
	free(f);
	return ret;
}

/* Create DIR/NAME with LEN bytes of DATA and MODE; returns its path. */
static const char *make_file(struct file_fixture *f, const char *name, const char *data,
			     size_t len, mode_t mode)
{
	int fd;

	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	fd = open(f->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
	return f->path;
}

static void expect_read(const char *path, const char *expected)
{
	char out[HB_SECRET_MAX + 1];
	const char *error = NULL;

	if (hb_secret_read_file(path, out, sizeof(out), &error) < 0)
		fail_msg("%s refused: %s", path, error);
	assert_string_equal(out, expected);
}

typedef int secret_reader(const char *path, char *out, size_t out_size, const char **error_r);

/* Reading PATH with READER fails with a reason containing WHY. */
static void expect_refused_by(secret_reader *reader, const char *path, const char *why)
{
	char out[HB_SECRET_MAX + 1];
	const char *error = NULL;

	memset(out, 'z', sizeof(out));
	if (reader(path, out, sizeof(out), &error) == 0)
		fail_msg("%s accepted (expected: %s)", path, why);
	assert_non_null(error);
	if (strstr(error, why) == NULL)
		fail_msg("reason for %s is '%s', expected '%s'", path, error, why);
	assert_int_equal(out[0], '\0');
}

static void expect_read_refused(const char *path, const char *why)
{
	expect_refused_by(hb_secret_read_file, path, why);
}

static void test_read_good(void **state)
{
	struct file_fixture *f = *state;
	char big[HB_SECRET_MAX + 3];

	expect_read(make_file(f, "nl", "s3cret\n", 7, 0600), "s3cret");
	expect_read(make_file(f, "crlf", "s3cret\r\n", 8, 0600), "s3cret");
	expect_read(make_file(f, "bare", "s3cret", 6, 0600), "s3cret");
	expect_read(make_file(f, "ro", "x y z\n", 6, 0400), "x y z");

	memset(big, 'k', sizeof(big));
	big[HB_SECRET_MAX] = '\r';
	big[HB_SECRET_MAX + 1] = '\n';
	make_file(f, "max", big, HB_SECRET_MAX + 2, 0600);
	big[HB_SECRET_MAX] = '\0';
	expect_read(f->path, big);
}

static void test_read_bad_content(void **state)
{
	struct file_fixture *f = *state;
	char big[HB_SECRET_MAX + 8];
	char out[8];
	const char *error = NULL;

	expect_read_refused(make_file(f, "empty", "", 0, 0600), "is empty");
	expect_read_refused(make_file(f, "onlynl", "\n", 1, 0600), "is empty");
	expect_read_refused(make_file(f, "onlycrlf", "\r\n", 2, 0600), "is empty");
	expect_read_refused(make_file(f, "nul", "ab\0cd\n", 6, 0600), "NUL");
	expect_read_refused(make_file(f, "nul0", "\0\n", 2, 0600), "NUL");
	expect_read_refused(make_file(f, "twonl", "abc\n\n", 5, 0600), "more than one line");
	expect_read_refused(make_file(f, "twolines", "abc\ndef\n", 8, 0600), "more than one line");
	expect_read_refused(make_file(f, "cr", "abc\r", 4, 0600), "more than one line");

	memset(big, 'k', sizeof(big));
	expect_read_refused(make_file(f, "long", big, HB_SECRET_MAX + 1, 0600), "longer than");
	big[HB_SECRET_MAX + 1] = '\n';
	expect_read_refused(make_file(f, "longnl", big, HB_SECRET_MAX + 2, 0600), "longer than");
	expect_read_refused(make_file(f, "huge", big, sizeof(big), 0600), "longer than");

	/* fits the file rules but not the caller's buffer */
	make_file(f, "small", "12345678\n", 9, 0600);
	assert_int_equal(hb_secret_read_file(f->path, out, sizeof(out), &error), -1);
	assert_non_null(strstr(error, "does not fit"));
	make_file(f, "fits", "1234567\n", 8, 0600);
	assert_int_equal(hb_secret_read_file(f->path, out, sizeof(out), &error), 0);
	assert_string_equal(out, "1234567");
}

static void test_read_bad_file(void **state)
{
	struct file_fixture *f = *state;
	char link[160], msg[300];

	make_file(f, "g", "s\n", 2, 0644);
	snprintf(msg, sizeof(msg), "readable by group/others (mode 0644): chmod 600 %s", f->path);
	expect_read_refused(f->path, msg);
	expect_read_refused(make_file(f, "g2", "s\n", 2, 0640), "(mode 0640)");
	expect_read_refused(make_file(f, "o", "s\n", 2, 0604), "(mode 0604)");
	expect_read_refused(make_file(f, "gw", "s\n", 2, 0620), "accessible by group/others (mode 0620)");
	expect_read_refused(make_file(f, "ox", "s\n", 2, 0601), "(mode 0601)");

	/* a symlink to a good file */
	make_file(f, "target", "s\n", 2, 0600);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	expect_read_refused(link, "symbolic link");

	snprintf(f->path, sizeof(f->path), "%s/subdir", f->dir);
	assert_int_equal(mkdir(f->path, 0700), 0);
	expect_read_refused(f->path, "not a regular file");

	/* a FIFO must not block the reader */
	snprintf(f->path, sizeof(f->path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	expect_read_refused(f->path, "not a regular file");

	snprintf(f->path, sizeof(f->path), "%s/missing", f->dir);
	expect_read_refused(f->path, "cannot open");
}

static void test_read_other_owner(void **state)
{
	struct file_fixture *f = *state;

	make_file(f, "owned", "s\n", 2, 0600);
	if (geteuid() != 0) {
		/* cannot give a file away: at least our own file is fine */
		expect_read(f->path, "s");
		return;
	}
	assert_int_equal(chown(f->path, 65534, 65534), 0);
	expect_read_refused(f->path, "is owned by uid 65534, not by uid 0");
}

/* Reading PATH verbatim gives exactly the LEN bytes EXPECTED. */
static void expect_verbatim(const char *path, const char *expected, size_t len)
{
	char out[HB_SECRET_MAX + 1];
	const char *error = NULL;

	if (hb_secret_read_verbatim(path, out, sizeof(out), &error) < 0)
		fail_msg("%s refused: %s", path, error);
	assert_int_equal(strlen(out), len);
	assert_memory_equal(out, expected, len);
}

static void expect_verbatim_refused(const char *path, const char *why)
{
	expect_refused_by(hb_secret_read_verbatim, path, why);
}

/* The key is the whole file, as Dovecot's "doveadm_api_key = <FILE" reads it
 * (checked against Dovecot 2.3.19 by tests/system/test_apikey.py). */
static void test_verbatim_good(void **state)
{
	struct file_fixture *f = *state;
	char big[HB_SECRET_MAX];

	expect_verbatim(make_file(f, "nl", "s3cret\n", 7, 0600), "s3cret\n", 7);
	expect_verbatim(make_file(f, "bare", "s3cret", 6, 0600), "s3cret", 6);
	expect_verbatim(make_file(f, "crlf", "s3cret\r\n", 8, 0600), "s3cret\r\n", 8);
	expect_verbatim(make_file(f, "twonl", "k \n\n", 4, 0600), "k \n\n", 4);
	expect_verbatim(make_file(f, "lines", "a\nb\n", 4, 0400), "a\nb\n", 4);
	expect_verbatim(make_file(f, "lead", "\nk", 2, 0600), "\nk", 2);
	memset(big, 'k', sizeof(big));
	big[sizeof(big) - 1] = '\n';
	expect_verbatim(make_file(f, "max", big, sizeof(big), 0600), big, sizeof(big));
}

static void test_verbatim_refused(void **state)
{
	struct file_fixture *f = *state;
	char big[HB_SECRET_MAX + 8], out[8], link[160];
	const char *error = NULL;

	expect_verbatim_refused(make_file(f, "empty", "", 0, 0600), "is empty");
	expect_verbatim_refused(make_file(f, "onlynl", "\n", 1, 0600), "only a line break");
	expect_verbatim_refused(make_file(f, "onlycrlf", "\r\n\n", 3, 0600), "only a line break");
	expect_verbatim_refused(make_file(f, "nul", "ab\0cd\n", 6, 0600), "NUL");
	memset(big, 'k', sizeof(big));
	expect_verbatim_refused(make_file(f, "long", big, HB_SECRET_MAX + 1, 0600), "longer than");
	expect_verbatim_refused(make_file(f, "huge", big, sizeof(big), 0600), "longer than");
	expect_verbatim_refused(make_file(f, "g", "s\n", 2, 0640), "(mode 0640)");
	expect_verbatim_refused(make_file(f, "o", "s\n", 2, 0604), "(mode 0604)");
	make_file(f, "target", "s\n", 2, 0600);
	snprintf(link, sizeof(link), "%s/link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	expect_verbatim_refused(link, "symbolic link");
	snprintf(f->path, sizeof(f->path), "%s/fifo", f->dir);
	assert_int_equal(mkfifo(f->path, 0600), 0);
	expect_verbatim_refused(f->path, "not a regular file");

	/* the newline counts against the caller's buffer */
	make_file(f, "small", "1234567\n", 8, 0600);
	assert_int_equal(hb_secret_read_verbatim(f->path, out, sizeof(out), &error), -1);
	assert_non_null(strstr(error, "does not fit"));
	make_file(f, "fits", "123456\n", 7, 0600);
	assert_int_equal(hb_secret_read_verbatim(f->path, out, sizeof(out), &error), 0);
	assert_string_equal(out, "123456\n");
}

/* root (hbctl) may read the director's key file; nobody else another's. */
static void test_verbatim_owner(void **state)
{
	struct file_fixture *f = *state;

	make_file(f, "owned", "s\n", 2, 0600);
	if (geteuid() != 0) {
		expect_verbatim(f->path, "s\n", 2);
		return;
	}
	assert_int_equal(chown(f->path, 65534, 65534), 0);
	expect_verbatim(f->path, "s\n", 2);
	expect_read_refused(f->path, "is owned by uid 65534");   /* the strict reader */
}

static void test_line_end(void **state)
{
	assert_int_equal(hb_secret_line_end(""), 0);
	assert_int_equal(hb_secret_line_end("key"), 0);
	assert_int_equal(hb_secret_line_end("key\n"), 1);
	assert_int_equal(hb_secret_line_end("key\r\n"), 2);
	assert_int_equal(hb_secret_line_end("key\n\n"), 2);
	assert_int_equal(hb_secret_line_end("a\nkey "), 0);
	assert_int_equal(hb_secret_line_end("\n"), 1);
}

static void test_write(void **state)
{
	struct file_fixture *f = *state;
	char buf[64], link[160];
	const char *error = NULL;
	struct stat st;
	mode_t old = umask(0);
	int fd;

	int ret;

	snprintf(f->path, sizeof(f->path), "%s/new", f->dir);
	ret = hb_secret_write_file(f->path, "abc def", &error);
	umask(old);
	if (ret < 0)
		fail_msg("write failed: %s", error);
	assert_int_equal(lstat(f->path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	fd = open(f->path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, buf, sizeof(buf)), 8);
	close(fd);
	assert_memory_equal(buf, "abc def\n", 8);
	expect_read(f->path, "abc def");

	/* an existing file is never overwritten */
	error = NULL;
	assert_int_equal(hb_secret_write_file(f->path, "other", &error), -1);
	assert_non_null(strstr(error, "already exists"));
	expect_read(f->path, "abc def");

	/* a dangling symlink is not followed: its target is not created */
	snprintf(link, sizeof(link), "%s/dangling", f->dir);
	snprintf(f->path, sizeof(f->path), "%s/created-through-link", f->dir);
	assert_int_equal(symlink(f->path, link), 0);
	assert_int_equal(hb_secret_write_file(link, "x", &error), -1);
	assert_int_equal(access(f->path, F_OK), -1);

	/* secrets that could not be read back are refused, nothing is created */
	snprintf(f->path, sizeof(f->path), "%s/bad", f->dir);
	assert_int_equal(hb_secret_write_file(f->path, "", &error), -1);
	assert_int_equal(hb_secret_write_file(f->path, "a\nb", &error), -1);
	assert_int_equal(hb_secret_write_file(f->path, "ab\r", &error), -1);
	assert_int_equal(access(f->path, F_OK), -1);

	snprintf(f->path, sizeof(f->path), "%s/no/such/dir", f->dir);
	assert_int_equal(hb_secret_write_file(f->path, "x", &error), -1);
	assert_non_null(strstr(error, "cannot create"));
}

/* A generated secret survives write + read unchanged. */
static void test_write_generated(void **state)
{
	struct file_fixture *f = *state;
	char gen[HB_SECRET_GENERATED_LEN + 1], back[HB_SECRET_GENERATED_LEN + 1];
	const char *error = NULL;
	mode_t old = umask(077);

	assert_int_equal(hb_secret_generate(gen, sizeof(gen)), 0);
	snprintf(f->path, sizeof(f->path), "%s/gen", f->dir);
	int ret = hb_secret_write_file(f->path, gen, &error);

	umask(old);
	assert_int_equal(ret, 0);
	assert_int_equal(hb_secret_read_file(f->path, back, sizeof(back), &error), 0);
	assert_string_equal(gen, back);
	hb_secret_wipe(gen, sizeof(gen));
	for (size_t i = 0; i < sizeof(gen); i++)
		assert_int_equal(gen[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_admin_known_answer),
		cmocka_unit_test(test_admin_round_trip),
		cmocka_unit_test(test_admin_refusals),
		cmocka_unit_test(test_admin_malformed),
		cmocka_unit_test(test_mailbox_round_trip),
		cmocka_unit_test(test_mailbox_doveadm),
		cmocka_unit_test(test_mailbox_from_doveadm),
		cmocka_unit_test(test_mailbox_refusals),
		cmocka_unit_test(test_mailbox_malformed),
		cmocka_unit_test(test_generate),
		cmocka_unit_test(test_generate_alphabet_covered),
		cmocka_unit_test_setup_teardown(test_read_good, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_read_bad_content, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_read_bad_file, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_read_other_owner, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_verbatim_good, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_verbatim_refused, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_verbatim_owner, file_setup, file_teardown),
		cmocka_unit_test(test_line_end),
		cmocka_unit_test_setup_teardown(test_write, file_setup, file_teardown),
		cmocka_unit_test_setup_teardown(test_write_generated, file_setup, file_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
