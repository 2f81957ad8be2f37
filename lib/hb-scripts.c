/* hb-scripts.c - Lua scripts that read and change routing state in one atomic
 * Redis step (docs/DESIGN.md, 2, 4, 5).  Key names inside are formed from the
 * prefix exactly as lib/hb-keys.c forms them; keep the two in step. */
#include "hb-scripts.h"

/* Effective state of a backend as in hb_backend_effective(), from its admin
 * state, health and degraded flag. */
#define LUA_EFFECTIVE_STATE \
	"local function eff_state(st, health, degraded)\n" \
	"  if health == 'failed' and (st == 'up' or st == 'draining') then return 'down' end\n" \
	"  if st == 'up' and degraded == '1' then return 'degraded' end\n" \
	"  return st\n" \
	"end\n" \
	"local function keeps(st) return st == 'up' or st == 'draining' or st == 'degraded' end\n"

/* The same for backend NAME, with its weight and fence_until. */
#define LUA_EFFECTIVE \
	LUA_EFFECTIVE_STATE \
	"local function eff(name)\n" \
	"  local f = redis.call('HMGET', p..'backend:'..name, 'state', 'health', 'weight', 'fence_until', 'degraded')\n" \
	"  if not f[1] then return nil, 0, 0 end\n" \
	"  return eff_state(f[1], f[2], f[5]), tonumber(f[3]) or 0, tonumber(f[4]) or 0\n" \
	"end\n"

/* The first of the candidates ARGV[FROM..] that takes new users: backends
 * that are up first, a degraded one only when none is (a slow login beats
 * none); nil when there is none. */
#define LUA_FIRST_USABLE \
	"local function first_usable(from)\n" \
	"  for _, wanted in ipairs({'up', 'degraded'}) do\n" \
	"    for i = from, #ARGV do\n" \
	"      local st, w = eff(ARGV[i])\n" \
	"      if st == wanted and w > 0 then return ARGV[i] end\n" \
	"    end\n" \
	"  end\n" \
	"  return nil\n" \
	"end\n"

/* A live assignment of USER to CUR is used: its idle expiry starts again.
 * ZADD costs O(log N) in a large set, so the score is refreshed only when it
 * is a quarter of user_expire (at most a minute) old. */
#define LUA_KEEP \
	"local function keep(ukey, cur, user, now_s, expire)\n" \
	"  redis.call('EXPIRE', ukey, expire)\n" \
	"  local seen = tonumber(redis.call('ZSCORE', p..'users:'..cur, user))\n" \
	"  if not seen or seen < tonumber(now_s) - math.min(60, math.floor(tonumber(expire) / 4)) then\n" \
	"    redis.call('ZADD', p..'users:'..cur, now_s, user)\n" \
	"  end\n" \
	"end\n"

const char hb_script_route[] =
	"local p, user = ARGV[1], ARGV[2]\n"
	"local now_s, now_ms, expire = ARGV[3], tonumber(ARGV[4]), ARGV[5]\n"
	"if redis.call('EXISTS', p..'move:'..user) == 1 then return {'WAIT', 'moving'} end\n"
	LUA_EFFECTIVE
	LUA_FIRST_USABLE
	LUA_KEEP
	"local ukey = p..'user:'..user\n"
	"local cur = redis.call('GET', ukey)\n"
	"if cur then\n"
	"  local st, w, fence = eff(cur)\n"
	"  if keeps(st) then\n"
	"    keep(ukey, cur, user, now_s, expire)\n"
	"    return {'OK', cur}\n"
	"  end\n"
	"  if st and fence > now_ms then return {'WAIT', 'fenced'} end\n"
	"end\n"
	"local name = first_usable(6)\n"
	"if not name then return {'NONE'} end\n"
	"redis.call('SET', ukey, name, 'EX', expire)\n"
	"redis.call('ZADD', p..'users:'..name, now_s, user)\n"
	"if cur then redis.call('ZREM', p..'users:'..cur, user) end\n"
	"return {'NEW', name, cur or ''}\n";

/* The passdb module's fast path (docs/AUTH-MODULE.md): read-only, so that
 * its Redis user can never shorten or drop an assignment (docs/SECURITY.md
 * 2); an assignment's idle expiry is restarted by the directors' route
 * script and session census only.  Only an assignment that the route script
 * would keep is answered; everything else (no
 * assignment, a move, an unusable backend, settings that differ from the
 * directors') goes to a director.  The answer carries the directors'
 * route_cache_ttl_ms, for which the module may reuse it. */
