/* hb-scripts-policy.h - the atomic GCRA rate-limit script of the milter
 * (docs/DOMAINS.md, 5), the names of its keys (P rl:KIND:SUBJECT), and the
 * argv builder and reply parser around it.  Never computes key names inside
 * the script: every key the script touches is passed in KEYS. */
#ifndef HB_SCRIPTS_POLICY_H
#define HB_SCRIPTS_POLICY_H

#include <stddef.h>
#include <hiredis/hiredis.h>

/* At most this many limits are checked together in one script call. */
#define HB_RATELIMIT_MAX_CHECKS 8
/* Largest argv hb_ratelimit_argv() fills: EVAL|EVALSHA, script|sha,
 * numkeys, the keys, then COUNT PERIOD COST per key. */
#define HB_RATELIMIT_ARGV_MAX (3 + 4 * HB_RATELIMIT_MAX_CHECKS)
/* numbuf size that always suffices: numkeys plus three numbers per key,
 * each at most 20 digits and a NUL. */
#define HB_RATELIMIT_NUMBUF_SIZE ((1 + 3 * HB_RATELIMIT_MAX_CHECKS) * 21)
/* Bounds the script enforces too, the same as every stored rate's
 * (lib/hb-units.h): COUNT and COST at most 10^9, PERIOD at most a day.  So
 * every number the script computes stays far below 2^53 (exact in Lua's
 * doubles) and every TTL it sets is at most a day. */
#define HB_RATELIMIT_MAX_COUNT 1000000000	/* plain: also spliced into the script */
#define HB_RATELIMIT_MAX_PERIOD 86400
/* Longest SUBJECT (an address or a domain) of a rate-limit key. */
#define HB_RATELIMIT_SUBJECT_MAX 320

/* KEYS: the rate-limit keys checked together (distinct).  ARGV: for the i-th
 * key COUNT, PERIOD_SECONDS, COST as ARGV[3i-2], ARGV[3i-1], ARGV[3i], all
 * positive decimal integers.  Time comes from Redis TIME.  Every key is
 * checked first; only if all allow COST are all updated (SET key TAT PX ttl,
 * TAT in ms with three decimals, ttl <= PERIOD).  Returns {1} when allowed,
 * {0, INDEX, RETRY_MS} for the first refusing key (1-based INDEX; RETRY_MS
 * >= 1 is when this cost would pass, -1 when COST > COUNT: never), and an
 * error reply ("ratelimit: ...") only for malformed arguments.  A stored
 * state the script did not write (unreadable, or further ahead than one
 * window, which no allowed request can make) counts as a quiet subject and
 * is replaced by the next allowed request: it never fails every request. */
extern const char hb_script_ratelimit[];

/* One limit of a check: the key (from hb_ratelimit_key()), COUNT units per
 * PERIOD_S seconds, and the COST of this request in units. */
struct hb_ratelimit_check {
	const char *key;
	long long count, period_s, cost;
};

/* Write PREFIX "rl:" KIND ":" SUBJECT into OUT (SIZE bytes, NUL-terminated).
 * KIND is one of "user_msgs", "user_rcpts", "domain_msgs", "domain_rcpts".
 * Returns the key's length, or 0 when KIND is unknown, SUBJECT is empty,
 * longer than HB_RATELIMIT_SUBJECT_MAX or has control characters, PREFIX has
 * control characters, or the key does not fit. */
size_t hb_ratelimit_key(const char *prefix, const char *kind, const char *subject,
			char *out, size_t size);

/* Fill ARGV/ARGVLEN (room for HB_RATELIMIT_ARGV_MAX) for
 * "EVALSHA SHA_OR_NULL ..." or, when SHA_OR_NULL is NULL,
 * "EVAL hb_script_ratelimit ..." over the N (1..HB_RATELIMIT_MAX_CHECKS)
 * CHECKS.  The numbers are formatted into NUMBUF (NUMBUF_SIZE bytes, see
 * HB_RATELIMIT_NUMBUF_SIZE), which ARGV then points into, as it points into
 * CHECKS' keys.  Sets *ARGC_R.  Returns 0, or -1 with a static *ERROR_R for
 * a bad N, a missing or empty key, a number out of range or too small a
 * NUMBUF.  COST > COUNT is passed on: the script answers RETRY_MS -1. */
int hb_ratelimit_argv(const char *sha_or_null, const struct hb_ratelimit_check *checks,
		      unsigned int n, const char **argv, size_t *argvlen,
		      char *numbuf, size_t numbuf_size, unsigned int *argc_r,
		      const char **error_r);

/* Parse the script's reply R.  Sets *ALLOWED_R (1 or 0); when refused also
 * *INDEX_R (1..HB_RATELIMIT_MAX_CHECKS; the caller checks it against its N)
 * and *RETRY_MS_R (>= 1, or -1 for never).  Returns 0, or -1 with *ERROR_R
 * for no reply, an error reply (then *ERROR_R points into R: valid until R
 * is freed) or any other shape (static reason). */
int hb_ratelimit_parse_reply(const redisReply *r, int *allowed_r, unsigned int *index_r,
			     long long *retry_ms_r, const char **error_r);

#endif
