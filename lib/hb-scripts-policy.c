/* hb-scripts-policy.c - the GCRA rate-limit script (docs/DOMAINS.md, 5), the
 * names of its keys, its argv and its reply.  The script gets every key in
 * KEYS (Redis ACLs and cluster routing see them) and never forms a name. */
#include "hb-scripts-policy.h"

#include <stdio.h>
#include <string.h>

#define STR(x) #x
#define XSTR(x) STR(x)

/* Internally time is in integer microseconds (exact in Lua's doubles until
 * the year 2255).  The emission interval T is rounded up to a whole us and
 * the burst window is W = COUNT*T, so a quiet subject gets exactly COUNT
 * units at once and never more than one per T afterwards.  Arguments are
 * all validated before any key is read, and all keys are read before any
 * is written, so a refusal or an error changes nothing.  With COUNT, COST
 * <= 10^9 and PERIOD <= 86400, T <= 8.64e10 us and W <= 8.64e10 + 10^9 us:
 * every sum below stays under 2^53.  A state the script cannot have written
 * (unreadable, or a TAT beyond now + W) counts as now: at worst one extra
 * burst of COUNT after a corruption, never an error for every request. */
const char hb_script_ratelimit[] =
	"local n = #KEYS\n"
	"if n == 0 then return redis.error_reply('ratelimit: no keys') end\n"
	"if #ARGV ~= 3 * n then\n"
	"  return redis.error_reply('ratelimit: need COUNT PERIOD COST for each of '..n..\n"
	"    ' keys, got '..#ARGV..' arguments')\n"
	"end\n"
	"local names = {'COUNT', 'PERIOD', 'COST'}\n"
	"local maxes = {" XSTR(HB_RATELIMIT_MAX_COUNT) ", " XSTR(HB_RATELIMIT_MAX_PERIOD) ", "
	XSTR(HB_RATELIMIT_MAX_COUNT) "}\n"
	"local lim = {}\n"
	"for i = 1, 3 * n do\n"
	"  local s, j = ARGV[i], (i - 1) % 3 + 1\n"
	"  if #s > 10 or not string.find(s, '^[1-9]%d*$') or tonumber(s) > maxes[j] then\n"
	"    return redis.error_reply('ratelimit: '..names[j]..' of key '..math.ceil(i / 3)..\n"
	"      ' is not an integer in 1..'..string.format('%d', maxes[j])..': '..\n"
	"      (string.gsub(string.sub(s, 1, 20), '[^%w.+-]', '?')))\n"
	"  end\n"
	"  lim[i] = tonumber(s)\n"
	"end\n"
	"for i = 1, n do\n"
	"  for j = 1, i - 1 do\n"
	"    if KEYS[i] == KEYS[j] then return redis.error_reply('ratelimit: key '..i..' repeats key '..j) end\n"
	"  end\n"
	"end\n"
	"local t = redis.call('TIME')\n"
	"local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
	/* stored state: TAT in ms with up to three decimals (us); anything
	 * else, or a TAT more than the window W ahead, is not ours: now */
	"local function tat(key, w)\n"
	"  local s = redis.pcall('GET', key)\n"
	"  if type(s) ~= 'string' then return now end\n"
	"  local ms, us = string.match(s, '^(%d+)%.?(%d*)$')\n"
	"  if not ms or #ms > 13 or #us > 3 then return now end\n"
	"  local v = tonumber(ms) * 1000 + tonumber(string.sub(us..'000', 1, 3))\n"
	"  if v > now + w then return now end\n"
	"  return math.max(v, now)\n"
	"end\n"
	"local new, ttl = {}, {}\n"
	"for i = 1, n do\n"
	"  local count, period, cost = lim[3 * i - 2], lim[3 * i - 1], lim[3 * i]\n"
	"  if cost > count then return {0, i, -1} end\n"
	"  local t = math.ceil(period * 1000000 / count)\n"
	"  local from = tat(KEYS[i], count * t)\n"
	"  new[i] = from + cost * t\n"
	"  local ahead = new[i] - now\n"
	"  if ahead > count * t then return {0, i, math.ceil((ahead - count * t) / 1000)} end\n"
	"  ttl[i] = math.min(math.ceil(ahead / 1000), period * 1000)\n"
	"end\n"
	"for i = 1, n do\n"
	"  redis.call('SET', KEYS[i], string.format('%d.%03d', math.floor(new[i] / 1000), new[i] % 1000),\n"
	"    'PX', string.format('%d', ttl[i]))\n"
	"end\n"
	"return {1}\n";

static const char *const ratelimit_kinds[] = {
	"user_msgs", "user_rcpts", "domain_msgs", "domain_rcpts",
};

static int has_control(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return 1;
	}
	return 0;
}

static int known_kind(const char *kind)
{
	for (size_t i = 0; i < sizeof(ratelimit_kinds) / sizeof(ratelimit_kinds[0]); i++) {
		if (strcmp(kind, ratelimit_kinds[i]) == 0)
			return 1;
	}
	return 0;
}

