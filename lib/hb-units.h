/* hb-units.h - parsing and formatting of the policy values of docs/DOMAINS.md
 * 1 and 4: sizes ("25M"), rates ("200/h") and counts ("100", "unlimited").
 * Strict: whitespace, signs, fractions, unknown units, trailing garbage and
 * values above the bounds below are refused with a reason, never rounded or
 * clamped.  The bounds make every accepted value one the milter's rate script
 * can enforce with exact integer arithmetic (docs/DOMAINS.md 5). */
#ifndef HB_UNITS_H
#define HB_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Largest size in bytes: 1024T (2^50), exact in a double (Lua, JSON). */
#define HB_SIZE_MAX (INT64_C(1) << 50)
/* Largest count, and largest COUNT of a rate: 10^9.  A rate's COUNT times a
 * period (<= 86400) stays below 2^47, so caps compare exactly in C's int64
 * and in Lua's doubles (docs/DOMAINS.md 4). */
#define HB_COUNT_MAX INT64_C(1000000000)
/* Periods of a rate: 1 second to 1 day. */
#define HB_RATE_PERIOD_MAX INT64_C(86400)
/* The largest value of any kind, and the old name of the period bound. */
#define HB_UNITS_VALUE_MAX HB_SIZE_MAX
#define HB_RATE_SECONDS_MAX HB_RATE_PERIOD_MAX
/* A buffer of this size always holds hb_format_size()/hb_format_rate(). */
#define HB_UNITS_FORMAT_MAX 40

/* Parse a size: decimal bytes with an optional K, M, G or T (1024^n) and an
 * optional "B" or "iB" after it, case-insensitive ("25M", "25MB", "25MiB",
 * "512k", "1048576", "0"), at most HB_SIZE_MAX.  Returns 0 with *BYTES_R set, or -1 with *ERROR_R
 * set to a static reason. */
int hb_parse_size(const char *in, int64_t *bytes_r, const char **error_r);

/* Parse a rate COUNT/PERIOD: COUNT 0..HB_COUNT_MAX, PERIOD is s, m, h, d
 * (also sec, second, min, minute, hour, day; case-insensitive) or a number of
 * seconds 1..HB_RATE_PERIOD_MAX (the stored form "200/3600").  "unlimited"
 * gives *COUNT_R = -1, *SECONDS_R = 0; a bare "0" (nothing passes) gives 0
 * per 1 second.  Returns 0, or -1 with *ERROR_R set
 * to a static reason. */
int hb_parse_rate(const char *in, int64_t *count_r, int64_t *seconds_r,
		  const char **error_r);

/* Parse a count: a decimal number 0..HB_COUNT_MAX without unit, or
 * "unlimited" (*COUNT_R = -1).  Returns 0, or -1 with *ERROR_R set to a static reason. */
int hb_parse_count(const char *in, int64_t *count_r, const char **error_r);

/* Write BYTES in the largest binary unit that divides it exactly (26214400 ->
 * "25M"), else in bytes ("1536").  Returns 0, or -1 if BYTES is negative or
 * above HB_SIZE_MAX, or OUT_SIZE is too small (never truncates). */
int hb_format_size(int64_t bytes, char *out, size_t out_size);

/* Write a rate as hb_parse_rate() reads it: "unlimited" for COUNT -1,
 * "COUNT/s|m|h|d" for periods of 1, 60, 3600, 86400 seconds, else
 * "COUNT/SECONDS".  Returns 0, or -1 for values hb_parse_rate() never gives
 * or when OUT_SIZE is too small (never truncates). */
int hb_format_rate(int64_t count, int64_t seconds, char *out, size_t out_size);

#endif
