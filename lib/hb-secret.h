/* hb-secret.h - password hashes, generated credentials and secret files
 * (docs/DOMAINS.md 3).  Admin passwords: PBKDF2-HMAC-SHA256 (OpenSSL EVP);
 * mailbox passwords: {SHA512-CRYPT} (libxcrypt), which Dovecot verifies itself.
 * Secret files are read and written by hb-secret-file.h (included here).
 * Never logs a secret; callers wipe their copies with hb_secret_wipe(). */
#ifndef HB_SECRET_H
#define HB_SECRET_H

#include <stddef.h>

#include "hb-secret-file.h"

/* Room for "$pbkdf2-sha256$ITER$SALT$HASH" with its NUL (about 90 bytes used). */
#define HB_ADMIN_HASH_MAX 160
/* Room for "{SHA512-CRYPT}$6$rounds=5000$SALT$HASH" with its NUL (~130 used). */
#define HB_MAILBOX_HASH_MAX 160
/* Characters of a generated credential (20 random bytes in base32). */
#define HB_SECRET_GENERATED_LEN 32
/* PBKDF2 iterations: default for new hashes, smallest accepted, largest accepted. */
#define HB_ADMIN_KDF_ITER_DEFAULT 200000
#define HB_ADMIN_KDF_ITER_MIN 100000
#define HB_ADMIN_KDF_ITER_MAX 10000000
/* Salt and output lengths of the admin hash (bytes, before base64). */
#define HB_ADMIN_SALT_LEN 16
#define HB_ADMIN_KEY_LEN 32
/* Largest SHA512-CRYPT rounds= accepted when verifying (bounds the CPU spent). */
#define HB_MAILBOX_ROUNDS_MAX 1000000

/* Hash PASSWORD (1..HB_SECRET_MAX bytes) as "$pbkdf2-sha256$ITER$SALT$HASH"
 * with a fresh 16-byte salt from RAND_bytes() and ITERATIONS in
 * [HB_ADMIN_KDF_ITER_MIN, HB_ADMIN_KDF_ITER_MAX].  Writes OUT (OUT_SIZE >=
 * HB_ADMIN_HASH_MAX is always enough).  Returns 0, or -1 with a static reason. */
int hb_admin_hash(const char *password, unsigned int iterations,
		  char *out, size_t out_size, const char **error_r);

/* As hb_admin_hash() with a caller-given SALT of HB_ADMIN_SALT_LEN bytes.
 * For known-answer tests only: real hashes must use hb_admin_hash(). */
int hb_admin_hash_with_salt(const char *password, unsigned int iterations,
			    const unsigned char *salt, char *out, size_t out_size,
			    const char **error_r);

/* Check PASSWORD against STORED (as made by hb_admin_hash), recomputing with
 * the stored ITER and comparing in constant time.  Returns 1 on match, 0 on
 * mismatch (also for an empty or over-long password), -1 with a static reason
 * if STORED is malformed (prefix, ITER, base64, lengths). */
int hb_admin_verify(const char *password, const char *stored, const char **error_r);

/* Hash PASSWORD (1..HB_SECRET_MAX bytes) as "{SHA512-CRYPT}$6$rounds=5000$SALT$…"
 * with crypt_rn() and a 16-character salt from RAND_bytes().  OUT_SIZE >=
 * HB_MAILBOX_HASH_MAX is enough.  Returns 0, or -1 with a static reason. */
int hb_mailbox_hash(const char *password, char *out, size_t out_size, const char **error_r);

/* Check PASSWORD against a "{SHA512-CRYPT}$6$[rounds=N$]SALT$HASH" value (ours
 * or Dovecot's), constant-time.  Returns 1 match, 0 mismatch, -1 with a static
 * reason if STORED is not a well-formed SHA512-CRYPT value (other schemes too). */
int hb_mailbox_verify(const char *password, const char *stored, const char **error_r);

/* Write HB_SECRET_GENERATED_LEN characters of lower-case base32 [a-z2-7] (20
 * bytes of RAND_bytes) and a NUL to OUT.  Returns 0, or -1 if OUT_SIZE <
 * HB_SECRET_GENERATED_LEN + 1 or the random generator fails. */
int hb_secret_generate(char *out, size_t out_size);

/* Overwrite LEN bytes at BUF with zeros in a way the compiler keeps
 * (OPENSSL_cleanse). */
void hb_secret_wipe(void *buf, size_t len);

#endif
