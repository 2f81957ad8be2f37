/* hb-settings-addr.c - see hb-settings-addr.h.  Only numeric addresses for
 * sockets: a name would be looked up at start, so a check without the same
 * resolver could not promise that the start succeeds. */
#include "hb-settings-addr.h"
#include "hb-domain-list.h"
#include "hb-addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

/* 1-65535 in decimal digits only */
static int port_parse(const char *str, size_t len, unsigned int *port_r)
{
	unsigned int port = 0;

	if (len == 0 || len > 5)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)str[i]))
			return -1;
		port = port * 10 + (unsigned int)(str[i] - '0');
	}
	if (port == 0 || port > 65535)
		return -1;
	*port_r = port;
	return 0;
}

/* HOST (LEN octets) as a numeric address of FAMILY into SS; -1 if it is none */
static int ip_parse(int family, const char *host, size_t len, unsigned int port,
		    struct sockaddr_storage *ss, socklen_t *len_r)
{
	char buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, host, len);
	buf[len] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len_r = sizeof(*sin);
		return inet_pton(AF_INET, buf, &sin->sin_addr) == 1 ? 0 : -1;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	*len_r = sizeof(*sin6);
	return inet_pton(AF_INET6, buf, &sin6->sin6_addr) == 1 ? 0 : -1;
}

int hb_inet_spec_parse(const char *spec, struct sockaddr_storage *ss_r, socklen_t *len_r,
		       char *err, size_t err_size)
{
	const char *colon = strrchr(spec, ':');
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned int port;
	size_t host_len;
	int ok;

	if (colon == NULL || port_parse(colon + 1, strlen(colon + 1), &port) < 0) {
		snprintf(err, err_size, "expected ADDR:PORT with a port 1-65535");
		return -1;
	}
	host_len = (size_t)(colon - spec);
	if (spec[0] == '[')	/* [V6ADDR]:PORT */
		ok = host_len >= 2 && spec[host_len - 1] == ']' &&
			ip_parse(AF_INET6, spec + 1, host_len - 2, port, &ss, &len) == 0;
	else
		ok = ip_parse(AF_INET, spec, host_len, port, &ss, &len) == 0 ||
			ip_parse(AF_INET6, spec, host_len, port, &ss, &len) == 0;
	if (!ok) {
		snprintf(err, err_size, "expected ADDR:PORT with an IP address (no host names)");
		return -1;
	}
	if (ss_r != NULL)
		*ss_r = ss;
	if (len_r != NULL)
		*len_r = len;
	return 0;
}

int hb_check_inet(const char *value, char *err, size_t err_size)
{
	return hb_inet_spec_parse(value, NULL, NULL, err, err_size);
}

int hb_check_inet_opt(const char *value, char *err, size_t err_size)
{
	return value[0] == '\0' ? 0 : hb_check_inet(value, err, err_size);
}

static int unix_path_check(const char *path, char *err, size_t err_size)
{
	struct sockaddr_un sun;

	if (path[0] != '/') {
		snprintf(err, err_size, "expected an absolute unix socket path");
		return -1;
	}
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, err_size, "unix socket path longer than %zu bytes",
			 sizeof(sun.sun_path) - 1);
		return -1;
	}
	return 0;
}

int hb_check_unix_opt(const char *value, char *err, size_t err_size)
{
	return value[0] == '\0' ? 0 : unix_path_check(value, err, err_size);
}

int hb_check_listen_opt(const char *value, char *err, size_t err_size)
{
	if (value[0] == '\0' || value[0] == '/')
		return hb_check_unix_opt(value, err, err_size);
	if (hb_check_inet(value, err, err_size) == 0)
		return 0;
	snprintf(err, err_size, "expected an absolute unix socket path or ADDR:PORT "
		 "with an IP address and a port 1-65535");
	return -1;
}

/* inet:PORT@ADDR or inet6:PORT@ADDR; libmilter would look a name up */
static int milter_inet_check(int family, const char *spec, char *err, size_t err_size)
{
	const char *at = strchr(spec, '@');
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned int port;

	if (at == NULL || port_parse(spec, (size_t)(at - spec), &port) < 0 ||
	    ip_parse(family, at + 1, strlen(at + 1), port, &ss, &len) < 0) {
		snprintf(err, err_size, "expected %s:PORT@ADDR with a port 1-65535 and an %s address",
			 family == AF_INET ? "inet" : "inet6", family == AF_INET ? "IPv4" : "IPv6");
		return -1;
	}
	return 0;
}

int hb_check_milter_listen(const char *value, char *err, size_t err_size)
{
	if (strncmp(value, "inet:", 5) == 0)
		return milter_inet_check(AF_INET, value + 5, err, err_size);
	if (strncmp(value, "inet6:", 6) == 0)
		return milter_inet_check(AF_INET6, value + 6, err, err_size);
	if (strncmp(value, "unix:", 5) == 0)
		return unix_path_check(value + 5, err, err_size);
	if (strncmp(value, "local:", 6) == 0)
		return unix_path_check(value + 6, err, err_size);
	if (value[0] == '/')
		return unix_path_check(value, err, err_size);
	snprintf(err, err_size, "expected inet:PORT@ADDR, inet6:PORT@ADDR, unix:PATH or local:PATH");
	return -1;
}

/* one DNS label of letters, digits and '-', not at either end */
static int host_label_ok(const char *label, size_t len)
{
	if (len == 0 || len > 63 || label[0] == '-' || label[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)label[i]) && label[i] != '-')
			return 0;
	}
	return 1;
}

int hb_check_host(const char *value, char *err, size_t err_size)
{
	struct in6_addr a6;
	const char *p = value;

	if (inet_pton(AF_INET6, value, &a6) == 1)
		return 0;
	if (value[0] != '\0' && strlen(value) <= 253) {
		for (;;) {
			const char *dot = strchr(p, '.');
			size_t len = dot != NULL ? (size_t)(dot - p) : strlen(p);
			if (!host_label_ok(p, len))
				break;
			if (dot == NULL)
				return 0;
			p = dot + 1;
		}
	}
	snprintf(err, err_size, "expected a host name or an IP address");
	return -1;
}

int hb_check_domain_list(const char *value, char *err, size_t err_size)
{
	struct hb_domain_list *list;

	if (hb_domain_list_parse(value, &list, err, err_size) < 0)
		return -1;
	hb_domain_list_free(&list);
	return 0;
}
