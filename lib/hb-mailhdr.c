/* hb-mailhdr.c - a small recursive-descent reader of RFC 5322 mailbox-lists.
 * A tokenizer skips folding whitespace and (nested) comments and yields
 * words (atoms, dot-atoms with their dots, quoted strings) and the specials
 * < > @ , : ; [ ]; the parser takes mailbox ("," mailbox)*, each one either
 * [phrase] "<" addr-spec ">" or a bare addr-spec.  The addr-spec is rebuilt
 * as text and handed to hb_addr_normalize(), the one judge of addresses. */
#include "hb-mailhdr.h"
#include "hb-utf8.h"

#include <stdint.h>
#include <string.h>

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
