/* hb-json.c - recursive-descent JSON parser with hard limits on size, node
 * count and nesting.  Input is untrusted (a backend's HTTP reply): every
 * malformed document is rejected with a reason, never half-accepted. */
#include "hb-json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hb_jdoc {
	char *buf;
	size_t len, pos;
	struct hb_jnode *nodes;
	size_t count, alloc;
	const char *error;
};

static int fail(struct hb_jdoc *doc, const char *why)
{
	if (doc->error == NULL)
		doc->error = why;
	return -1;
}

static void skip_ws(struct hb_jdoc *doc)
{
	while (doc->pos < doc->len) {
		char c = doc->buf[doc->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		doc->pos++;
	}
}

/* Append a node under PARENT (SIZE_MAX for the root); returns its index. */
static int new_node(struct hb_jdoc *doc, size_t parent, enum hb_jtype type,
		    size_t *idx_r)
{
	if (doc->count >= HB_JSON_MAX_NODES)
		return fail(doc, "too many JSON values");
	if (doc->count == doc->alloc) {
		size_t alloc = doc->alloc == 0 ? 64 : doc->alloc * 2;
		struct hb_jnode *nodes = realloc(doc->nodes, alloc * sizeof(*nodes));
		if (nodes == NULL)
			return fail(doc, "out of memory");
		doc->nodes = nodes;
		doc->alloc = alloc;
	}
	size_t idx = doc->count++;
	memset(&doc->nodes[idx], 0, sizeof(doc->nodes[idx]));
	doc->nodes[idx].type = type;
	if (parent != (size_t)-1) {
		struct hb_jnode *p = &doc->nodes[parent];
		if (p->children == 0)
			p->first = idx;
		else
			doc->nodes[p->last].next = idx;
		p->last = idx;
		p->children++;
	}
	*idx_r = idx;
	return 0;
}

static int hex4(const char *s, unsigned int *cp_r)
{
	unsigned int cp = 0;

	for (int i = 0; i < 4; i++) {
		char c = s[i];
		cp <<= 4;
		if (c >= '0' && c <= '9') cp |= (unsigned int)(c - '0');
		else if (c >= 'a' && c <= 'f') cp |= (unsigned int)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F') cp |= (unsigned int)(c - 'A' + 10);
		else return -1;
	}
	*cp_r = cp;
	return 0;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* \uXXXX at R (after the backslash-u), surrogate pairs joined.  Advances *R. */
static int unicode_escape(struct hb_jdoc *doc, size_t *r, unsigned int *cp_r)
{
	unsigned int cp, lo;

	if (*r + 4 > doc->len || hex4(doc->buf + *r, &cp) < 0)
		return fail(doc, "bad \\u escape");
	*r += 4;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(doc, "lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (*r + 6 > doc->len || doc->buf[*r] != '\\' || doc->buf[*r + 1] != 'u' ||
		    hex4(doc->buf + *r + 2, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return fail(doc, "bad surrogate pair");
		*r += 6;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (cp == 0)
		return fail(doc, "NUL in string");
	*cp_r = cp;
	return 0;
}

static int simple_escape(char c, char *out_r)
{
	switch (c) {
	case '"': case '\\': case '/': *out_r = c; return 0;
	case 'b': *out_r = '\b'; return 0;
	case 'f': *out_r = '\f'; return 0;
	case 'n': *out_r = '\n'; return 0;
	case 'r': *out_r = '\r'; return 0;
	case 't': *out_r = '\t'; return 0;
	}
	return -1;
}

/* Decode the string whose opening quote is at doc->pos, in place: the
 * decoded form is never longer than the encoded one. */
static int parse_string(struct hb_jdoc *doc, const char **str_r)
{
	size_t r = doc->pos + 1, w = r;
	char *start = doc->buf + w;

	for (;;) {
		if (r >= doc->len)
			return fail(doc, "unterminated string");
		unsigned char c = (unsigned char)doc->buf[r];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(doc, "control character in string");
		if (c != '\\') {
			doc->buf[w++] = (char)c;
			r++;
			continue;
		}
		if (++r >= doc->len)
			return fail(doc, "unterminated string");
		if (doc->buf[r] == 'u') {
			unsigned int cp;
			r++;
			if (unicode_escape(doc, &r, &cp) < 0)
				return -1;
			w += put_utf8(doc->buf + w, cp);
		} else if (simple_escape(doc->buf[r], &doc->buf[w]) == 0) {
			w++;
			r++;
		} else {
			return fail(doc, "bad escape in string");
		}
	}
	doc->buf[w] = '\0';
	doc->pos = r + 1;
	*str_r = start;
	return 0;
}

static size_t scan_digits(const struct hb_jdoc *doc, size_t p)
{
	while (p < doc->len && doc->buf[p] >= '0' && doc->buf[p] <= '9')
		p++;
	return p;
}

/* Strict JSON number grammar, then strtod on a bounded copy. */
static int parse_number(struct hb_jdoc *doc, double *num_r)
{
	size_t p = doc->pos, digits;
	char copy[64];

	if (p < doc->len && doc->buf[p] == '-')
		p++;
	digits = p;
	p = scan_digits(doc, p);
	if (p == digits || (doc->buf[digits] == '0' && p - digits > 1))
		return fail(doc, "bad number");
	if (p < doc->len && doc->buf[p] == '.') {
		size_t frac = ++p;
		if ((p = scan_digits(doc, p)) == frac)
			return fail(doc, "bad number");
	}
	if (p < doc->len && (doc->buf[p] == 'e' || doc->buf[p] == 'E')) {
		p++;
		if (p < doc->len && (doc->buf[p] == '+' || doc->buf[p] == '-'))
			p++;
		size_t exp = p;
		if ((p = scan_digits(doc, p)) == exp)
			return fail(doc, "bad number");
	}
	if (p - doc->pos >= sizeof(copy))
		return fail(doc, "number too long");
	memcpy(copy, doc->buf + doc->pos, p - doc->pos);
	copy[p - doc->pos] = '\0';
	*num_r = strtod(copy, NULL);
	doc->pos = p;
	return 0;
}

static int parse_value(struct hb_jdoc *doc, size_t parent, unsigned int depth);

static int parse_literal(struct hb_jdoc *doc, size_t parent)
{
	static const struct { const char *word; enum hb_jtype type; int b; } lits[] = {
		{ "true", HB_JBOOL, 1 }, { "false", HB_JBOOL, 0 }, { "null", HB_JNULL, 0 },
	};
	size_t idx;

	for (size_t i = 0; i < 3; i++) {
		size_t wl = strlen(lits[i].word);
		if (doc->len - doc->pos >= wl &&
		    memcmp(doc->buf + doc->pos, lits[i].word, wl) == 0) {
			if (new_node(doc, parent, lits[i].type, &idx) < 0)
				return -1;
			doc->nodes[idx].boolean = lits[i].b;
			doc->pos += wl;
			return 0;
		}
	}
	return fail(doc, "unexpected character");
}

/* Elements of an array or members of an object after its opening bracket. */
static int parse_container(struct hb_jdoc *doc, size_t idx, int object,
			   unsigned int depth)
{
	char close = object ? '}' : ']';

	doc->pos++;
	skip_ws(doc);
	if (doc->pos < doc->len && doc->buf[doc->pos] == close) {
		doc->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(doc);
		if (object) {
			if (doc->pos >= doc->len || doc->buf[doc->pos] != '"')
				return fail(doc, "object key must be a string");
			if (parse_value(doc, idx, depth + 1) < 0)
				return -1;
			skip_ws(doc);
			if (doc->pos >= doc->len || doc->buf[doc->pos] != ':')
				return fail(doc, "missing ':' in object");
			doc->pos++;
		}
		if (parse_value(doc, idx, depth + 1) < 0)
			return -1;
		skip_ws(doc);
		if (doc->pos >= doc->len)
			return fail(doc, "unterminated array or object");
		if (doc->buf[doc->pos] == close) {
			doc->pos++;
			return 0;
		}
		if (doc->buf[doc->pos] != ',')
			return fail(doc, "missing ',' between values");
		doc->pos++;
	}
}

/* new_node(), parse_string() and parse_number() set idx, str and num
 * whenever they return 0; the initial values are for clang's analyzer, which
 * does not follow fail() this deep into the recursion and would guess. */
static int parse_value(struct hb_jdoc *doc, size_t parent, unsigned int depth)
{
	size_t idx = 0;

	if (depth > HB_JSON_MAX_NESTING)
		return fail(doc, "JSON nested too deeply");
	skip_ws(doc);
	if (doc->pos >= doc->len)
		return fail(doc, "unexpected end of JSON");
	char c = doc->buf[doc->pos];
	if (c == '{' || c == '[') {
		if (new_node(doc, parent, c == '{' ? HB_JOBJECT : HB_JARRAY, &idx) < 0)
			return -1;
		return parse_container(doc, idx, c == '{', depth);
	}
	if (c == '"') {
		const char *str = NULL;
		if (new_node(doc, parent, HB_JSTRING, &idx) < 0 ||
		    parse_string(doc, &str) < 0)
			return -1;
		doc->nodes[idx].str = str;
		return 0;
	}
	if (c == '-' || (c >= '0' && c <= '9')) {
		double num = 0;
		if (new_node(doc, parent, HB_JNUMBER, &idx) < 0 ||
		    parse_number(doc, &num) < 0)
			return -1;
		doc->nodes[idx].number = num;
		return 0;
	}
	return parse_literal(doc, parent);
}

int hb_json_parse(const char *text, size_t len, struct hb_jdoc **doc_r,
		     char *err, size_t err_size)
{
	struct hb_jdoc *doc;

	*doc_r = NULL;
	if (len > HB_JSON_MAX_TEXT) {
		snprintf(err, err_size, "JSON document too large (%zu bytes)", len);
		return -1;
	}
	doc = calloc(1, sizeof(*doc));
	if (doc == NULL || (doc->buf = malloc(len + 1)) == NULL) {
		free(doc);
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	memcpy(doc->buf, text, len);
	doc->buf[len] = '\0';
	doc->len = len;
	if (parse_value(doc, (size_t)-1, 0) == 0) {
		skip_ws(doc);
		if (doc->pos != doc->len)
			fail(doc, "trailing data after JSON");
	}
	if (doc->error != NULL) {
		snprintf(err, err_size, "invalid JSON at byte %zu: %s", doc->pos, doc->error);
		hb_json_free(&doc);
		return -1;
	}
	*doc_r = doc;
	return 0;
}

void hb_json_free(struct hb_jdoc **docp)
{
	struct hb_jdoc *doc = *docp;

	if (doc == NULL)
		return;
	free(doc->buf);
	free(doc->nodes);
	free(doc);
	*docp = NULL;
}

const struct hb_jnode *hb_json_root(const struct hb_jdoc *doc)
{
	return doc->count > 0 ? &doc->nodes[0] : NULL;
}

const struct hb_jnode *hb_json_first(const struct hb_jdoc *doc,
					   const struct hb_jnode *node)
{
	return node != NULL && node->children > 0 ? &doc->nodes[node->first] : NULL;
}

const struct hb_jnode *hb_json_next(const struct hb_jdoc *doc,
					  const struct hb_jnode *node)
{
	return node != NULL && node->next != 0 ? &doc->nodes[node->next] : NULL;
}

const struct hb_jnode *hb_json_get(const struct hb_jdoc *doc,
					 const struct hb_jnode *obj,
					 const char *key)
{
	if (obj == NULL || obj->type != HB_JOBJECT)
		return NULL;
	for (const struct hb_jnode *k = hb_json_first(doc, obj); k != NULL;
	     k = hb_json_next(doc, hb_json_next(doc, k))) {
		if (k->type == HB_JSTRING && strcmp(k->str, key) == 0)
			return hb_json_next(doc, k);
	}
	return NULL;
}
