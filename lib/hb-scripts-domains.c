/* hb-scripts-domains.c - the scripts of hb-scripts-domains.h.  Key names are
 * formed from the prefix exactly as lib/hb-keys.c forms them (HB_DKEY_*,
 * docs/DOMAINS.md 2); keep the two in step.  Every script first checks
 * everything, then writes: a refused change leaves no trace, not even an
 * audit entry, and a change without effect (a grant that exists) none. */
#include "hb-scripts-domains.h"

/* ARGV[1..5], the audit helper and the scope check.  check_scope() returns
 * the refusal (or nil): the domain must exist, and WHO must be the operator
 * or, unless OPERATOR_ONLY, an admin the domain is granted to. */
#define LUA_PRELUDE \
	"local p, dom, who, from, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n" \
	"local dkey = p..'d:'..dom\n" \
	"local operator = string.sub(who, 1, 9) == 'operator:'\n" \
	"local function audit(action, target, old, new)\n" \
	"  redis.call('XADD', p..'audit:'..dom, 'MAXLEN', '~', '100000', '*', 'who', who,\n" \
	"    'from', from, 'time', now, 'action', action, 'target', target, 'old', old, 'new', new)\n" \
	"end\n" \
	"local function check_scope(operator_only)\n" \
	"  if redis.call('EXISTS', dkey) == 0 then return 'NODOMAIN '..dom end\n" \
	"  if operator then return nil end\n" \
	"  if operator_only or string.sub(who, 1, 6) ~= 'admin:' or\n" \
	"     redis.call('SISMEMBER', dkey..':admins', string.sub(who, 7)) == 0 then\n" \
	"    return 'SCOPE '..dom\n" \
	"  end\n" \
	"  return nil\n" \
	"end\n"

#define LUA_SCOPE(operator_only) \
	"local refusal = check_scope(" operator_only ")\n" \
	"if refusal then return redis.error_reply(refusal) end\n"

/* A set's members, sorted, as one audit value. */
#define LUA_MEMBERS \
	"local function members(key)\n" \
	"  local m = redis.call('SMEMBERS', key)\n" \
	"  table.sort(m)\n" \
	"  return table.concat(m, ' ')\n" \
	"end\n"

/* Policy and cap values (docs/DOMAINS.md 4): level() orders them, smaller is
 * stricter, nil is not a value of that kind. */
#define LUA_LEVELS \
	"local kinds = {max_msg_size = 'n', max_rcpt = 'n', user_msgs = 'r', user_rcpts = 'r',\n" \
	"  domain_msgs = 'r', domain_rcpts = 'r', quota = 'n', unauth_sender = 's'}\n" \
	"local function level(kind, v)\n" \
	"  if kind == 's' then\n" \
	"    if v == 'reject' then return 0 elseif v == 'accept' then return 1 end\n" \
	"    return nil\n" \
	"  end\n" \
	"  if v == 'unlimited' then return math.huge end\n" \
	"  if kind == 'n' then return string.match(v, '^%d+$') and tonumber(v) end\n" \
	"  local c, s = string.match(v, '^(%d+)/(%d+)$')\n" \
	"  if c and tonumber(s) > 0 then return tonumber(c) / tonumber(s) end\n" \
	"  return nil\n" \
	"end\n" \
	"local function check_pairs(extra)\n" \
	"  if #ARGV < 7 or (#ARGV - 5) % 2 ~= 0 then return 'BADVALUE arguments' end\n" \
	"  for i = 6, #ARGV, 2 do\n" \
	"    local kind = kinds[ARGV[i]] or extra[ARGV[i]]\n" \
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
	"if not operator then return redis.error_reply('SCOPE operator only') end\n"
	"if redis.call('EXISTS', dkey) == 1 then return redis.error_reply('EXISTS '..dom) end\n"
	"redis.call('HSET', dkey, 'state', 'active', 'created', now, 'created_by', who)\n"
	"redis.call('SADD', p..'domains', dom)\n"
	"audit('domain create', dom, '', 'active')\n"
	"return 'OK'\n";

