/* hb-secret.c - the one place where passwords are hashed and verified, random
 * credentials are made, and secret files are read or written (DOMAINS.md 3).
 * Stored strings are parsed strictly; comparisons are constant-time; every
 * temporary copy of a secret is wiped.  Must never log or print a secret. */
#include "hb-secret.h"
#include "hb-base64.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define ADMIN_PREFIX "$pbkdf2-sha256$"
#define MAILBOX_PREFIX "{SHA512-CRYPT}"
#define SHA512_CRYPT_ROUNDS 5000
#define SHA512_CRYPT_SALT_LEN 16
#define SHA512_CRYPT_HASH_LEN 86
#define SECRET_ERROR_MAX 640
/* paths in error messages are cut to this many bytes */
#define ERROR_PATH_MAX "400"

static const char crypt_alphabet[] =
	"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
static const char base32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

void hb_secret_wipe(void *buf, size_t len)
{
	if (buf != NULL && len > 0)
		OPENSSL_cleanse(buf, len);
}

/* ---- unpadded base64 ---- */

/* Encode IN without '=' padding; returns 0 or -1 if OUT is too small. */
static int b64_encode_unpadded(const unsigned char *in, size_t len, char *out, size_t out_size)
{
	size_t n = hb_base64_encode(in, len, out, out_size);

	if (n == 0)
		return -1;
	while (n > 0 && out[n - 1] == '=')
		out[--n] = '\0';
	return 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Decode exactly OUT_LEN bytes from the IN_LEN characters at IN (unpadded,
 * canonical: unused trailing bits must be zero).  Returns 0 or -1. */
static int b64_decode_exact(const char *in, size_t in_len, unsigned char *out, size_t out_len)
{
	unsigned int acc = 0, bits = 0;
	size_t o = 0;

	if (in_len != (out_len * 8 + 5) / 6)
		return -1;
	for (size_t i = 0; i < in_len; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return -1;
		acc = ((acc << 6) | (unsigned int)v) & 0xfff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	if (o != out_len || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return 0;
}

/* ---- admin passwords: $pbkdf2-sha256$ITER$SALT$HASH ---- */

static int check_password(const char *password, const char **error_r)
{
	size_t len = strnlen(password, HB_SECRET_MAX + 1);

	if (len == 0) {
		*error_r = "password is empty";
		return -1;
	}
	if (len > HB_SECRET_MAX) {
		*error_r = "password is longer than 1024 bytes";
		return -1;
	}
	return 0;
}

static int pbkdf2(const char *password, unsigned int iterations, const unsigned char *salt,
		  unsigned char key[HB_ADMIN_KEY_LEN])
{
	return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, HB_ADMIN_SALT_LEN,
				 (int)iterations, EVP_sha256(), HB_ADMIN_KEY_LEN, key) == 1 ? 0 : -1;
}

int hb_admin_hash_with_salt(const char *password, unsigned int iterations,
			    const unsigned char *salt, char *out, size_t out_size,
			    const char **error_r)
{
	unsigned char key[HB_ADMIN_KEY_LEN];
	char salt64[32], key64[64];
	int n;

	if (check_password(password, error_r) < 0)
		return -1;
	if (iterations < HB_ADMIN_KDF_ITER_MIN || iterations > HB_ADMIN_KDF_ITER_MAX) {
		*error_r = "PBKDF2 iterations outside [100000, 10000000]";
		return -1;
	}
	if (pbkdf2(password, iterations, salt, key) < 0) {
		*error_r = "PKCS5_PBKDF2_HMAC failed";
		return -1;
	}
	if (b64_encode_unpadded(salt, HB_ADMIN_SALT_LEN, salt64, sizeof(salt64)) < 0 ||
	    b64_encode_unpadded(key, sizeof(key), key64, sizeof(key64)) < 0) {
		hb_secret_wipe(key, sizeof(key));
		*error_r = "base64 encoding failed";
		return -1;
	}
	hb_secret_wipe(key, sizeof(key));
	n = snprintf(out, out_size, ADMIN_PREFIX "%u$%s$%s", iterations, salt64, key64);
	if (n < 0 || (size_t)n >= out_size) {
		hb_secret_wipe(out, out_size);
		*error_r = "output buffer too small for the admin hash";
		return -1;
	}
	return 0;
}

int hb_admin_hash(const char *password, unsigned int iterations,
		  char *out, size_t out_size, const char **error_r)
{
	unsigned char salt[HB_ADMIN_SALT_LEN];

	if (RAND_bytes(salt, sizeof(salt)) != 1) {
		*error_r = "RAND_bytes failed";
		return -1;
	}
	return hb_admin_hash_with_salt(password, iterations, salt, out, out_size, error_r);
}

/* Parse the decimal at *P up to '$' (no sign, no leading zero, at most
 * MAX_DIGITS digits) into *VALUE_R and move *P past the '$'. */
static int parse_decimal(const char **p, unsigned int max_digits, unsigned long *value_r)
{
	const char *s = *p;
	unsigned long v = 0;
	unsigned int n = 0;

	if (*s == '0')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++n > max_digits)
			return -1;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (n == 0 || *s != '$')
		return -1;
	*value_r = v;
	*p = s + 1;
	return 0;
}

static int parse_admin(const char *stored, unsigned int *iter_r, unsigned char *salt,
		       unsigned char *key, const char **error_r)
{
	const char *p = stored, *end;
	unsigned long iter;

	if (strncmp(p, ADMIN_PREFIX, strlen(ADMIN_PREFIX)) != 0) {
		*error_r = "stored admin hash does not start with $pbkdf2-sha256$";
		return -1;
	}
	p += strlen(ADMIN_PREFIX);
	if (parse_decimal(&p, 8, &iter) < 0 ||
	    iter < HB_ADMIN_KDF_ITER_MIN || iter > HB_ADMIN_KDF_ITER_MAX) {
		*error_r = "stored admin hash has an iteration count that is not a decimal in [100000, 10000000]";
		return -1;
	}
	end = strchr(p, '$');
	if (end == NULL || b64_decode_exact(p, (size_t)(end - p), salt, HB_ADMIN_SALT_LEN) < 0) {
		*error_r = "stored admin hash has a salt that is not 16 bytes of unpadded base64";
		return -1;
	}
	p = end + 1;
	if (b64_decode_exact(p, strnlen(p, 64), key, HB_ADMIN_KEY_LEN) < 0) {
		*error_r = "stored admin hash has a hash that is not 32 bytes of unpadded base64";
		return -1;
	}
	*iter_r = (unsigned int)iter;
	return 0;
}

int hb_admin_verify(const char *password, const char *stored, const char **error_r)
{
	unsigned char salt[HB_ADMIN_SALT_LEN], want[HB_ADMIN_KEY_LEN], got[HB_ADMIN_KEY_LEN];
	unsigned int iter;
	const char *pw_error;
	int ret;

	if (parse_admin(stored, &iter, salt, want, error_r) < 0)
		return -1;
	if (check_password(password, &pw_error) < 0)
		return 0;
	if (pbkdf2(password, iter, salt, got) < 0) {
		*error_r = "PKCS5_PBKDF2_HMAC failed";
		return -1;
	}
	ret = CRYPTO_memcmp(want, got, sizeof(got)) == 0 ? 1 : 0;
	hb_secret_wipe(got, sizeof(got));
	hb_secret_wipe(want, sizeof(want));
	return ret;
}

/* ---- mailbox passwords: {SHA512-CRYPT}$6$[rounds=N$]SALT$HASH ---- */

/* Run crypt_rn(PASSWORD, SETTING) into OUT; fails on NULL or a "*" result. */
static int run_crypt(const char *password, const char *setting, char *out, size_t out_size)
{
	struct crypt_data *data = calloc(1, sizeof(*data));
	const char *res;
	int ret = -1;

	if (data == NULL)
		return -1;
	res = crypt_rn(password, setting, data, (int)sizeof(*data));
	if (res != NULL && res[0] == '$' && strlen(res) < out_size) {
		memcpy(out, res, strlen(res) + 1);
		ret = 0;
	}
	hb_secret_wipe(data, sizeof(*data));
	free(data);
	return ret;
}

int hb_mailbox_hash(const char *password, char *out, size_t out_size, const char **error_r)
{
	unsigned char rnd[SHA512_CRYPT_SALT_LEN];
	char setting[64], result[CRYPT_OUTPUT_SIZE];
	int n, len;

	if (check_password(password, error_r) < 0)
		return -1;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		*error_r = "RAND_bytes failed";
		return -1;
	}
	len = snprintf(setting, sizeof(setting), "$6$rounds=%d$", SHA512_CRYPT_ROUNDS);
	for (size_t i = 0; i < sizeof(rnd); i++)
		setting[len++] = crypt_alphabet[rnd[i] & 63];
	setting[len] = '\0';
	if (run_crypt(password, setting, result, sizeof(result)) < 0) {
		*error_r = "crypt_rn failed to compute SHA512-CRYPT";
		return -1;
	}
	n = snprintf(out, out_size, MAILBOX_PREFIX "%s", result);
	hb_secret_wipe(result, sizeof(result));
	if (n < 0 || (size_t)n >= out_size) {
		hb_secret_wipe(out, out_size);
		*error_r = "output buffer too small for the mailbox hash";
		return -1;
	}
	return 0;
}

