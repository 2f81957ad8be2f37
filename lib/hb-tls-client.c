/* hb-tls-client.c - TLS client contexts for the doveadm HTTP API: one CA
 * file, peer verification on, the backend's IP address or name checked.
 * No I/O beyond reading the CA file; callers run the handshake. */
#include "hb-tls-client.h"
#include "hb-settings.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

int hb_doveadm_tls_settings(const struct hb_settings *set, const char **ca_file_r,
			    const char **error_r)
{
	*ca_file_r = NULL;
	if (strcmp(set->doveadm_tls, "yes") != 0)
		return 0;
	if (set->doveadm_ca_file[0] == '\0') {
		*error_r = "doveadm_tls = yes needs doveadm_ca_file (the CA that signed the "
			"backends' doveadm certificates): the API key is never sent over an "
			"unverified connection";
		return -1;
	}
	*ca_file_r = set->doveadm_ca_file;
	return 0;
}

SSL_CTX *hb_tls_client_ctx(const char *ca_file, const char **error_r)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (ctx == NULL) {
		*error_r = "cannot create a TLS context (out of memory)";
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	/* doveadm closes the connection after its reply, often without a
	 * close_notify; the HTTP reply carries its own length */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
		ERR_clear_error();
		SSL_CTX_free(ctx);
		*error_r = "cannot read it, or it holds no PEM certificate";
		return NULL;
	}
	return ctx;
}

int hb_tls_client_expect(SSL *ssl, const char *host)
{
	unsigned char addr[16];

	if (inet_pton(AF_INET, host, addr) == 1 || inet_pton(AF_INET6, host, addr) == 1)
		return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1 ? 0 : -1;
	if (SSL_set_tlsext_host_name(ssl, host) != 1)
		return -1;
	return SSL_set1_host(ssl, host) == 1 ? 0 : -1;
}