const char hb_script_route_known[] =
	"local p, user, field, now_s, delim = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"local r = redis.call('HMGET', p..'routing', 'user_expire', 'recipient_delimiter', 'route_cache_ttl_ms')\n"
	"if not r[1] then return {'ASK', 'no director has published its settings'} end\n"
	"if (r[2] or '') ~= delim then return {'DELIM', r[2] or ''} end\n"
	"if redis.call('EXISTS', p..'move:'..user) == 1 then return {'ASK', 'moving'} end\n"
	LUA_EFFECTIVE_STATE
	"local cur = redis.call('GET', p..'user:'..user)\n"
	"if not cur then return {'ASK', 'not assigned'} end\n"
	"local b = redis.call('HMGET', p..'backend:'..cur, 'state', 'health', 'host', field, 'degraded')\n"
	"local st = b[1] and eff_state(b[1], b[2], b[5])\n"
	"if not keeps(st) then return {'ASK', 'backend not usable'} end\n"
	"if not b[3] or (tonumber(b[4]) or 0) <= 0 then return {'ASK', 'no port for the service'} end\n"
	/* how long the module may reuse this answer (docs/DESIGN.md 4): never
	 * past the assignment's own expiry, which this script does not extend */
	"local ttl = math.min(tonumber(r[3]) or 0, math.max(redis.call('PTTL', p..'user:'..user), 0))\n"
	"return {'OK', cur, b[3], b[4], tostring(ttl)}\n";

const char hb_script_move_commit[] =
	"local p, user, target = ARGV[1], ARGV[2], ARGV[3]\n"
	"if redis.call('EXISTS', p..'backend:'..target) == 0 then\n"
	"  return redis.error_reply('unknown backend '..target)\n"
	"end\n"
	/* the hold must still be ours: if it expired during a slow kick, a login
	 * may already have been routed to the old backend again */
	"if redis.call('GET', p..'move:'..user) ~= target then\n"
	"  return redis.error_reply('move hold of '..user..' expired or taken over')\n"
	"end\n"
	"local ukey = p..'user:'..user\n"
	"local old = redis.call('GET', ukey)\n"
	"redis.call('SET', ukey, target, 'EX', ARGV[4])\n"
	"if old and old ~= target then redis.call('ZREM', p..'users:'..old, user) end\n"
	"redis.call('ZADD', p..'users:'..target, ARGV[5], user)\n"
	"redis.call('DEL', p..'move:'..user)\n"
	"return old or ''\n";

const char hb_script_lease[] =
	"local k = ARGV[1]..'lease:health'\n"
	"local cur = redis.call('GET', k)\n"
	"if cur == ARGV[2] then redis.call('PEXPIRE', k, ARGV[3]) return 1 end\n"
	"if not cur then redis.call('SET', k, ARGV[2], 'PX', ARGV[3]) return 1 end\n"
	"return 0\n";

/* Results: ok; sick (it answered, but not well) and slow (no answer within
 * health_timeout) are sickness, not death: they interrupt a recovery and
 * count for `degraded`; dead (proven, confirmed by the director) and silent
 * (no sign of life for health_dead_after) fail the backend at once.  A failed
 * backend's rounds say nothing about its speed: `degraded` is left alone
 * while it is failed. */
