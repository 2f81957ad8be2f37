/* hb-tls-client.h - the TLS client side of the doveadm HTTP API, shared by
 * the director and hbctl: which transport hummingbird.conf asks for
 * (doveadm_tls, doveadm_ca_file), a context that trusts that one CA file
 * only (never the system store), and the backend's address or name that its
 * certificate must carry.  Verification is never optional here. */
#ifndef HB_TLS_CLIENT_H
#define HB_TLS_CLIENT_H

#include <openssl/ssl.h>

struct hb_settings;

/* *CA_FILE_R = doveadm_ca_file when doveadm_tls = yes (TLS), NULL when
 * doveadm_tls = no (plain HTTP).  -1 when doveadm_tls = yes has no CA file:
 * the key must never go over an unverified connection. */
int hb_doveadm_tls_settings(const struct hb_settings *set, const char **ca_file_r,
			    const char **error_r);

/* A client context (allocated; SSL_CTX_free it) for TLS 1.2 or newer that
 * verifies the peer against CA_FILE alone; NULL with *ERROR_R (static text)
 * when the file holds no usable certificate. */
SSL_CTX *hb_tls_client_ctx(const char *ca_file, const char **error_r);

/* SSL must present a certificate for HOST: an IPv4/IPv6 literal is matched
 * against the IP SANs, a name against the DNS names (and sent as SNI).
 * Returns 0, or -1 when it cannot be set (out of memory). */
int hb_tls_client_expect(SSL *ssl, const char *host);

#endif