const char hb_script_domain_remove[] =
	LUA_PRELUDE
	LUA_SCOPE("true")
	"local users = redis.call('SMEMBERS', dkey..':users')\n"
	"local aliases = redis.call('SMEMBERS', dkey..':aliases')\n"
	"if ARGV[6] ~= '1' and (#users > 0 or #aliases > 0) then\n"
	"  return redis.error_reply('NOTEMPTY '..#users..' '..#aliases)\n"
	"end\n"
	"for _, loc in ipairs(users) do redis.call('DEL', dkey..':u:'..loc, dkey..':send:'..loc) end\n"
	"for _, loc in ipairs(aliases) do redis.call('DEL', dkey..':a:'..loc) end\n"
	"for _, name in ipairs(redis.call('SMEMBERS', dkey..':admins')) do\n"
	"  redis.call('SREM', p..'admin:'..name..':domains', dom)\n"
	"end\n"
	"redis.call('DEL', dkey, dkey..':caps', dkey..':users', dkey..':aliases', dkey..':admins')\n"
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
	"local caps = redis.call('HMGET', dkey..':caps', 'max_users', 'max_quota')\n"
	"if tonumber(caps[1]) and redis.call('SCARD', dkey..':users') >= tonumber(caps[1]) then\n"
	"  return redis.error_reply('CAP max_users '..caps[1])\n"
	"end\n"
	"if tonumber(caps[2]) and tonumber(quota) > tonumber(caps[2]) then\n"
	"  return redis.error_reply('CAP max_quota '..caps[2])\n"
	"end\n"
	"redis.call('HSET', ukey, 'password', hash, 'quota', quota, 'state', 'active', 'created', now)\n"
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
	LUA_SCOPE("false")
	"local loc = ARGV[6]\n"
	"local ukey = dkey..':u:'..loc\n"
	"if redis.call('EXISTS', ukey) == 0 then return redis.error_reply('NOTFOUND '..loc..'@'..dom) end\n"
	"redis.call('DEL', ukey, dkey..':send:'..loc)\n"
	"redis.call('SREM', dkey..':users', loc)\n"
	"audit('mailbox remove', loc..'@'..dom, 'mailbox', '')\n"
	"return 'OK'\n";

const char hb_script_alias_add[] =
	LUA_PRELUDE
	LUA_MEMBERS
	LUA_SCOPE("false")
	"local loc = ARGV[6]\n"
	"local akey = dkey..':a:'..loc\n"
	"if #ARGV < 7 then return redis.error_reply('BADVALUE targets') end\n"
	"if redis.call('EXISTS', dkey..':u:'..loc) == 1 then\n"
	"  return redis.error_reply('EXISTS '..loc..'@'..dom..' is a mailbox')\n"
	"end\n"
	"local cap = tonumber(redis.call('HGET', dkey..':caps', 'max_aliases'))\n"
	"if redis.call('EXISTS', akey) == 0 and cap and\n"
	"   redis.call('SCARD', dkey..':aliases') >= cap then\n"
	"  return redis.error_reply('CAP max_aliases '..cap)\n"
	"end\n"
	"local old = members(akey)\n"
	"for i = 7, #ARGV do redis.call('SADD', akey, ARGV[i]) end\n"
	"redis.call('SADD', dkey..':aliases', loc)\n"
	"local new = members(akey)\n"
	"if new ~= old then audit('alias add', loc..'@'..dom, old, new) end\n"
	"return 'OK'\n";

const char hb_script_alias_remove[] =
	LUA_PRELUDE
	LUA_MEMBERS
	LUA_SCOPE("false")
	"local loc = ARGV[6]\n"
	"local akey = dkey..':a:'..loc\n"
	"if redis.call('EXISTS', akey) == 0 then return redis.error_reply('NOTFOUND '..loc..'@'..dom) end\n"
	"local old = members(akey)\n"
	"redis.call('DEL', akey)\n"
	"redis.call('SREM', dkey..':aliases', loc)\n"
	"audit('alias remove', loc..'@'..dom, old, '')\n"
	"return 'OK'\n";

