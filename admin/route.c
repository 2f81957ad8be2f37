/* route.c - the one parser of admind's request targets: splits the raw
 * path at '/' first, then percent-decodes each segment exactly once, so an
 * encoded "/" or "." can never change which endpoint or domain a request
 * names; then matches the route table of docs/ADMIND.md 3.  Never looks at
 * Redis and never decides who may do what (dispatch.c does). */
#include "api.h"
#include "hb-utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* "*" takes a path part: the first is the domain, then the local part,
 * then the sender. */
static const struct route_def {
	enum admind_method method;
	const char *pattern[ADMIND_SEGMENTS_MAX];
	enum admind_endpoint endpoint;
} routes[] = {
	{ ADMIND_POST, { "v1", "login" }, ADMIND_EP_LOGIN },
	{ ADMIND_POST, { "v1", "logout" }, ADMIND_EP_LOGOUT },
	{ ADMIND_GET, { "v1", "session" }, ADMIND_EP_SESSION },
	{ ADMIND_POST, { "v1", "password" }, ADMIND_EP_PASSWORD },
	{ ADMIND_GET, { "v1", "domains" }, ADMIND_EP_DOMAIN_LIST },
	{ ADMIND_GET, { "v1", "domains", "*" }, ADMIND_EP_DOMAIN_SHOW },
	{ ADMIND_GET, { "v1", "domains", "*", "policy" }, ADMIND_EP_POLICY_SHOW },
	{ ADMIND_PUT, { "v1", "domains", "*", "policy" }, ADMIND_EP_POLICY_SET },
	{ ADMIND_GET, { "v1", "domains", "*", "users" }, ADMIND_EP_USER_LIST },
	{ ADMIND_POST, { "v1", "domains", "*", "users" }, ADMIND_EP_USER_ADD },
	{ ADMIND_DELETE, { "v1", "domains", "*", "users", "*" }, ADMIND_EP_USER_REMOVE },
	{ ADMIND_POST, { "v1", "domains", "*", "users", "*", "suspend" }, ADMIND_EP_USER_SUSPEND },
	{ ADMIND_POST, { "v1", "domains", "*", "users", "*", "resume" }, ADMIND_EP_USER_RESUME },
	{ ADMIND_GET, { "v1", "domains", "*", "aliases" }, ADMIND_EP_ALIAS_LIST },
	{ ADMIND_POST, { "v1", "domains", "*", "aliases" }, ADMIND_EP_ALIAS_ADD },
	{ ADMIND_DELETE, { "v1", "domains", "*", "aliases", "*" }, ADMIND_EP_ALIAS_REMOVE },
	{ ADMIND_GET, { "v1", "domains", "*", "senders", "*" }, ADMIND_EP_SENDER_LIST },
	{ ADMIND_POST, { "v1", "domains", "*", "senders", "*" }, ADMIND_EP_SENDER_ALLOW },
	{ ADMIND_DELETE, { "v1", "domains", "*", "senders", "*", "*" }, ADMIND_EP_SENDER_DENY },
	{ ADMIND_GET, { "v1", "domains", "*", "audit" }, ADMIND_EP_AUDIT },
};

int admind_error_set(struct admind_error *err, int status, const char *code,
		     const char *fmt, ...)
{
	va_list args;

	err->status = status;
	err->code = code;
	va_start(args, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, args);
	va_end(args);
	return -1;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int utf8_valid(const char *s, size_t len)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = hb_utf8_decode((const unsigned char *)s + i, len - i, &cp);

		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* Decode IN[0..LEN) once into OUT (NUL-terminated; never longer than IN).
 * A decoded byte may not be a control character, '/', '\' or '%'. */
static int decode_segment(const char *in, size_t len, char *out, struct admind_error *err)
{
	size_t w = 0;

	for (size_t r = 0; r < len; r++) {
		unsigned char c = (unsigned char)in[r];

		if (c == '%') {
			int hi = r + 2 < len ? hex_value(in[r + 1]) : -1;
			int lo = r + 2 < len ? hex_value(in[r + 2]) : -1;

			if (hi < 0 || lo < 0)
				return admind_error_set(err, 400, "bad_path", "bad percent-encoding in the path");
			c = (unsigned char)(hi * 16 + lo);
			r += 2;
			if (c < 0x20 || c == 0x7f || c == '/' || c == '\\' || c == '%')
				return admind_error_set(err, 400, "bad_path",
							"encoded '/', '\\', '%%' or control character in the path");
		}
		out[w++] = (char)c;
	}
	out[w] = '\0';
	if (w == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		return admind_error_set(err, 400, "bad_path", "empty, '.' or '..' path segment");
	if (!utf8_valid(out, w))
		return admind_error_set(err, 400, "bad_path", "invalid UTF-8 in the path");
	return 0;
}

/* Only the audit endpoint takes a query, exactly "n=N" with N in 1..MAX. */
static int parse_query(const char *query, struct admind_route *route, struct admind_error *err)
{
	unsigned long n = 0;
	size_t digits;

	route->audit_count = ADMIND_AUDIT_DEFAULT;
	if (query == NULL)
		return 0;
	if (route->endpoint != ADMIND_EP_AUDIT || strncmp(query, "n=", 2) != 0)
		return admind_error_set(err, 400, "bad_path", "unexpected query in the request");
	digits = strspn(query + 2, "0123456789");
	if (digits == 0 || digits > 5 || query[2 + digits] != '\0')
		return admind_error_set(err, 400, "bad_path", "n must be a number 1..%d", ADMIND_AUDIT_MAX);
	for (size_t i = 0; i < digits; i++)
		n = n * 10 + (unsigned long)(query[2 + i] - '0');
	if (n < 1 || n > ADMIND_AUDIT_MAX)
		return admind_error_set(err, 400, "bad_path", "n must be a number 1..%d", ADMIND_AUDIT_MAX);
	route->audit_count = (unsigned int)n;
	return 0;
}

static int route_matches(const struct route_def *def, char *const *segs, size_t count)
{
	size_t n = 0;

	while (n < ADMIND_SEGMENTS_MAX && def->pattern[n] != NULL)
		n++;
	if (n != count)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(def->pattern[i], "*") != 0 && strcmp(def->pattern[i], segs[i]) != 0)
			return 0;
	}
	return 1;
}

