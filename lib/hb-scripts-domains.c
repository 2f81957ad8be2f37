/* hb-scripts-domains.c - the scripts of hb-scripts-domains.h.  Key names are
 * formed from the prefix exactly as lib/hb-keys.c forms them (HB_DKEY_*,
 * docs/DOMAINS.md 2); keep the two in step.  Every script first checks
 * everything, then writes: a refused change leaves no trace, not even an
 * audit entry, and a change without effect (a grant that exists) none. */
#include "hb-scripts-domains.h"

/* ARGV[1..5], the audit helper and the scope check.  The audit log is a list
 * that admind may only RPUSH to (docs/SECURITY.md 2); only the operator's
 * scripts trim it.  check_scope() returns the refusal (or nil): the domain
 * must exist, and WHO must be the operator or, unless OPERATOR_ONLY, an admin
 * the domain is granted to. */
#define LUA_PRELUDE \
	"local p, dom, who, from, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n" \
	"local dkey, ckey, gkey = p..'d:'..dom, p..'caps:'..dom, p..'grant:'..dom\n" \
	"local operator = string.sub(who, 1, 9) == 'operator:'\n" \
	"local function audit_to(d, action, target, old, new)\n" \
	"  local k = p..'audit:'..d\n" \
	"  redis.call('RPUSH', k, cjson.encode({who = who, from = from, time = now,\n" \
	"    action = action, target = target, old = old, new = new}))\n" \
	"  if operator then redis.call('LTRIM', k, -100000, -1) end\n" \
	"end\n" \
	"local function audit(action, target, old, new) audit_to(dom, action, target, old, new) end\n" \
	"local function granted(d, name) return redis.call('SISMEMBER', p..'grant:'..d, name) == 1 end\n" \
	"local function check_scope(operator_only)\n" \
	"  if redis.call('EXISTS', dkey) == 0 then return 'NODOMAIN '..dom end\n" \
	"  if operator then return nil end\n" \
	"  if operator_only or string.sub(who, 1, 6) ~= 'admin:' or not granted(dom, string.sub(who, 7)) then\n" \
	"    return 'SCOPE '..dom\n" \
	"  end\n" \
	"  return nil\n" \
	"end\n"

#define LUA_SCOPE(operator_only) \
	"local refusal = check_scope(" operator_only ")\n" \
	"if refusal then return redis.error_reply(refusal) end\n"

/* References (docs/DOMAINS.md 7): P d:D:refs lists every sender right and
 * alias target of another domain that names D, as "send DOM LOCAL ADDR WHO"
 * or "alias DOM LOCAL ADDR" (tab-separated), so that removing D, or revoking
 * the admin who granted a right on D, removes them in the same step. */
#define LUA_REFS \
	"local function addr_domain(a) return string.match(a, '@([^@]+)$') end\n" \
	"local function ref_key(d) return p..'d:'..d..':refs' end\n" \
	"local function ref_add(kind, loc, addr, by)\n" \
	"  local d = addr_domain(addr)\n" \
	"  if not d or d == dom then return end\n" \
	"  local e = kind..'\\t'..dom..'\\t'..loc..'\\t'..addr\n" \
	"  if kind == 'send' then e = e..'\\t'..by\n" \
	"  elseif redis.call('EXISTS', p..'d:'..d) == 0 then return end\n" \
	"  redis.call('SADD', ref_key(d), e)\n" \
	"end\n" \
	"local function ref_fields(e)\n" \
	"  local f = {}\n" \
	"  for x in string.gmatch(e, '[^\\t]+') do table.insert(f, x) end\n" \
	"  return f\n" \
	"end\n" \
	/* forget the references of DOM's LOCAL to ADDR (right or alias gone) */ \
	"local function ref_drop(kind, loc, addr)\n" \
	"  local d = addr_domain(addr)\n" \
	"  if not d or d == dom then return end\n" \
	"  for _, e in ipairs(redis.call('SMEMBERS', ref_key(d))) do\n" \
	"    local f = ref_fields(e)\n" \
	"    if f[1] == kind and f[2] == dom and f[3] == loc and f[4] == addr then\n" \
	"      redis.call('SREM', ref_key(d), e)\n" \
	"    end\n" \
	"  end\n" \
	"end\n" \
	"local function ref_drop_all(kind, key, loc)\n" \
	"  for _, a in ipairs(redis.call('SMEMBERS', key)) do ref_drop(kind, loc, a) end\n" \
	"end\n" \
	/* remove what other domains hold that names domain D: the sender rights
	 * (only those granted by BY when BY is given) and, if ALIASES, alias
	 * targets; each removal is audited in the domain it changes */ \
	"local function purge_refs(d, by, aliases)\n" \
	"  for _, e in ipairs(redis.call('SMEMBERS', ref_key(d))) do\n" \
	"    local f = ref_fields(e)\n" \
	"    local od, loc, addr = f[2], f[3], f[4]\n" \
	"    if f[1] == 'send' and (not by or f[5] == by) then\n" \
	"      if redis.call('SREM', p..'d:'..od..':send:'..loc, addr) == 1 then\n" \
	"        audit_to(od, 'sender deny', loc..'@'..od, addr, '')\n" \
	"      end\n" \
	"      redis.call('SREM', ref_key(d), e)\n" \
	"    elseif f[1] == 'alias' and aliases then\n" \
	"      local akey = p..'d:'..od..':a:'..loc\n" \
	"      if redis.call('SREM', akey, addr) == 1 then\n" \
	"        audit_to(od, 'alias target remove', loc..'@'..od, addr, '')\n" \
	"        if redis.call('EXISTS', akey) == 0 then redis.call('SREM', p..'d:'..od..':aliases', loc) end\n" \
	"      end\n" \
	"      redis.call('SREM', ref_key(d), e)\n" \
	"    end\n" \
	"  end\n" \
	"end\n"