size_t hb_ratelimit_key(const char *prefix, const char *kind, const char *subject,
			char *out, size_t size)
{
	int len;

	if (prefix == NULL || kind == NULL || subject == NULL || out == NULL || size == 0)
		return 0;
	if (!known_kind(kind) || subject[0] == '\0' ||
	    strnlen(subject, HB_RATELIMIT_SUBJECT_MAX + 1) > HB_RATELIMIT_SUBJECT_MAX ||
	    has_control(subject) || has_control(prefix))
		return 0;
	len = snprintf(out, size, "%srl:%s:%s", prefix, kind, subject);
	if (len < 0 || (size_t)len >= size) {
		out[0] = '\0';
		return 0;
	}
	return (size_t)len;
}

/* Append V in decimal to NUMBUF at *USED; returns the string or NULL when
 * NUMBUF is full. */
static const char *format_number(char *numbuf, size_t size, size_t *used, long long v)
{
	char *start = numbuf + *used;
	int len;

	if (*used >= size)
		return NULL;
	len = snprintf(start, size - *used, "%lld", v);
	if (len < 0 || (size_t)len >= size - *used)
		return NULL;
	*used += (size_t)len + 1;
	return start;
}

static int check_valid(const struct hb_ratelimit_check *c, const char **error_r)
{
	if (c->key == NULL || c->key[0] == '\0') {
		*error_r = "rate-limit check without a key";
		return -1;
	}
	if (c->count < 1 || c->count > HB_RATELIMIT_MAX_COUNT ||
	    c->cost < 1 || c->cost > HB_RATELIMIT_MAX_COUNT) {
		*error_r = "rate-limit COUNT or COST out of range";
		return -1;
	}
	if (c->period_s < 1 || c->period_s > HB_RATELIMIT_MAX_PERIOD) {
		*error_r = "rate-limit PERIOD out of range";
		return -1;
	}
	return 0;
}

int hb_ratelimit_argv(const char *sha_or_null, const struct hb_ratelimit_check *checks,
		      unsigned int n, const char **argv, size_t *argvlen,
		      char *numbuf, size_t numbuf_size, unsigned int *argc_r,
		      const char **error_r)
{
	size_t used = 0;
	unsigned int argc = 0;

	if (n < 1 || n > HB_RATELIMIT_MAX_CHECKS || checks == NULL) {
		*error_r = "rate-limit check count not in 1..8";
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		if (check_valid(&checks[i], error_r) < 0)
			return -1;
	}
	argv[argc++] = sha_or_null != NULL ? "EVALSHA" : "EVAL";
	argv[argc++] = sha_or_null != NULL ? sha_or_null : hb_script_ratelimit;
	argv[argc++] = format_number(numbuf, numbuf_size, &used, n);
	for (unsigned int i = 0; i < n; i++)
		argv[argc++] = checks[i].key;
	for (unsigned int i = 0; i < n; i++) {
		argv[argc++] = format_number(numbuf, numbuf_size, &used, checks[i].count);
		argv[argc++] = format_number(numbuf, numbuf_size, &used, checks[i].period_s);
		argv[argc++] = format_number(numbuf, numbuf_size, &used, checks[i].cost);
	}
	for (unsigned int i = 0; i < argc; i++) {
		if (argv[i] == NULL) {
			*error_r = "rate-limit number buffer too small";
			return -1;
		}
		argvlen[i] = strlen(argv[i]);
	}
	*argc_r = argc;
	return 0;
}

static int int_element(const redisReply *r, size_t i, long long *v_r)
{
	if (r->element[i] == NULL || r->element[i]->type != REDIS_REPLY_INTEGER)
		return -1;
	*v_r = r->element[i]->integer;
	return 0;
}

int hb_ratelimit_parse_reply(const redisReply *r, int *allowed_r, unsigned int *index_r,
			     long long *retry_ms_r, const char **error_r)
{
	long long status, index, retry;

	if (r == NULL) {
		*error_r = "no reply from the rate-limit script";
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		*error_r = r->str != NULL ? r->str : "rate-limit script error";
		return -1;
	}
	if (r->type != REDIS_REPLY_ARRAY || (r->elements != 1 && r->elements != 3) ||
	    int_element(r, 0, &status) < 0) {
		*error_r = "rate-limit reply is not {1} or {0, index, retry}";
		return -1;
	}
	if (r->elements == 1) {
		if (status != 1) {
			*error_r = "rate-limit reply {x} with x other than 1";
			return -1;
		}
		*allowed_r = 1;
		return 0;
	}
	if (status != 0 || int_element(r, 1, &index) < 0 || int_element(r, 2, &retry) < 0) {
		*error_r = "rate-limit refusal is not {0, index, retry}";
		return -1;
	}
	if (index < 1 || index > HB_RATELIMIT_MAX_CHECKS || (retry < 1 && retry != -1)) {
		*error_r = "rate-limit refusal with index or retry out of range";
		return -1;
	}
	*allowed_r = 0;
	*index_r = (unsigned int)index;
	*retry_ms_r = retry;
	return 0;
}
