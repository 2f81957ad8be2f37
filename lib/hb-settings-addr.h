/* hb-settings-addr.h - the one syntax of every address in the settings: the
 * sockets the daemons listen on, libmilter's socket, Redis' host, the routed
 * domain list.  The settings parser refuses what these refuse (so `-t` and
 * the start agree), and the daemons bind with hb_inet_spec_parse().  Each
 * check writes why a value is wrong into ERR (without the key). */
#ifndef HB_SETTINGS_ADDR_H
#define HB_SETTINGS_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* "ADDR:PORT" or "[V6ADDR]:PORT": a numeric IPv4 or IPv6 address (names
 * are never looked up) and a port 1-65535.  SS_R and LEN_R may be NULL. */
int hb_inet_spec_parse(const char *spec, struct sockaddr_storage *ss_r, socklen_t *len_r,
		       char *err, size_t err_size);

/* The checks of the settings table: 0, or -1 with ERR. */
/* ADDR:PORT */
int hb_check_inet(const char *value, char *err, size_t err_size);
/* "" (off) or ADDR:PORT */
int hb_check_inet_opt(const char *value, char *err, size_t err_size);
/* "" (off), an absolute unix socket path, or ADDR:PORT */
int hb_check_listen_opt(const char *value, char *err, size_t err_size);
/* "" (off) or an absolute unix socket path */
int hb_check_unix_opt(const char *value, char *err, size_t err_size);
/* libmilter's socket: inet:PORT@ADDR (IPv4), inet6:PORT@ADDR (IPv6),
 * unix:PATH, local:PATH or /PATH; ADDR numeric, PATH absolute. */
int hb_check_milter_listen(const char *value, char *err, size_t err_size);
/* an IP address or a host name (labels of letters, digits and '-') */
int hb_check_host(const char *value, char *err, size_t err_size);
/* domain names (hb_domain_normalize) separated by commas or spaces */
int hb_check_domain_list(const char *value, char *err, size_t err_size);

#endif