const char hb_script_sender_allow[] =
	LUA_PRELUDE
	LUA_SCOPE("false")
	"local loc, addr = ARGV[6], ARGV[7]\n"
	"if not addr or addr == '' then return redis.error_reply('BADVALUE sender') end\n"
	"if redis.call('EXISTS', dkey..':u:'..loc) == 0 then\n"
	"  return redis.error_reply('NOTFOUND '..loc..'@'..dom)\n"
	"end\n"
	"if redis.call('SADD', dkey..':send:'..loc, addr) == 1 then\n"
	"  audit('sender allow', loc..'@'..dom, '', addr)\n"
	"end\n"
	"return 'OK'\n";

const char hb_script_sender_deny[] =
	LUA_PRELUDE
	LUA_SCOPE("false")
	"local loc, addr = ARGV[6], ARGV[7]\n"
	"if redis.call('SREM', dkey..':send:'..loc, addr or '') == 0 then\n"
	"  return redis.error_reply('NOTFOUND '..(addr or '')..' for '..loc..'@'..dom)\n"
	"end\n"
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
	"  local cap = redis.call('HGET', dkey..':caps', name)\n"
	"  if cap and level(kind, cap) and level(kind, ARGV[i + 1]) > level(kind, cap) then\n"
	"    return redis.error_reply('CAP '..name..' '..cap)\n"
	"  end\n"
	"end\n"
	"set_pairs(dkey, 'policy set')\n"
	"return 'OK'\n";

const char hb_script_caps_set[] =
	LUA_PRELUDE
	LUA_LEVELS
	LUA_SCOPE("true")
	"local bad = check_pairs({max_users = 'n', max_aliases = 'n', max_quota = 'n'})\n"
	"if bad then return redis.error_reply(bad) end\n"
	"set_pairs(dkey..':caps', 'caps set')\n"
	"return 'OK'\n";

const char hb_script_admin_grant[] =
	LUA_PRELUDE
	LUA_SCOPE("true")
	"local name = ARGV[6] or ''\n"
	"if redis.call('EXISTS', p..'admin:'..name) == 0 then\n"
	"  return redis.error_reply('NOTFOUND admin '..name)\n"
	"end\n"
	"redis.call('SADD', p..'admin:'..name..':domains', dom)\n"
	"if redis.call('SADD', dkey..':admins', name) == 1 then\n"
	"  audit('admin grant', name, '', dom)\n"
	"end\n"
	"return 'OK'\n";

const char hb_script_admin_revoke[] =
	LUA_PRELUDE
	LUA_SCOPE("true")
	"local name = ARGV[6] or ''\n"
	"redis.call('SREM', p..'admin:'..name..':domains', dom)\n"
	"if redis.call('SREM', dkey..':admins', name) == 0 then\n"
	"  return redis.error_reply('NOTFOUND grant of '..dom..' to '..name)\n"
	"end\n"
	"audit('admin revoke', name, dom, '')\n"
	"return 'OK'\n";

const char hb_script_admin_create[] =
	"local p, name, hash, who, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"if not hash or string.sub(hash, 1, 15) ~= '$pbkdf2-sha256$' then\n"
	"  return redis.error_reply('BADVALUE password hash')\n"
	"end\n"
	"if redis.call('EXISTS', p..'admin:'..name) == 1 then return redis.error_reply('EXISTS admin '..name) end\n"
	"redis.call('HSET', p..'admin:'..name, 'hash', hash, 'created', now, 'created_by', who,\n"
	"  'failures', '0', 'locked_until', '0')\n"
	"redis.call('SADD', p..'admins', name)\n"
	"return 'OK'\n";

const char hb_script_admin_remove[] =
	"local p, name, who, from, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"local akey = p..'admin:'..name\n"
	"if redis.call('EXISTS', akey) == 0 then return redis.error_reply('NOTFOUND admin '..name) end\n"
	"for _, dom in ipairs(redis.call('SMEMBERS', akey..':domains')) do\n"
	"  if redis.call('SREM', p..'d:'..dom..':admins', name) == 1 then\n"
	"    redis.call('XADD', p..'audit:'..dom, 'MAXLEN', '~', '100000', '*', 'who', who,\n"
	"      'from', from, 'time', now, 'action', 'admin revoke', 'target', name, 'old', dom,\n"
	"      'new', '')\n"
	"  end\n"
	"end\n"
	"redis.call('DEL', akey, akey..':domains')\n"
	"redis.call('SREM', p..'admins', name)\n"
	"return 'OK'\n";
