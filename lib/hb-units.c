/* hb-units.c - strict parsers and formatters of sizes, rates and counts
 * (docs/DOMAINS.md 1).  No strtol: only ASCII digits are read, every value
 * is bounded (hb-units.h) before it can overflow, and nothing is ever
 * rounded, clamped or truncated. */
#include "hb-units.h"

#include <inttypes.h>
#include <stdio.h>
#include <strings.h>

#define TOO_LARGE_SIZE "size too large (at most 1024T)"
#define TOO_LARGE_COUNT "count too large (at most 1000000000)"

struct unit_name {
	const char *name;
	int64_t seconds;
};

static const struct unit_name periods[] = {
	{ "s", 1 }, { "sec", 1 }, { "second", 1 },
	{ "m", 60 }, { "min", 60 }, { "minute", 60 },
	{ "h", 3600 }, { "hour", 3600 },
	{ "d", 86400 }, { "day", 86400 },
};

/* Read the decimal digits at *P (at least one) into *VALUE_R, up to MAX
 * (else TOO_LARGE is the reason); *P is left at the first non-digit. */
static int parse_digits(const char **p, int64_t max, const char *too_large,
			int64_t *value_r, const char **error_r)
{
	const char *s = *p;
	int64_t value = 0;

	if (*s == '\0') {
		*error_r = "empty value";
		return -1;
	}
	if (*s < '0' || *s > '9') {
		*error_r = "value must start with a digit (no sign or space)";
		return -1;
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		value = value * 10 + (*s - '0');
		if (value > max) {
			*error_r = too_large;
			return -1;
		}
	}
	*p = s;
	*value_r = value;
	return 0;
}

/* The binary shift of a size suffix ("", "k", "KiB", "mb", "B"), or -1. */
static int size_shift(const char *suffix)
{
	static const char units[] = "kmgt";
	int shift = 0;

	for (int i = 0; units[i] != '\0'; i++) {
		if (suffix[0] == units[i] || suffix[0] == units[i] - ('a' - 'A')) {
			shift = 10 * (i + 1);
			suffix++;
			break;
		}
	}
	if (*suffix == '\0' || strcasecmp(suffix, "b") == 0)
		return shift;
	if (shift > 0 && strcasecmp(suffix, "ib") == 0)
		return shift;
	return -1;
}

int hb_parse_size(const char *in, int64_t *bytes_r, const char **error_r)
{
	int64_t value;
	int shift;

	if (parse_digits(&in, HB_SIZE_MAX, TOO_LARGE_SIZE, &value, error_r) < 0)
		return -1;
	if (*in == '.' || *in == ',') {
		*error_r = "size must be a whole number";
		return -1;
	}
	shift = size_shift(in);
	if (shift < 0) {
		*error_r = "size has an unknown unit or trailing characters (use K, M, G, T)";
		return -1;
	}
	if (value > (HB_SIZE_MAX >> shift)) {
		*error_r = TOO_LARGE_SIZE;
		return -1;
	}
	*bytes_r = value << shift;
	return 0;
}

/* The period after '/' of a rate: a unit name or a number of seconds. */
static int parse_period(const char *in, int64_t *seconds_r, const char **error_r)
{
	if (*in >= '0' && *in <= '9') {
		if (parse_digits(&in, HB_RATE_PERIOD_MAX,
				 "rate period must be at most one day (86400 seconds)",
				 seconds_r, error_r) < 0)
			return -1;
		if (*in != '\0') {
			*error_r = "rate period has trailing characters";
			return -1;
		}
		if (*seconds_r == 0) {
			*error_r = "rate period must be at least one second";
			return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		if (strcasecmp(in, periods[i].name) == 0) {
			*seconds_r = periods[i].seconds;
			return 0;
		}
	}
	*error_r = "rate period must be s, m, h, d or a number of seconds up to 86400";
	return -1;
}

int hb_parse_rate(const char *in, int64_t *count_r, int64_t *seconds_r,
		  const char **error_r)
{
	int64_t count, seconds;

	if (strcasecmp(in, "unlimited") == 0) {
		*count_r = -1;
		*seconds_r = 0;
		return 0;
	}
	if (parse_digits(&in, HB_COUNT_MAX, TOO_LARGE_COUNT, &count, error_r) < 0)
		return -1;
	if (*in == '\0' && count == 0) {
		*count_r = 0;
		*seconds_r = 1;
		return 0;
	}
	if (*in != '/') {
		*error_r = "rate must be COUNT/PERIOD (e.g. 200/h), 0 or unlimited";
		return -1;
	}
	if (parse_period(in + 1, &seconds, error_r) < 0)
		return -1;
	*count_r = count;
	*seconds_r = seconds;
	return 0;
}

int hb_parse_count(const char *in, int64_t *count_r, const char **error_r)
{
	int64_t count;

	if (strcasecmp(in, "unlimited") == 0) {
		*count_r = -1;
		return 0;
	}
	if (parse_digits(&in, HB_COUNT_MAX, TOO_LARGE_COUNT, &count, error_r) < 0)
		return -1;
	if (*in != '\0') {
		*error_r = "count must be a whole number without unit, or unlimited";
		return -1;
	}
	*count_r = count;
	return 0;
}

/* snprintf into OUT, failing instead of truncating. */
static int format_checked(int n, size_t out_size, char *out)
{
	if (n < 0 || (size_t)n >= out_size) {
		if (out_size > 0)
			out[0] = '\0';
		return -1;
	}
	return 0;
}

int hb_format_size(int64_t bytes, char *out, size_t out_size)
{
	static const char units[] = "TGMK";
	int shift = 40;

	if (bytes < 0 || bytes > HB_SIZE_MAX) {
		if (out_size > 0)
			out[0] = '\0';
		return -1;
	}
	for (int i = 0; units[i] != '\0'; i++, shift -= 10) {
		int64_t unit = INT64_C(1) << shift;
		if (bytes != 0 && bytes % unit == 0)
			return format_checked(snprintf(out, out_size, "%" PRId64 "%c",
						       bytes / unit, units[i]),
					      out_size, out);
	}
	return format_checked(snprintf(out, out_size, "%" PRId64, bytes), out_size, out);
}

int hb_format_rate(int64_t count, int64_t seconds, char *out, size_t out_size)
{
	if (count == -1)
		return format_checked(snprintf(out, out_size, "unlimited"), out_size, out);
	if (count < 0 || count > HB_COUNT_MAX || seconds < 1 ||
	    seconds > HB_RATE_PERIOD_MAX)
		return format_checked(-1, out_size, out);
	/* the one-letter names of the table are the short forms */
	for (size_t i = 0; i < sizeof(periods) / sizeof(periods[0]); i++) {
		if (periods[i].seconds == seconds && periods[i].name[1] == '\0')
			return format_checked(snprintf(out, out_size, "%" PRId64 "/%s",
						       count, periods[i].name),
					      out_size, out);
	}
	return format_checked(snprintf(out, out_size, "%" PRId64 "/%" PRId64, count, seconds),
			      out_size, out);
}