const char hb_script_health[] =
	"local k = ARGV[1]..'backend:'..ARGV[2]\n"
	"if redis.call('EXISTS', k) == 0 then return {'gone', 0} end\n"
	"local f = redis.call('HMGET', k, 'health', 'health_fails', 'health_oks')\n"
	"local h, fails, oks = f[1] or 'unknown', tonumber(f[2]) or 0, tonumber(f[3]) or 0\n"
	"local result, changed = ARGV[3], 0\n"
	"if result == 'ok' then\n"
	"  oks, fails = oks + 1, 0\n"
	"  if h ~= 'ok' and (h == 'unknown' or oks >= tonumber(ARGV[6])) then h = 'ok'; changed = 1 end\n"
	"elseif result == 'dead' or result == 'silent' then\n"
	"  fails, oks = fails + 1, 0\n"
	"  if h ~= 'failed' then\n"
	"    h = 'failed'; changed = 1\n"
	/* its users wait while the director kicks what may still run there */
	"    if tonumber(ARGV[7]) > 0 then\n"
	"      redis.call('HSET', k, 'fence_until', tonumber(ARGV[8]) + tonumber(ARGV[7]))\n"
	"    end\n"
	/* the passdb modules drop cached answers naming it (docs/DESIGN.md 4) */
	"    redis.call('PUBLISH', ARGV[13], 'backend '..ARGV[2])\n"
	"  end\n"
	"else\n"
	"  oks = 0\n"
	"end\n"
	"redis.call('HSET', k, 'health', h, 'health_fails', fails, 'health_oks', oks,\n"
	"           'health_time', ARGV[5])\n"
	"if result == 'ok' or h == 'failed' then redis.call('HSET', k, 'health_reason', ARGV[4]) end\n"
	/* degraded: lock pressure the node published (its key expires when the
	 * node stops publishing), a slow probe, or a sick or slow round, with
	 * consecutive-round hysteresis in both directions */
	"local g = redis.call('HMGET', k, 'degraded', 'degrade_hits', 'degrade_clears', 'degraded_reason')\n"
	"local deg, hits, clears = g[1] == '1', tonumber(g[2]) or 0, tonumber(g[3]) or 0\n"
	"if h == 'failed' then\n"
	"  if changed == 1 then redis.call('INCR', ARGV[1]..'epoch') end\n"
	"  return {h, changed, deg and 'degraded' or 'normal', 0, g[4] or ''}\n"
	"end\n"
	"local why = {}\n"
	"local pr = redis.call('HMGET', ARGV[1]..'pressure:'..ARGV[2], 'level', 'reason')\n"
	"if pr[1] == 'warn' or pr[1] == 'crit' then\n"
	"  table.insert(why, 'lock pressure '..pr[1]..' ('..(pr[2] or '')..')')\n"
	"end\n"
	"local took, limit = tonumber(ARGV[9]) or -1, tonumber(ARGV[10]) or 0\n"
	"if result == 'sick' or result == 'slow' then\n"
	"  table.insert(why, ARGV[4])\n"
	"elseif limit > 0 and took > limit then\n"
	"  table.insert(why, 'probe took '..took..' ms (limit '..limit..' ms)')\n"
	"end\n"
	"local dchanged, reason = 0, table.concat(why, '; ')\n"
	"if #why > 0 then\n"
	"  hits, clears = hits + 1, 0\n"
	"  if not deg and hits >= tonumber(ARGV[11]) then\n"
	"    deg, dchanged = true, 1\n"
	"    redis.call('HSET', k, 'degraded_since', ARGV[5])\n"
	"  end\n"
	"  if deg then redis.call('HSET', k, 'degraded_reason', reason) end\n"
	"else\n"
	"  hits, clears = 0, clears + 1\n"
	"  if deg and clears >= tonumber(ARGV[12]) then\n"
	"    deg, dchanged = false, 1\n"
	"    redis.call('HDEL', k, 'degraded_reason')\n"
	"  end\n"
	"end\n"
	"redis.call('HSET', k, 'degraded', deg and '1' or '0', 'degrade_hits', hits,\n"
	"           'degrade_clears', clears)\n"
	"if changed == 1 or dchanged == 1 then redis.call('INCR', ARGV[1]..'epoch') end\n"
	"return {h, changed, deg and 'degraded' or 'normal', dchanged, reason}\n";

/* One user of a failed backend OLD, moved by the director without waiting
 * for the user's next login (docs/DESIGN.md 4): only while its assignment
 * still names OLD, OLD is still unusable and its fence is over, and no move
 * is running.  The remaining idle time and the users: score go along. */
const char hb_script_reassign[] =
	"local p, user, old, now_ms = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])\n"
	LUA_EFFECTIVE
	LUA_FIRST_USABLE
	"if redis.call('EXISTS', p..'move:'..user) == 1 then return {'SKIP'} end\n"
	"local ukey = p..'user:'..user\n"
	"if redis.call('GET', ukey) ~= old then\n"
	"  redis.call('ZREM', p..'users:'..old, user)\n"
	"  return {'GONE'}\n"
	"end\n"
	"local st, w, fence = eff(old)\n"
	"if keeps(st) then return {'KEEP'} end\n"
	"if fence > now_ms then return {'FENCED'} end\n"
	"local name = first_usable(5)\n"
	"if not name then return {'NONE'} end\n"
	"local ttl = redis.call('PTTL', ukey)\n"
	"if ttl > 0 then redis.call('SET', ukey, name, 'PX', ttl) else redis.call('SET', ukey, name) end\n"
	"local score = redis.call('ZSCORE', p..'users:'..old, user) or math.floor(now_ms / 1000)\n"
	"redis.call('ZADD', p..'users:'..name, score, user)\n"
	"redis.call('ZREM', p..'users:'..old, user)\n"
	"return {'NEW', name}\n";