/* Length of the run of crypt-alphabet characters at P. */
static size_t crypt_span(const char *p)
{
	size_t n = 0;

	while (p[n] != '\0' && strchr(crypt_alphabet, p[n]) != NULL)
		n++;
	return n;
}

/* Check the shape of a "$6$[rounds=N$]SALT$HASH" string. */
static int parse_sha512_crypt(const char *p, const char **error_r)
{
	unsigned long rounds;
	size_t n;

	if (strncmp(p, "$6$", 3) != 0) {
		*error_r = "stored mailbox hash is not {SHA512-CRYPT}$6$";
		return -1;
	}
	p += 3;
	if (strncmp(p, "rounds=", 7) == 0) {
		p += 7;
		if (parse_decimal(&p, 7, &rounds) < 0 || rounds < 1000 ||
		    rounds > HB_MAILBOX_ROUNDS_MAX) {
			*error_r = "stored mailbox hash has rounds= outside [1000, 1000000]";
			return -1;
		}
	}
	n = crypt_span(p);
	if (n == 0 || n > SHA512_CRYPT_SALT_LEN || p[n] != '$') {
		*error_r = "stored mailbox hash has a malformed salt";
		return -1;
	}
	p += n + 1;
	if (crypt_span(p) != SHA512_CRYPT_HASH_LEN || p[SHA512_CRYPT_HASH_LEN] != '\0') {
		*error_r = "stored mailbox hash has a malformed hash part";
		return -1;
	}
	return 0;
}

