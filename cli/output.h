/* output.h - hbctl's two output forms: a streaming JSON writer (every string
 * escaped, invalid UTF-8 replaced) and small helpers for the human tables.
 * Writes only to the FILE it is given; never decides exit codes. */
#ifndef HBCTL_OUTPUT_H
#define HBCTL_OUTPUT_H

#include <stdio.h>
#include <stddef.h>

#define HBCTL_JSON_MAX_DEPTH 16

struct hbctl_json {
	FILE *f;
	unsigned int depth;
	int has_items[HBCTL_JSON_MAX_DEPTH];
};

void hbctl_json_init(struct hbctl_json *js, FILE *f);
/* KEY is NULL inside arrays and at the top level. */
void hbctl_json_obj_begin(struct hbctl_json *js, const char *key);
void hbctl_json_obj_end(struct hbctl_json *js);
void hbctl_json_arr_begin(struct hbctl_json *js, const char *key);
void hbctl_json_arr_end(struct hbctl_json *js);
void hbctl_json_str(struct hbctl_json *js, const char *key, const char *value);
void hbctl_json_int(struct hbctl_json *js, const char *key, long long value);
void hbctl_json_bool(struct hbctl_json *js, const char *key, int value);
void hbctl_json_null(struct hbctl_json *js, const char *key);
/* Ends the document with a newline. */
void hbctl_json_finish(struct hbctl_json *js);

/* Write STR as a quoted JSON string. */
void hbctl_json_escape(FILE *f, const char *str);

/* "5s", "3m12s", "2h05m", "4d03h"; "-" for a negative value. */
const char *hbctl_format_duration(long long seconds, char *buf, size_t size);
/* Replace control characters for a one-line human display (bounded copy). */
const char *hbctl_printable(const char *str, char *buf, size_t size);

#endif
