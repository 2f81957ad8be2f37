/* hb-mailhdr.c - a small recursive-descent reader of RFC 5322 mailbox-lists.
 * A tokenizer skips folding whitespace and (nested) comments and yields
 * words (atoms, dot-atoms with their dots, quoted strings) and the specials
 * < > @ , : ; [ ]; the parser takes mailbox ("," mailbox)*, each one either
 * [phrase] "<" addr-spec ">" or a bare addr-spec.  The addr-spec is rebuilt
 * as text and handed to hb_addr_normalize(), the one judge of addresses.
 * The lenient domain scan at the end is the opposite on purpose: it keeps
 * every domain any reader might see, for judging what the parser refused. */
#include "hb-mailhdr.h"
#include "hb-utf8.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum tok_kind { TOK_END, TOK_WORD, TOK_QUOTED, TOK_SPECIAL, TOK_ERROR };

struct lexer {
	const char *p, *end;
	const char *error;
};

struct token {
	enum tok_kind kind;
	char special;
	char text[HB_ADDR_MAX + 1];	/* word or unquoted string (cut: error) */
	size_t len;
};

static int utf8_valid(const char *s, size_t len)
{
	uint32_t cp;

	for (size_t i = 0; i < len;) {
		size_t n = hb_utf8_decode((const unsigned char *)s + i, len - i, &cp);

		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

static int is_special(char c)
{
	return strchr("()<>[]:;@\\,\"", c) != NULL;
}

static int is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Whitespace, folding (CRLF followed by WSP) and comments; 0 or -1. */
static int skip_cfws(struct lexer *lx)
{
	int depth = 0;

	while (lx->p < lx->end) {
		char c = *lx->p;

		if (c == '\r' || c == '\n') {
			const char *q = lx->p + (c == '\r' && lx->p + 1 < lx->end && lx->p[1] == '\n' ? 2 : 1);

			if (c == '\r' && q == lx->p + 1) {
				lx->error = "bare CR in header";
				return -1;
			}
			if (q >= lx->end || !is_wsp(*q)) {
				lx->error = "line break that is not folding";
				return -1;
			}
			lx->p = q;
		} else if (is_wsp(c) || (depth > 0 && c != '(' && c != ')' && c != '\\')) {
			if (c == '\0') {
				lx->error = "NUL in header";
				return -1;
			}
			lx->p++;
		} else if (c == '(') {
			depth++;
			lx->p++;
		} else if (c == ')' && depth > 0) {
			depth--;
			lx->p++;
		} else if (c == '\\' && depth > 0) {
			lx->p += lx->p + 1 < lx->end ? 2 : 1;
		} else {
			break;
		}
	}
	if (depth > 0) {
		lx->error = "unclosed comment";
		return -1;
	}
	return 0;
}

static int token_put(struct lexer *lx, struct token *t, char c)
{
	if (t->len >= sizeof(t->text) - 1) {
		lx->error = "word too long";
		return -1;
	}
	t->text[t->len++] = c;
	t->text[t->len] = '\0';
	return 0;
}

static int lex_quoted(struct lexer *lx, struct token *t)
{
	lx->p++;	/* opening quote */
	while (lx->p < lx->end && *lx->p != '"') {
		char c = *lx->p;

		if (c == '\\' && lx->p + 1 < lx->end)
			c = *++lx->p;
		if (c == '\0' || c == '\r' || c == '\n') {
			lx->error = "control character in quoted string";
			return -1;
		}
		if (token_put(lx, t, c) < 0)
			return -1;
		lx->p++;
	}
	if (lx->p >= lx->end) {
		lx->error = "unclosed quoted string";
		return -1;
	}
	lx->p++;
	t->kind = TOK_QUOTED;
	return 0;
}

static void next_token(struct lexer *lx, struct token *t)
{
	t->kind = TOK_ERROR;
	t->len = 0;
	t->text[0] = '\0';
	if (skip_cfws(lx) < 0)
		return;
	if (lx->p >= lx->end) {
		t->kind = TOK_END;
		return;
	}
	if (*lx->p == '"') {
		if (lex_quoted(lx, t) < 0)
			t->kind = TOK_ERROR;
		return;
	}
	if (is_special(*lx->p)) {
		t->kind = TOK_SPECIAL;
		t->special = *lx->p++;
		return;
	}
	while (lx->p < lx->end && !is_special(*lx->p) && !is_wsp(*lx->p) &&
	       *lx->p != '\r' && *lx->p != '\n') {
		if ((unsigned char)*lx->p < 0x20 || *lx->p == 0x7f) {
			lx->error = "control character in header";
			return;
		}
		if (token_put(lx, t, *lx->p++) < 0)
			return;
	}
	t->kind = TOK_WORD;
}

static int is_tok(const struct token *t, char special)
{
	return t->kind == TOK_SPECIAL && t->special == special;
}

/* addr-spec from the current token on: local "@" domain; T ends on the token
 * after it.  The text goes to OUT for hb_addr_normalize(). */
static int parse_addr_spec(struct lexer *lx, struct token *t, char *out, size_t size)
{
	size_t n;

	if (t->kind != TOK_WORD && t->kind != TOK_QUOTED) {
		lx->error = t->kind == TOK_ERROR ? lx->error : "expected an address";
		return -1;
	}
	if (t->kind == TOK_QUOTED && (strchr(t->text, '"') != NULL || strchr(t->text, '\\') != NULL)) {
		lx->error = "quoted local part with quote or backslash";
		return -1;
	}
	if (strstr(t->text, "=?") != NULL) {
		lx->error = "encoded-word in an address";
		return -1;
	}
	n = strlen(t->text);
	if (n + 2 > size) {
		lx->error = "address too long";
		return -1;
	}
	memcpy(out, t->text, n);
	next_token(lx, t);
	if (!is_tok(t, '@')) {
		lx->error = t->kind == TOK_ERROR ? lx->error : "address without @domain";
		return -1;
	}
	out[n++] = '@';
	next_token(lx, t);
	if (is_tok(t, '[')) {
		lx->error = "domain literals are not accepted";
		return -1;
	}
	if (t->kind != TOK_WORD || n + t->len + 1 > size) {
		lx->error = t->kind == TOK_ERROR ? lx->error : "address without a domain";
		return -1;
	}
	if (strstr(t->text, "=?") != NULL) {
		lx->error = "encoded-word in an address";
		return -1;
	}
	memcpy(out + n, t->text, t->len + 1);
	next_token(lx, t);
	return 0;
}

/* One mailbox: [phrase] "<" addr-spec ">" | addr-spec. */
static int parse_mailbox(struct lexer *lx, struct token *t, char *raw, size_t size)
{
	struct lexer save = *lx;
	struct token first = *t;
	int words = 0;

	/* a phrase is words up to "<"; a bare addr-spec has "@" after one word */
	while (t->kind == TOK_WORD || t->kind == TOK_QUOTED || is_tok(t, '.')) {
		words++;
		next_token(lx, t);
	}
	if (is_tok(t, '<')) {
		next_token(lx, t);
		if (is_tok(t, '@')) {
			lx->error = "source routes are not accepted";
			return -1;
		}
		if (parse_addr_spec(lx, t, raw, size) < 0)
			return -1;
		if (!is_tok(t, '>')) {
			lx->error = t->kind == TOK_ERROR ? lx->error : "expected > after the address";
			return -1;
		}
		next_token(lx, t);
		return 0;
	}
	if (is_tok(t, ':')) {
		lx->error = "groups are not accepted in From";
		return -1;
	}
	if (t->kind == TOK_ERROR)
		return -1;
	if (words != 1 || !is_tok(t, '@')) {
		lx->error = "expected an address or a name with <address>";
		return -1;
	}
	*lx = save;
	*t = first;
	return parse_addr_spec(lx, t, raw, size);
}

int hb_mailhdr_from(const char *value, size_t len, struct hb_mailhdr_addrs *out,
		    const char **error_r)
{
	struct lexer lx = { value, value + len, NULL };
	struct token t;
	char raw[HB_ADDR_MAX + 2];

	out->count = 0;
	if (len > HB_MAILHDR_MAX_LEN || memchr(value, '\0', len) != NULL ||
	    !utf8_valid(value, len)) {
		*error_r = len > HB_MAILHDR_MAX_LEN ? "header too long" : "header is not valid UTF-8";
		return -1;
	}
	next_token(&lx, &t);
	for (;;) {
		if (out->count >= HB_MAILHDR_MAX_ADDRS) {
			*error_r = "too many addresses";
			return -1;
		}
		if (parse_mailbox(&lx, &t, raw, sizeof(raw)) < 0) {
			*error_r = lx.error != NULL ? lx.error : "malformed address";
			return -1;
		}
		if (hb_addr_normalize(raw, out->addr[out->count], HB_ADDR_MAX + 1, error_r) < 0)
			return -1;
		out->count++;
		if (t.kind == TOK_END)
			return 0;
		if (!is_tok(&t, ',')) {
			*error_r = t.kind == TOK_ERROR && lx.error != NULL ? lx.error :
				"expected , between addresses";
			return -1;
		}
		next_token(&lx, &t);
	}
}

/* ------------------------------------------------------ header names --- */

/* "From" followed by nothing but WSP (obs-optional, RFC 5322 4.5.1). */
static int name_is_from(const char *name, size_t *len_r)
{
	size_t i = 4;

	if (strncasecmp(name, "From", 4) != 0)
		return 0;
	while (is_wsp(name[i]))
		i++;
	*len_r = i;
	return 1;
}

const char *hb_mailhdr_from_field(const char *name, const char *value, int *mbox_line_r)
{
	size_t n;

	*mbox_line_r = 0;
	if (name_is_from(name, &n) && name[n] == '\0')
		return value;
	/* Postfix's smtpd turns a first line "From ..." into X-Mailbox-Line
	 * (smtpd.c); "From :" there is a From: header in obsolete syntax */
	if (strcasecmp(name, "X-Mailbox-Line") == 0 && strncmp(value, "From", 4) == 0 &&
	    is_wsp(value[4]) && name_is_from(value, &n) && value[n] == ':') {
		*mbox_line_r = 1;
		return value + n + 1;
	}
	return NULL;
}

/* ------------------------------------------- lenient domain scan --- */

void hb_mailhdr_domains_init(struct hb_mailhdr_domains *d)
{
	d->count = 0;
	d->overflow = 0;
}

static int domain_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

/* Past whitespace, line breaks and comments; an unclosed comment runs to
 * END (a reader may close it anywhere: the '@' loop sees inside anyway). */
static const char *skip_cfws_lenient(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && depth > 0)
			depth--;
		else if (*p == '\\' && depth > 0 && p + 1 < end)
			p++;
		else if (depth == 0 && !is_wsp(*p) && *p != '\r' && *p != '\n')
			break;
	}
	return p;
}

