/* tls.c - admind's TLS server context: TLS 1.2 or newer, the certificate
 * chain and a private key that must be a 0600 file of admind's own user
 * (hb_secret_open()), optionally client certificates from one CA.  Built
 * anew on SIGHUP; a context that fails to build never replaces a working
 * one.  Never asks for a passphrase. */
#include "admind.h"
#include "conns.h"
#include "hb-settings.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <unistd.h>

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag; (void)u;
	return -1;
}

static SSL_CTX *tls_fail(SSL_CTX *ctx, char *err, size_t err_size, const char *what,
			 const char *path)
{
	char why[256];

	ERR_error_string_n(ERR_get_error(), why, sizeof(why));
	snprintf(err, err_size, "%s %s: %s", what, path, why);
	ERR_clear_error();
	SSL_CTX_free(ctx);
	return NULL;
}

static int load_key(SSL_CTX *ctx, const char *path, char *err, size_t err_size)
{
	const char *error;
	EVP_PKEY *key;
	FILE *f;
	int fd = hb_secret_open(path, &error);

	if (fd < 0) {
		snprintf(err, err_size, "admind_key_file: %s", error);
		return -1;
	}
	if ((f = fdopen(fd, "r")) == NULL) {
		close(fd);
		snprintf(err, err_size, "admind_key_file %s: cannot read it", path);
		return -1;
	}
	key = PEM_read_PrivateKey(f, NULL, no_passphrase, NULL);
	fclose(f);
	if (key == NULL || SSL_CTX_use_PrivateKey(ctx, key) != 1) {
		EVP_PKEY_free(key);
		return -1;
	}
	EVP_PKEY_free(key);
	return 0;
}

SSL_CTX *admind_tls_create(const struct hb_settings *set, char *err, size_t err_size)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	err[0] = '\0';
	if (ctx == NULL)
		return tls_fail(ctx, err, err_size, "TLS", "context");
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
			    SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* the end of the handshake starts a connection's request deadline */
	SSL_CTX_set_info_callback(ctx, admind_conns_ssl_info);
	if (SSL_CTX_use_certificate_chain_file(ctx, set->admind_cert_file) != 1)
		return tls_fail(ctx, err, err_size, "admind_cert_file", set->admind_cert_file);
	if (load_key(ctx, set->admind_key_file, err, err_size) < 0) {
		if (err[0] != '\0') {
			SSL_CTX_free(ctx);
			return NULL;
		}
		return tls_fail(ctx, err, err_size, "admind_key_file", set->admind_key_file);
	}
	if (SSL_CTX_check_private_key(ctx) != 1)
		return tls_fail(ctx, err, err_size, "admind_key_file does not match", set->admind_cert_file);
	if (set->admind_client_ca_file[0] != '\0') {
		STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(set->admind_client_ca_file);

		if (names == NULL || SSL_CTX_load_verify_locations(ctx, set->admind_client_ca_file, NULL) != 1) {
			sk_X509_NAME_pop_free(names, X509_NAME_free);
			return tls_fail(ctx, err, err_size, "admind_client_ca_file", set->admind_client_ca_file);
		}
		SSL_CTX_set_client_CA_list(ctx, names);
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	}
	return ctx;
}