/* A set's members, sorted, as one audit value. */
#define LUA_MEMBERS \
	"local function members(key)\n" \
	"  local m = redis.call('SMEMBERS', key)\n" \
	"  table.sort(m)\n" \
	"  return table.concat(m, ' ')\n" \
	"end\n"

/* Policy and cap values (docs/DOMAINS.md 1 and 4), the same rules as
 * lib/hb-policy.c (tested with one table, tests/unit/cap-cases.h): value()
 * takes a stored canonical value apart ({N, PERIOD}, N = math.huge for
 * unlimited) or gives nil when it is not one, with the bounds of
 * lib/hb-units.h (sizes <= 2^50, counts and rate counts <= 10^9, periods
 * 1..86400 s); within() is hb_policy_within(): a rate is within its cap on
 * both axes, burst and rate, compared as exact products below 2^47. */
#define LUA_LEVELS \
	"local kinds = {max_msg_size = 'z', max_rcpt = 'c', user_msgs = 'r', user_rcpts = 'r',\n" \
	"  domain_msgs = 'r', domain_rcpts = 'r', quota = 'z', unauth_sender = 's'}\n" \
	"local cap_kinds = {max_users = 'c', max_aliases = 'c', max_quota = 'z'}\n" \
	"local bounds = {z = 1125899906842624, c = 1000000000, p = 86400}\n" \
	"local function whole(s, max)\n" \
	"  if not s or #s > 16 or not (s == '0' or string.find(s, '^[1-9]%d*$')) then return nil end\n" \
	"  local v = tonumber(s)\n" \
	"  if v > max then return nil end\n" \
	"  return v\n" \
	"end\n" \
	"local function value(kind, v)\n" \
	"  if type(v) ~= 'string' then return nil end\n" \
	"  if kind == 's' then\n" \
	"    if v == 'reject' then return {0, 1} elseif v == 'accept' then return {1, 1} end\n" \
	"    return nil\n" \
	"  end\n" \
	"  if v == 'unlimited' then return {math.huge, 1} end\n" \
	"  if kind ~= 'r' then\n" \
	"    local n = whole(v, bounds[kind])\n" \
	"    return n and {n, 1}\n" \
	"  end\n" \
	"  local c, s = string.match(v, '^(%d+)/(%d+)$')\n" \
	"  c, s = whole(c, bounds.c), whole(s, bounds.p)\n" \
	"  if c and s and s >= 1 then return {c, s} end\n" \
	"  return nil\n" \
	"end\n" \
	"local function level(kind, v) return value(kind, v) ~= nil end\n" \
	/* a cap-only limit: none when unset, 0 (nothing more) when corrupt */ \
	"local function cap_of(kind, v)\n" \
	"  if not v then return math.huge end\n" \
	"  local x = value(kind, v)\n" \
	"  return x and x[1] or 0\n" \
	"end\n" \
	"local function within(kind, v, cap)\n" \
	"  local a, b = value(kind, v), value(kind, cap)\n" \
	"  if not a or not b then return nil end\n" \
	"  if kind ~= 'r' then return a[1] <= b[1] end\n" \
	"  if b[1] == math.huge then return true end\n" \
	"  if a[1] == math.huge then return false end\n" \
	"  return a[1] <= b[1] and a[1] * b[2] <= b[1] * a[2]\n" \
	"end\n" \
	"local function check_pairs(extra)\n" \
	"  if #ARGV < 7 or (#ARGV - 5) % 2 ~= 0 then return 'BADVALUE arguments' end\n" \
	"  for i = 6, #ARGV, 2 do\n" \
	"    local kind = kinds[ARGV[i]] or (extra[ARGV[i]] and cap_kinds[ARGV[i]])\n" \
	"    if not kind or not level(kind, ARGV[i + 1]) then return 'BADVALUE '..ARGV[i] end\n" \
	"  end\n" \
	"  return nil\n" \
	"end\n" \
	"local function set_pairs(key, action)\n" \
	"  for i = 6, #ARGV, 2 do\n" \
	"    local old = redis.call('HGET', key, ARGV[i]) or ''\n" \
	"    if old ~= ARGV[i + 1] then\n" \
	"      redis.call('HSET', key, ARGV[i], ARGV[i + 1])\n" \
	"      audit(action, ARGV[i], old, ARGV[i + 1])\n" \
	"    end\n" \
	"  end\n" \
	"end\n"

