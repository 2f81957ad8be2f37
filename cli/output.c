/* output.c - JSON writer and human formatting helpers for hbctl.  Strings
 * from Redis or Dovecot are untrusted: they are escaped here, once, and
 * invalid UTF-8 becomes U+FFFD so the output is always valid JSON. */
#include "output.h"

#include <string.h>

void hbctl_json_init(struct hbctl_json *js, FILE *f)
{
	memset(js, 0, sizeof(*js));
	js->f = f;
}

/* Length of the valid UTF-8 sequence at S, or 0 if it is invalid. */
static size_t utf8_len(const unsigned char *s)
{
	size_t len;
	unsigned int cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2; cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3; cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4; cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

void hbctl_json_escape(FILE *f, const char *str)
{
	const unsigned char *p = (const unsigned char *)str;

	fputc('"', f);
	while (*p != '\0') {
		size_t len = utf8_len(p);

		if (len == 0) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		if (len > 1) {
			fwrite(p, 1, len, f);
			p += len;
			continue;
		}
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
		p++;
	}
	fputc('"', f);
}

/* Comma and key before a new value at the current depth. */
static void value_prefix(struct hbctl_json *js, const char *key)
{
	if (js->has_items[js->depth])
		fputc(',', js->f);
	js->has_items[js->depth] = 1;
	if (key != NULL) {
		hbctl_json_escape(js->f, key);
		fputc(':', js->f);
	}
}

static void open_container(struct hbctl_json *js, const char *key, char c)
{
	value_prefix(js, key);
	fputc(c, js->f);
	if (js->depth + 1 < HBCTL_JSON_MAX_DEPTH)
		js->depth++;
	js->has_items[js->depth] = 0;
}

static void close_container(struct hbctl_json *js, char c)
{
	fputc(c, js->f);
	if (js->depth > 0)
		js->depth--;
}

void hbctl_json_obj_begin(struct hbctl_json *js, const char *key)
{
	open_container(js, key, '{');
}

void hbctl_json_obj_end(struct hbctl_json *js)
{
	close_container(js, '}');
}

void hbctl_json_arr_begin(struct hbctl_json *js, const char *key)
{
	open_container(js, key, '[');
}

void hbctl_json_arr_end(struct hbctl_json *js)
{
	close_container(js, ']');
}

void hbctl_json_str(struct hbctl_json *js, const char *key, const char *value)
{
	value_prefix(js, key);
	if (value == NULL)
		fputs("null", js->f);
	else
		hbctl_json_escape(js->f, value);
}

void hbctl_json_int(struct hbctl_json *js, const char *key, long long value)
{
	value_prefix(js, key);
	fprintf(js->f, "%lld", value);
}

void hbctl_json_bool(struct hbctl_json *js, const char *key, int value)
{
	value_prefix(js, key);
	fputs(value ? "true" : "false", js->f);
}

void hbctl_json_null(struct hbctl_json *js, const char *key)
{
	value_prefix(js, key);
	fputs("null", js->f);
}

void hbctl_json_finish(struct hbctl_json *js)
{
	fputc('\n', js->f);
	fflush(js->f);
}

const char *hbctl_format_duration(long long seconds, char *buf, size_t size)
{
	if (seconds < 0)
		snprintf(buf, size, "-");
	else if (seconds < 60)
		snprintf(buf, size, "%llds", seconds);
	else if (seconds < 3600)
		snprintf(buf, size, "%lldm%02llds", seconds / 60, seconds % 60);
	else if (seconds < 86400)
		snprintf(buf, size, "%lldh%02lldm", seconds / 3600, (seconds % 3600) / 60);
	else
		snprintf(buf, size, "%lldd%02lldh", seconds / 86400, (seconds % 86400) / 3600);
	return buf;
}

const char *hbctl_printable(const char *str, char *buf, size_t size)
{
	size_t i = 0;

	if (size == 0)
		return "";
	for (; str != NULL && *str != '\0' && i + 1 < size; str++)
		buf[i++] = ((unsigned char)*str < 0x20 || *str == 0x7f) ? '?' : *str;
	buf[i] = '\0';
	return buf;
}
