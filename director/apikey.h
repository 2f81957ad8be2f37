/* apikey.h - the director's doveadm API key (doveadm_api_key_file): read
 * once, byte for byte as Dovecot reads `doveadm_api_key = <FILE`, for the
 * failover kick and the census; and a check of it against every backend's
 * doveadm HTTP API at start, when a backend's doveadm host or port changes
 * and every few minutes, with a loud error per backend that refuses it,
 * stored for `hbctl status` (docs/DESIGN.md 1 and 4).  With doveadm_tls =
 * yes it also holds the TLS context for the doveadm API (doveadm_ca_file). */
#ifndef DIRECTOR_APIKEY_H
#define DIRECTOR_APIKEY_H

#include <stddef.h>
#include <openssl/ssl.h>

struct director;
struct apikey;

/* The checker: its timer runs from the event loop; NULL when out of memory
 * (then the key still works, unchecked). */
struct apikey *apikey_create(struct director *d);
void apikey_destroy(struct apikey **apikey);

/* Read doveadm_api_key_file (hb_secret_read_verbatim) into d->doveadm_auth;
 * 0 without one configured.  Every backend is checked again soon after. */
int apikey_load(struct director *d, char *err, size_t err_size);
/* What apikey_load() would read, read and dropped again (-t): the key file
 * and, with doveadm_tls = yes, the CA file.  -1 with the reason in ERR. */
struct hb_settings;
int apikey_check_files(const struct hb_settings *set, char *err, size_t err_size);
/* The TLS context for doveadm requests when doveadm_tls = yes (loaded by
 * apikey_load with the key); NULL otherwise: then doveadm_tls = yes sends
 * nothing. */
SSL_CTX *apikey_tls(const struct director *d);
/* Forget the key (wiped) and cancel the checks in flight. */
void apikey_unload(struct director *d);

/* What HTTP status CODE (not 200) from a doveadm API means, for logs:
 * 401/403 say "doveadm API key refused" and name the key file.  Returns BUF. */
const char *apikey_http_error(const struct director *d, int code, char *buf, size_t size);

/* 1 if BACKEND's doveadm API accepted the key at the last check, 0 if it
 * refused it, -1 if unknown (not checked, unreachable). */
int apikey_accepted(const struct apikey *apikey, const char *backend);

#endif