const char hb_script_domain_create[] =
	LUA_PRELUDE
	LUA_REFS
	"if not operator then return redis.error_reply('SCOPE operator only') end\n"
	"if redis.call('EXISTS', dkey) == 1 then return redis.error_reply('EXISTS '..dom) end\n"
	/* rights granted on the name while nobody hosted it die: the new owner
	 * did not grant them */
	"purge_refs(dom, nil, false)\n"
	"redis.call('DEL', gkey, ckey)\n"
	"redis.call('HSET', dkey, 'state', 'active', 'created', now, 'created_by', who)\n"
	"redis.call('SADD', p..'domains', dom)\n"
	"audit('domain create', dom, '', 'active')\n"
	"return 'OK'\n";

const char hb_script_domain_remove[] =
	LUA_PRELUDE
	LUA_REFS
	LUA_SCOPE("true")
	"local users = redis.call('SMEMBERS', dkey..':users')\n"
	"local aliases = redis.call('SMEMBERS', dkey..':aliases')\n"
	"if ARGV[6] ~= '1' and (#users > 0 or #aliases > 0) then\n"
	"  return redis.error_reply('NOTEMPTY '..#users..' '..#aliases)\n"
	"end\n"
	"for _, loc in ipairs(users) do\n"
	"  ref_drop_all('send', dkey..':send:'..loc, loc)\n"
	"  redis.call('DEL', dkey..':u:'..loc, dkey..':send:'..loc, p..'pw:'..dom..':'..loc)\n"
	"end\n"
	"for _, loc in ipairs(aliases) do\n"
	"  ref_drop_all('alias', dkey..':a:'..loc, loc)\n"
	"  redis.call('DEL', dkey..':a:'..loc)\n"
	"end\n"
	/* every right, alias target and grant elsewhere that names the domain */
	"purge_refs(dom, nil, true)\n"
	"for _, name in ipairs(redis.call('SMEMBERS', gkey)) do\n"
	"  redis.call('SREM', p..'admin:'..name..':domains', dom)\n"
	"end\n"
	"redis.call('DEL', dkey, dkey..':policy', ckey, dkey..':users', dkey..':aliases', gkey,\n"
	"  dkey..':refs')\n"
	"redis.call('SREM', p..'domains', dom)\n"
	"audit('domain remove', dom, #users..' mailboxes, '..#aliases..' aliases', '')\n"
	"return 'OK'\n";

const char hb_script_domain_state[] =
	LUA_PRELUDE
	LUA_SCOPE("true")
	"local st = ARGV[6]\n"
	"if st ~= 'active' and st ~= 'suspended' then return redis.error_reply('BADVALUE state') end\n"
	"local old = redis.call('HGET', dkey, 'state') or ''\n"
	"if old == st then return 'OK' end\n"
	"redis.call('HSET', dkey, 'state', st)\n"
	"audit('domain state', dom, old, st)\n"
	"return 'OK'\n";