int hb_mailbox_verify(const char *password, const char *stored, const char **error_r)
{
	char result[CRYPT_OUTPUT_SIZE];
	const char *cstr, *pw_error;
	size_t len;
	int ret;

	if (strncmp(stored, MAILBOX_PREFIX, strlen(MAILBOX_PREFIX)) != 0) {
		*error_r = "stored mailbox hash does not start with {SHA512-CRYPT}";
		return -1;
	}
	cstr = stored + strlen(MAILBOX_PREFIX);
	if (parse_sha512_crypt(cstr, error_r) < 0)
		return -1;
	if (check_password(password, &pw_error) < 0)
		return 0;
	if (run_crypt(password, cstr, result, sizeof(result)) < 0) {
		*error_r = "crypt_rn failed on the stored mailbox hash";
		return -1;
	}
	len = strlen(cstr);
	ret = strlen(result) == len && CRYPTO_memcmp(result, cstr, len) == 0 ? 1 : 0;
	hb_secret_wipe(result, sizeof(result));
	return ret;
}

/* ---- generated credentials ---- */

int hb_secret_generate(char *out, size_t out_size)
{
	unsigned char rnd[HB_SECRET_GENERATED_LEN * 5 / 8];
	unsigned int acc = 0, bits = 0;
	size_t o = 0;

	if (out == NULL || out_size < HB_SECRET_GENERATED_LEN + 1)
		return -1;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		out[0] = '\0';
		return -1;
	}
	for (size_t i = 0; i < sizeof(rnd); i++) {
		acc = ((acc << 8) | rnd[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = base32_alphabet[(acc >> bits) & 31];
		}
	}
	out[o] = '\0';
	hb_secret_wipe(&acc, sizeof(acc));
	hb_secret_wipe(rnd, sizeof(rnd));
	return 0;
}