static void domain_add(struct hb_mailhdr_domains *d, const char *raw)
{
	char norm[HB_DOMAIN_MAX + 1];
	const char *ignored;

	if (raw[0] == '\0' || hb_domain_normalize(raw, norm, sizeof(norm), &ignored) < 0)
		return;		/* no reader takes it for a domain we host */
	for (unsigned int i = 0; i < d->count; i++) {
		if (strcmp(d->domain[i], norm) == 0)
			return;
	}
	if (d->count == HB_MAILHDR_MAX_DOMAINS) {
		d->overflow = 1;
		return;
	}
	memcpy(d->domain[d->count++], norm, strlen(norm) + 1);
}

/* The domain after an '@' at P: dot-atoms, joined across CFWS at a dot as
 * obs-domain allows ("a . b"); every prefix that a CFWS ends is a candidate
 * too, so that joining never hides one. */
static void domain_after_at(const char *p, const char *end, struct hb_mailhdr_domains *d)
{
	char buf[HB_DOMAIN_INPUT_MAX + 1];
	size_t n = 0;

	for (;;) {
		const char *start = p = skip_cfws_lenient(p, end), *q;

		while (p < end && domain_char((unsigned char)*p))
			p++;
		if ((size_t)(p - start) > HB_DOMAIN_INPUT_MAX - n)
			break;	/* longer than any domain */
		memcpy(buf + n, start, (size_t)(p - start));
		n += (size_t)(p - start);
		buf[n] = '\0';
		if (p == start || n == 0)
			break;
		domain_add(d, buf);
		q = skip_cfws_lenient(p, end);
		if (buf[n - 1] != '.' && (q >= end || *q != '.'))
			break;
		if (buf[n - 1] != '.') {
			if (n >= HB_DOMAIN_INPUT_MAX)
				break;
			buf[n++] = '.';
			q++;
		}
		p = q;
	}
}

