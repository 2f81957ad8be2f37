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