/* ---- secret files ---- */

static _Thread_local char secret_error[SECRET_ERROR_MAX];

static const char *file_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *file_error(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(secret_error, sizeof(secret_error), fmt, args);
	va_end(args);
	return secret_error;
}

/* Refuse anything but a regular file of ours without group/other bits;
 * with ROOT_READS_ANY, root may read a file of another owner. */
static int check_secret_stat(int fd, const char *path, int root_reads_any,
			     const char **error_r)
{
	struct stat st;
	unsigned int mode;

	if (fstat(fd, &st) < 0) {
		*error_r = file_error("fstat(%." ERROR_PATH_MAX "s) failed: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is not a regular file", path);
		return -1;
	}
	if (st.st_uid != geteuid() && !(root_reads_any && geteuid() == 0)) {
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is owned by uid %u, not by uid %u",
				      path, (unsigned int)st.st_uid, (unsigned int)geteuid());
		return -1;
	}
	mode = (unsigned int)st.st_mode & 07777;
	if ((mode & 077) != 0) {
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is %s by group/others (mode %04o): "
				      "chmod 600 %." ERROR_PATH_MAX "s",
				      path, (mode & 044) != 0 ? "readable" : "accessible", mode, path);
		return -1;
	}
	return 0;
}

/* Read up to SIZE bytes (until EOF) into BUF; returns the count or -1. */
static ssize_t read_bounded(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	return (ssize_t)len;
}

/* Strip one line end from BUF[0..*LEN) and check what remains. */
static int check_content(const char *path, const char *buf, size_t *len, size_t out_size,
			 const char **error_r)
{
	size_t n = *len;

	if (n > 0 && buf[n - 1] == '\n') {
		n--;
		if (n > 0 && buf[n - 1] == '\r')
			n--;
	}
	if (n == 0)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is empty", path);
	else if (n > HB_SECRET_MAX)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is longer than %d bytes",
				      path, HB_SECRET_MAX);
	else if (memchr(buf, '\0', n) != NULL)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s contains a NUL byte", path);
	else if (memchr(buf, '\n', n) != NULL || memchr(buf, '\r', n) != NULL)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s has more than one line", path);
	else if (n >= out_size)
		*error_r = file_error("secret in %." ERROR_PATH_MAX "s does not fit the buffer (%zu bytes)",
				      path, out_size);
	else {
		*len = n;
		return 0;
	}
	return -1;
}