static void scan_at_signs(const char *value, size_t len, struct hb_mailhdr_domains *d)
{
	const char *end = value + len;

	for (const char *p = value; p < end; p++) {
		if (*p == '@')
			domain_after_at(p + 1, end, d);
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int b64_value(char c)
{
	const char *table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *at = c != '\0' ? strchr(table, c) : NULL;

	return at != NULL ? (int)(at - table) : -1;
}

/* Decode the encoded text of one encoded-word (B or Q) into OUT, which has
 * room for LEN bytes (decoding never grows); returns the bytes written.
 * Lenient like a careless reader: bad characters are skipped. */
static size_t ew_decode(char enc, const char *text, size_t len, char *out)
{
	size_t n = 0;
	unsigned int acc = 0, bits = 0;

	for (size_t i = 0; i < len; i++) {
		if (enc == 'Q' || enc == 'q') {
			int hi, lo;

			if (text[i] == '_')
				out[n++] = ' ';
			else if (text[i] == '=' && i + 2 < len &&
				 (hi = hex_value(text[i + 1])) >= 0 &&
				 (lo = hex_value(text[i + 2])) >= 0) {
				out[n++] = (char)(hi * 16 + lo);
				i += 2;
			} else
				out[n++] = text[i];
		} else {
			int v = b64_value(text[i]);

			if (v < 0)
				continue;
			acc = (acc << 6) | (unsigned int)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				out[n++] = (char)((acc >> bits) & 0xff);
			}
		}
	}
	return n;
}

/* At P an encoded-word "=?charset?X?text?=" (RFC 2047 2)?  Returns its
 * length, with the encoding and the encoded text, or 0. */
static size_t ew_match(const char *p, const char *end, char *enc_r,
		       const char **text_r, size_t *text_len_r)
{
	const char *q = p + 2, *t;

	if (end - p < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	while (q < end && *q != '?' && !is_wsp(*q) && *q != '\r' && *q != '\n')
		q++;
	if (q == p + 2 || end - q < 5 || q[2] != '?' || strchr("BbQq", q[1]) == NULL)
		return 0;
	*enc_r = q[1];
	t = q + 3;
	for (q = t; q + 1 < end && !(q[0] == '?' && q[1] == '='); q++) {
		if (is_wsp(*q) || *q == '\r' || *q == '\n')
			return 0;
	}
	if (q + 1 >= end)
		return 0;
	*text_r = t;
	*text_len_r = (size_t)(q - t);
	return (size_t)(q + 2 - p);
}

/* VALUE with every encoded-word decoded and the whitespace between two
 * adjacent ones dropped (RFC 2047 6.2), as a reader displays it; written
 * to OUT (LEN bytes suffice); returns its length. */
static size_t decode_view(const char *value, size_t len, char *out)
{
	const char *p = value, *end = value + len;
	size_t n = 0, keep = 0;	/* keep: n before the whitespace after a word */
	int after_word = 0;

	while (p < end) {
		const char *text;
		size_t text_len, m;
		char enc;

		m = ew_match(p, end, &enc, &text, &text_len);
		if (m > 0) {
			if (after_word)
				n = keep;
			n += ew_decode(enc, text, text_len, out + n);
			keep = n;
			after_word = 1;
			p += m;
			continue;
		}
		if (!(is_wsp(*p) || *p == '\r' || *p == '\n'))
			after_word = 0;
		out[n++] = *p++;
	}
	return n;
}

static int has_encoded_word_start(const char *value, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if (value[i] == '=' && value[i + 1] == '?')
			return 1;
	}
	return 0;
}

void hb_mailhdr_domains_scan(const char *value, size_t len, struct hb_mailhdr_domains *d)
{
	char *view;
	size_t n;

	scan_at_signs(value, len, d);
	if (!has_encoded_word_start(value, len))
		return;
	/* decoding never grows: LEN bytes hold the decoded view */
	view = malloc(len);
	if (view == NULL) {
		d->overflow = 1;
		return;
	}
	n = decode_view(value, len, view);
	scan_at_signs(view, n, d);
	free(view);
}