const char hb_script_mailbox_add[] =
	LUA_PRELUDE
	LUA_LEVELS
	LUA_SCOPE("false")
	"local loc, hash, quota = ARGV[6], ARGV[7], ARGV[8]\n"
	"local ukey = dkey..':u:'..loc\n"
	"if not string.match(quota or '', '^%d+$') or not hash or hash == '' then\n"
	"  return redis.error_reply('BADVALUE mailbox')\n"
	"end\n"
	"if redis.call('EXISTS', ukey) == 1 then return redis.error_reply('EXISTS '..loc..'@'..dom) end\n"
	"if redis.call('EXISTS', dkey..':a:'..loc) == 1 then\n"
	"  return redis.error_reply('EXISTS '..loc..'@'..dom..' is an alias')\n"
	"end\n"
	"local caps = redis.call('HMGET', ckey, 'max_users', 'max_quota')\n"
	"if redis.call('SCARD', dkey..':users') >= cap_of('c', caps[1]) then\n"
	"  return redis.error_reply('CAP max_users '..caps[1])\n"
	"end\n"
	"if tonumber(quota) > cap_of('z', caps[2]) then\n"
	"  return redis.error_reply('CAP max_quota '..caps[2])\n"
	"end\n"
	/* the hash goes where only the auth path reads (docs/SECURITY.md 2) */
	"redis.call('SET', p..'pw:'..dom..':'..loc, hash)\n"
	"redis.call('HSET', ukey, 'quota', quota, 'state', 'active', 'created', now)\n"
	"redis.call('SADD', dkey..':users', loc)\n"
	/* never the hash itself in the audit log */
	"audit('mailbox add', loc..'@'..dom, '', 'quota='..quota)\n"
	"return 'OK'\n";

const char hb_script_mailbox_state[] =
	LUA_PRELUDE
	LUA_SCOPE("false")
	"local loc, st = ARGV[6], ARGV[7]\n"
	"local ukey = dkey..':u:'..loc\n"
	"if st ~= 'active' and st ~= 'suspended' then return redis.error_reply('BADVALUE state') end\n"
	"if redis.call('EXISTS', ukey) == 0 then return redis.error_reply('NOTFOUND '..loc..'@'..dom) end\n"
	"local old = redis.call('HGET', ukey, 'state') or ''\n"
	"if old == st then return 'OK' end\n"
	"redis.call('HSET', ukey, 'state', st)\n"
	"audit('mailbox state', loc..'@'..dom, old, st)\n"
	"return 'OK'\n";

const char hb_script_mailbox_remove[] =
	LUA_PRELUDE
	LUA_REFS
	LUA_SCOPE("false")
	"local loc = ARGV[6]\n"
	"local ukey = dkey..':u:'..loc\n"
	"if redis.call('EXISTS', ukey) == 0 then return redis.error_reply('NOTFOUND '..loc..'@'..dom) end\n"
	"ref_drop_all('send', dkey..':send:'..loc, loc)\n"
	"redis.call('DEL', ukey, dkey..':send:'..loc, p..'pw:'..dom..':'..loc)\n"
	"redis.call('SREM', dkey..':users', loc)\n"
	"audit('mailbox remove', loc..'@'..dom, 'mailbox', '')\n"
	"return 'OK'\n";

const char hb_script_alias_add[] =
	LUA_PRELUDE
	LUA_LEVELS
	LUA_MEMBERS
	LUA_REFS
	LUA_SCOPE("false")
	"local loc = ARGV[6]\n"
	"local akey = dkey..':a:'..loc\n"
	"if #ARGV < 7 then return redis.error_reply('BADVALUE targets') end\n"
	"if redis.call('EXISTS', dkey..':u:'..loc) == 1 then\n"
	"  return redis.error_reply('EXISTS '..loc..'@'..dom..' is a mailbox')\n"
	"end\n"
	"local cap = redis.call('HGET', ckey, 'max_aliases')\n"
	"if redis.call('EXISTS', akey) == 0 and\n"
	"   redis.call('SCARD', dkey..':aliases') >= cap_of('c', cap) then\n"
	"  return redis.error_reply('CAP max_aliases '..cap)\n"
	"end\n"
	"local old = members(akey)\n"
	"for i = 7, #ARGV do\n"
	"  if redis.call('SADD', akey, ARGV[i]) == 1 then ref_add('alias', loc, ARGV[i]) end\n"
	"end\n"
	"redis.call('SADD', dkey..':aliases', loc)\n"
	"local new = members(akey)\n"
	"if new ~= old then audit('alias add', loc..'@'..dom, old, new) end\n"
	"return 'OK'\n";