static int secret_open(const char *path, int root_reads_any, const char **error_r)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

	if (fd < 0) {
		if (errno == ELOOP)
			*error_r = file_error("secret file %." ERROR_PATH_MAX "s is a symbolic link", path);
		else
			*error_r = file_error("cannot open secret file %." ERROR_PATH_MAX "s: %s",
					      path, strerror(errno));
		return -1;
	}
	if (check_secret_stat(fd, path, root_reads_any, error_r) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int hb_secret_open(const char *path, const char **error_r)
{
	return secret_open(path, 0, error_r);
}

int hb_secret_read_file(const char *path, char *out, size_t out_size, const char **error_r)
{
	char buf[HB_SECRET_MAX + 3];
	ssize_t n;
	size_t len;
	int fd, ret = -1;

	if (out_size > 0)
		out[0] = '\0';
	if ((fd = hb_secret_open(path, error_r)) < 0)
		return -1;
	n = read_bounded(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		*error_r = file_error("cannot read secret file %." ERROR_PATH_MAX "s: %s",
				      path, strerror(errno));
		return -1;
	}
	len = (size_t)n;
	if (check_content(path, buf, &len, out_size, error_r) == 0) {
		memcpy(out, buf, len);
		out[len] = '\0';
		ret = 0;
	}
	hb_secret_wipe(buf, sizeof(buf));
	return ret;
}

size_t hb_secret_line_end(const char *secret)
{
	size_t len = strlen(secret), n = 0;

	while (n < len && (secret[len - n - 1] == '\n' || secret[len - n - 1] == '\r'))
		n++;
	return n;
}

/* The whole of BUF[0..LEN) is the key: check it as Dovecot cannot. */
static int check_verbatim(const char *path, const char *buf, size_t len, size_t out_size,
			  const char **error_r)
{
	if (len == 0)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is empty", path);
	else if (len > HB_SECRET_MAX)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s is longer than %d bytes",
				      path, HB_SECRET_MAX);
	else if (memchr(buf, '\0', len) != NULL)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s contains a NUL byte", path);
	else if (strspn(buf, "\r\n") >= len)
		*error_r = file_error("secret file %." ERROR_PATH_MAX "s holds only a line break",
				      path);
	else if (len >= out_size)
		*error_r = file_error("secret in %." ERROR_PATH_MAX "s does not fit the buffer (%zu bytes)",
				      path, out_size);
	else
		return 0;
	return -1;
}

int hb_secret_read_verbatim(const char *path, char *out, size_t out_size, const char **error_r)
{
	char buf[HB_SECRET_MAX + 2];
	ssize_t n;
	int fd, ret = -1;

	if (out_size > 0)
		out[0] = '\0';
	if ((fd = secret_open(path, 1, error_r)) < 0)
		return -1;
	n = read_bounded(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		*error_r = file_error("cannot read secret file %." ERROR_PATH_MAX "s: %s",
				      path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	if (check_verbatim(path, buf, (size_t)n, out_size, error_r) == 0) {
		memcpy(out, buf, (size_t)n + 1);
		ret = 0;
	}
	hb_secret_wipe(buf, sizeof(buf));
	return ret;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write SECRET "\n" to the new file FD, force it to disk and close FD. */
static int write_and_close(int fd, const char *path, const char *secret, const char **error_r)
{
	const char *what = NULL;

	if (fchmod(fd, 0600) < 0)
		what = "fchmod";
	else if (write_all(fd, secret, strlen(secret)) < 0 || write_all(fd, "\n", 1) < 0)
		what = "write";
	else if (fsync(fd) < 0)
		what = "fsync";
	if (what != NULL) {
		*error_r = file_error("%s(%." ERROR_PATH_MAX "s) failed: %s", what, path, strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		*error_r = file_error("close(%." ERROR_PATH_MAX "s) failed: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int hb_secret_write_file(const char *path, const char *secret, const char **error_r)
{
	size_t len = strnlen(secret, HB_SECRET_MAX + 1);
	int fd;

	if (len == 0 || len > HB_SECRET_MAX || strpbrk(secret, "\r\n") != NULL) {
		*error_r = file_error("refusing to write %." ERROR_PATH_MAX "s: the secret must be "
				      "1-%d bytes on one line", path, HB_SECRET_MAX);
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			*error_r = file_error("secret file %." ERROR_PATH_MAX "s already exists: "
					      "refusing to overwrite it", path);
		else
			*error_r = file_error("cannot create secret file %." ERROR_PATH_MAX "s: %s",
					      path, strerror(errno));
		return -1;
	}
	if (write_and_close(fd, path, secret, error_r) < 0) {
		unlink(path);
		return -1;
	}
	return 0;
}