static void take_parts(const struct route_def *def, char *const *segs, struct admind_route *route)
{
	const char **parts[] = { &route->domain, &route->local, &route->sender };
	size_t taken = 0;

	for (size_t i = 0; i < ADMIND_SEGMENTS_MAX && def->pattern[i] != NULL; i++) {
		if (strcmp(def->pattern[i], "*") == 0 && taken < 3)
			*parts[taken++] = segs[i];
	}
}

/* Split PATH (after the leading '/') at '/' and decode each segment into
 * ROUTE->buf; SEGS gets them. */
static int split_path(const char *path, size_t len, struct admind_route *route, char **segs,
		      size_t *count_r, struct admind_error *err)
{
	size_t count = 0, start = 1, w = 0;

	for (size_t i = 1; i <= len; i++) {
		if (i < len && path[i] != '/')
			continue;
		if (count == ADMIND_SEGMENTS_MAX)
			return admind_error_set(err, 404, "not_found", "no such endpoint");
		segs[count] = route->buf + w;
		if (decode_segment(path + start, i - start, segs[count], err) < 0)
			return -1;
		w += strlen(segs[count]) + 1;
		count++;
		start = i + 1;
	}
	*count_r = count;
	return 0;
}

int admind_route_parse(enum admind_method method, const char *uri,
		       struct admind_route *route, struct admind_error *err)
{
	char *segs[ADMIND_SEGMENTS_MAX];
	const char *query;
	size_t len = strnlen(uri, ADMIND_URI_MAX + 1), path_len, count;
	int path_known = 0;

	memset(route, 0, sizeof(*route));
	if (len == 0 || len > ADMIND_URI_MAX || uri[0] != '/')
		return admind_error_set(err, 400, "bad_path", "the request target must be a path of at most %d bytes",
					ADMIND_URI_MAX);
	for (size_t i = 0; i < len; i++) {
		if (uri[i] <= 0x20 || uri[i] >= 0x7f || uri[i] == '#' || uri[i] == '\\')
			return admind_error_set(err, 400, "bad_path", "invalid character in the request target");
	}
	query = memchr(uri, '?', len);
	path_len = query != NULL ? (size_t)(query - uri) : len;
	if (query != NULL)
		query++;
	if (split_path(uri, path_len, route, segs, &count, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!route_matches(&routes[i], segs, count))
			continue;
		path_known = 1;
		if (routes[i].method != method)
			continue;
		route->endpoint = routes[i].endpoint;
		take_parts(&routes[i], segs, route);
		return parse_query(query, route, err);
	}
	if (path_known)
		return admind_error_set(err, 405, "method_not_allowed", "method not allowed here");
	return admind_error_set(err, 404, "not_found", "no such endpoint");
}

void admind_target_escape(const char *in, char *out, size_t size)
{
	static const char digits[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)in;
	size_t n = 0, i;

	if (size == 0)
		return;
	for (i = 0; p[i] != '\0' && i < ADMIND_LOG_TARGET_MAX && n + 5 < size; i++) {
		if (p[i] > 0x20 && p[i] < 0x7f && p[i] != '\\') {
			out[n++] = (char)p[i];
			continue;
		}
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = digits[p[i] >> 4];
		out[n++] = digits[p[i] & 15];
	}
	if (p[i] != '\0' && n + 4 <= size) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}