const char hb_script_alias_remove[] =
	LUA_PRELUDE
	LUA_MEMBERS
	LUA_REFS
	LUA_SCOPE("false")
	"local loc = ARGV[6]\n"
	"local akey = dkey..':a:'..loc\n"
	"if redis.call('EXISTS', akey) == 0 then return redis.error_reply('NOTFOUND '..loc..'@'..dom) end\n"
	"local old = members(akey)\n"
	"ref_drop_all('alias', akey, loc)\n"
	"redis.call('DEL', akey)\n"
	"redis.call('SREM', dkey..':aliases', loc)\n"
	"audit('alias remove', loc..'@'..dom, old, '')\n"
	"return 'OK'\n";

/* A right naming another domain needs that domain's authority too: the
 * operator, or an admin granted both (checked again here, not only in
 * admind).  The right belongs to whoever granted it first; revoking that
 * admin's grant on the named domain removes it (purge_refs). */
const char hb_script_sender_allow[] =
	LUA_PRELUDE
	LUA_REFS
	LUA_SCOPE("false")
	"local loc, addr = ARGV[6], ARGV[7]\n"
	"if not addr or addr == '' then return redis.error_reply('BADVALUE sender') end\n"
	"if redis.call('EXISTS', dkey..':u:'..loc) == 0 then\n"
	"  return redis.error_reply('NOTFOUND '..loc..'@'..dom)\n"
	"end\n"
	"local td = addr_domain(addr)\n"
	"if not td then return redis.error_reply('BADVALUE sender') end\n"
	"if not operator and td ~= dom and\n"
	"   (redis.call('EXISTS', p..'d:'..td) == 0 or not granted(td, string.sub(who, 7))) then\n"
	"  return redis.error_reply('SCOPE '..td)\n"
	"end\n"
	"if redis.call('SADD', dkey..':send:'..loc, addr) == 1 then\n"
	"  ref_add('send', loc, addr, who)\n"
	"  audit('sender allow', loc..'@'..dom, '', addr)\n"
	"end\n"
	"return 'OK'\n";

const char hb_script_sender_deny[] =
	LUA_PRELUDE
	LUA_REFS
	LUA_SCOPE("false")
	"local loc, addr = ARGV[6], ARGV[7]\n"
	"if redis.call('SREM', dkey..':send:'..loc, addr or '') == 0 then\n"
	"  return redis.error_reply('NOTFOUND '..(addr or '')..' for '..loc..'@'..dom)\n"
	"end\n"
	"ref_drop('send', loc, addr)\n"
	"audit('sender deny', loc..'@'..dom, addr, '')\n"
	"return 'OK'\n";

const char hb_script_policy_set[] =
	LUA_PRELUDE
	LUA_LEVELS
	LUA_SCOPE("false")
	"local bad = check_pairs({})\n"
	"if bad then return redis.error_reply(bad) end\n"
	"for i = 6, #ARGV, 2 do\n"
	"  local name, kind = ARGV[i], kinds[ARGV[i]]\n"
	"  local cap = redis.call('HGET', ckey, name)\n"
	/* a corrupt cap refuses every change of its value until the operator
	 * sets it again: it is never read as "no cap" */
	"  local ok = cap and within(kind, ARGV[i + 1], cap)\n"
	"  if cap and ok == nil then return redis.error_reply('CAP '..name..' invalid') end\n"
	"  if cap and not ok then return redis.error_reply('CAP '..name..' '..cap) end\n"
	"end\n"
	"set_pairs(dkey..':policy', 'policy set')\n"
	"return 'OK'\n";

const char hb_script_caps_set[] =
	LUA_PRELUDE
	LUA_LEVELS
	LUA_SCOPE("true")
	"local bad = check_pairs({max_users = 'n', max_aliases = 'n', max_quota = 'n'})\n"
	"if bad then return redis.error_reply(bad) end\n"
	"set_pairs(ckey, 'caps set')\n"
	"return 'OK'\n";

const char hb_script_admin_grant[] =
	LUA_PRELUDE
	LUA_SCOPE("true")
	"local name = ARGV[6] or ''\n"
	"if redis.call('EXISTS', p..'admin:'..name) == 0 then\n"
	"  return redis.error_reply('NOTFOUND admin '..name)\n"
	"end\n"
	"redis.call('SADD', p..'admin:'..name..':domains', dom)\n"
	"if redis.call('SADD', gkey, name) == 1 then\n"
	"  audit('admin grant', name, '', dom)\n"
	"end\n"
	"return 'OK'\n";