const char hb_script_pressure[] =
	"local p, name = ARGV[1], ARGV[2]\n"
	"if redis.call('EXISTS', p..'backend:'..name) == 0 then\n"
	"  return redis.error_reply('unknown backend '..name)\n"
	"end\n"
	"local k = p..'pressure:'..name\n"
	"redis.call('DEL', k)\n"
	"redis.call('HSET', k, 'level', ARGV[3], 'reason', ARGV[4], 'held', ARGV[5],\n"
	"           'waiting', ARGV[6], 'oldest_s', ARGV[7], 'time', ARGV[8])\n"
	"redis.call('PEXPIRE', k, ARGV[9])\n"
	"return 1\n";

const char hb_script_census[] =
	"local p, b, now, expire = ARGV[1], ARGV[2], ARGV[3], ARGV[4]\n"
	"if redis.call('EXISTS', p..'backend:'..b) == 0 then return {} end\n"
	"local mismatch = {}\n"
	"for i = 5, #ARGV do\n"
	"  local u = ARGV[i]\n"
	"  local ukey = p..'user:'..u\n"
	"  local cur = redis.call('GET', ukey)\n"
	"  if cur == b then\n"
	"    redis.call('EXPIRE', ukey, expire)\n"
	"    redis.call('ZADD', p..'users:'..b, now, u)\n"
	/* the assignment expired under an open session: pin the user to where
	 * the session is, unless a move is deciding where the user goes */
	"  elseif not cur then\n"
	"    if redis.call('EXISTS', p..'move:'..u) == 0 then\n"
	"      redis.call('SET', ukey, b, 'EX', expire)\n"
	"      redis.call('ZADD', p..'users:'..b, now, u)\n"
	"    end\n"
	"  else\n"
	"    table.insert(mismatch, u)\n"
	"    table.insert(mismatch, cur)\n"
	"  end\n"
	"end\n"
	"return mismatch\n";

const char hb_script_snapshot[] =
	"local p, now, expire = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])\n"
	"local out = {redis.call('GET', p..'epoch') or '0'}\n"
	"for _, n in ipairs(redis.call('SMEMBERS', p..'backends')) do\n"
	"  local h = redis.call('HGETALL', p..'backend:'..n)\n"
	"  if #h > 0 then\n"
	"    table.insert(out, n)\n"
	"    table.insert(out, h)\n"
	"    table.insert(out, redis.call('ZCOUNT', p..'users:'..n, now - expire, '+inf'))\n"
	"  end\n"
	"end\n"
	"return out\n";

const char hb_script_apikey[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
	"local f = redis.call('HMGET', KEYS[1], 'doveadm_api', 'doveadm_api_by', 'doveadm_api_time')\n"
	"if ARGV[1] ~= 'refused' and f[1] == 'refused' and f[2] ~= ARGV[4] and\n"
	"   (tonumber(f[3]) or 0) + tonumber(ARGV[5]) > tonumber(ARGV[2]) then return 0 end\n"
	"redis.call('HSET', KEYS[1], 'doveadm_api', ARGV[1], 'doveadm_api_time', ARGV[2],\n"
	"           'doveadm_api_reason', ARGV[3], 'doveadm_api_by', ARGV[4])\n"
	"return 1\n";

const char hb_script_userdb[] =
	"local st = redis.call('HGET', KEYS[1], 'state')\n"
	"if not st then return {} end\n"
	"local u = redis.call('HMGET', KEYS[4], 'state', 'quota')\n"
	"local pw = redis.call('GET', KEYS[5])\n"
	"if redis.call('EXISTS', KEYS[4]) == 0 or not pw then return {} end\n"
	"return {st, redis.call('HGET', KEYS[2], 'quota'), redis.call('HGET', KEYS[3], 'quota'),\n"
	"        u[1], pw, u[2]}\n";