/* The sender rights the admin granted elsewhere on DOM die with the grant. */
const char hb_script_admin_revoke[] =
	LUA_PRELUDE
	LUA_REFS
	LUA_SCOPE("true")
	"local name = ARGV[6] or ''\n"
	"redis.call('SREM', p..'admin:'..name..':domains', dom)\n"
	"if redis.call('SREM', gkey, name) == 0 then\n"
	"  return redis.error_reply('NOTFOUND grant of '..dom..' to '..name)\n"
	"end\n"
	"purge_refs(dom, 'admin:'..name, false)\n"
	"audit('admin revoke', name, dom, '')\n"
	"return 'OK'\n";

/* Admin accounts.  GEN comes from one counter, so an account removed and
 * created again under the same name is a new account whose sessions the old
 * ones can never pass for (admind compares it on every request). */
const char hb_script_admin_create[] =
	"local p, name, hash, who, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"if not hash or string.sub(hash, 1, 15) ~= '$pbkdf2-sha256$' then\n"
	"  return redis.error_reply('BADVALUE password hash')\n"
	"end\n"
	"if string.sub(who, 1, 9) ~= 'operator:' then return redis.error_reply('SCOPE operator only') end\n"
	"if redis.call('EXISTS', p..'admin:'..name) == 1 then return redis.error_reply('EXISTS admin '..name) end\n"
	"local gen = redis.call('INCR', p..'admingen')\n"
	"redis.call('DEL', p..'admin:'..name..':domains')\n"
	"redis.call('HSET', p..'admin:'..name, 'created', now, 'created_by', who, 'gen', gen)\n"
	"redis.call('DEL', p..'adminpw:'..name)\n"
	"redis.call('HSET', p..'adminpw:'..name, 'hash', hash, 'gen', '1', 'changed', now)\n"
	"redis.call('SADD', p..'admins', name)\n"
	"return 'OK'\n";

/* ARGV: prefix, name, new hash, who, now.  The operator, or the admin
 * itself (admind's self-service change after checking the old password). */
const char hb_script_admin_passwd[] =
	"local p, name, hash, who, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"if not hash or string.sub(hash, 1, 15) ~= '$pbkdf2-sha256$' then\n"
	"  return redis.error_reply('BADVALUE password hash')\n"
	"end\n"
	"if string.sub(who, 1, 9) ~= 'operator:' and who ~= 'admin:'..name then\n"
	"  return redis.error_reply('SCOPE '..name)\n"
	"end\n"
	"if redis.call('EXISTS', p..'admin:'..name) == 0 then return redis.error_reply('NOTFOUND admin '..name) end\n"
	"redis.call('HSET', p..'adminpw:'..name, 'hash', hash, 'changed', now)\n"
	"redis.call('HINCRBY', p..'adminpw:'..name, 'gen', 1)\n"
	"return 'OK'\n";

/* Revokes every grant (each a domain script of its own in effect: audited
 * there, the rights the admin granted on it removed), then the account. */
const char hb_script_admin_remove[] =
	"local p, name, who, from, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"local akey = p..'admin:'..name\n"
	"if string.sub(who, 1, 9) ~= 'operator:' then return redis.error_reply('SCOPE operator only') end\n"
	"if redis.call('EXISTS', akey) == 0 then return redis.error_reply('NOTFOUND admin '..name) end\n"
	"local operator, dom = true, ''\n"
	"local function audit_to(d, action, target, old, new)\n"
	"  local k = p..'audit:'..d\n"
	"  redis.call('RPUSH', k, cjson.encode({who = who, from = from, time = now,\n"
	"    action = action, target = target, old = old, new = new}))\n"
	"  redis.call('LTRIM', k, -100000, -1)\n"
	"end\n"
	LUA_REFS
	"for _, d in ipairs(redis.call('SMEMBERS', akey..':domains')) do\n"
	"  if redis.call('SREM', p..'grant:'..d, name) == 1 then\n"
	"    purge_refs(d, 'admin:'..name, false)\n"
	"    audit_to(d, 'admin revoke', name, d, '')\n"
	"  end\n"
	"end\n"
	"redis.call('DEL', akey, akey..':domains', p..'adminpw:'..name)\n"
	"redis.call('SREM', p..'admins', name)\n"
	"return 'OK'\n";
