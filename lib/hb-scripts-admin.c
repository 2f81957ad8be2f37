/* hb-scripts-admin.c - backend administration scripts for hbctl.  Key names
 * are formed from the prefix exactly as lib/hb-keys.c forms them; every
 * change and its epoch increment happen in the same script. */
#include "hb-scripts-admin.h"

const char hb_script_backend_add[] =
	"local p, name = ARGV[1], ARGV[2]\n"
	"local k = p..'backend:'..name\n"
	"if redis.call('SISMEMBER', p..'backends', name) == 1 or\n"
	"   redis.call('EXISTS', k) == 1 then return 'EXISTS' end\n"
	"redis.call('SADD', p..'backends', name)\n"
	"redis.call('HSET', k, 'host', ARGV[3], 'imap_port', ARGV[4], 'pop3_port', ARGV[5],\n"
	"  'lmtp_port', ARGV[6], 'submission_port', ARGV[7], 'sieve_port', ARGV[8],\n"
	"  'doveadm_port', ARGV[9], 'weight', ARGV[10], 'state', 'up',\n"
	"  'health', 'unknown', 'health_time', '0', 'health_reason', '',\n"
	"  'health_fails', '0', 'health_oks', '0', 'fence_until', '0')\n"
	"redis.call('INCR', p..'epoch')\n"
	"return 'OK'\n";

const char hb_script_backend_update[] =
	"local p, name, expect = ARGV[1], ARGV[2], ARGV[3]\n"
	"local k = p..'backend:'..name\n"
	"if redis.call('EXISTS', k) == 0 then return {'NOTFOUND'} end\n"
	"local cur = redis.call('HGET', k, 'state') or ''\n"
	"if expect ~= '' then\n"
	"  local ok = false\n"
	"  for s in string.gmatch(expect, '%S+') do if s == cur then ok = true end end\n"
	"  if not ok then return {'STATE', cur} end\n"
	"end\n"
	"for i = 4, #ARGV - 1, 2 do redis.call('HSET', k, ARGV[i], ARGV[i + 1]) end\n"
	"redis.call('INCR', p..'epoch')\n"
	"return {'OK', cur}\n";

/* Counts users whose user:U still names the backend, in batches, and stops
 * at 1000: enough to refuse, without blocking Redis on a huge set. */
const char hb_script_backend_remove[] =
	"local p, name, force = ARGV[1], ARGV[2], ARGV[3] == '1'\n"
	"local k = p..'backend:'..name\n"
	"local zk = p..'users:'..name\n"
	"if redis.call('EXISTS', k) == 0 and\n"
	"   redis.call('SISMEMBER', p..'backends', name) == 0 then return {'NOTFOUND'} end\n"
	"if not force then\n"
	"  if redis.call('HGET', k, 'state') == 'up' then return {'UP'} end\n"
	"  local n, start = 0, 0\n"
	"  while n < 1000 do\n"
	"    local batch = redis.call('ZRANGE', zk, start, start + 999)\n"
	"    if #batch == 0 then break end\n"
	"    for _, u in ipairs(batch) do\n"
	"      if redis.call('GET', p..'user:'..u) == name then n = n + 1 end\n"
	"    end\n"
	"    start = start + 1000\n"
	"  end\n"
	"  if n > 0 then return {'USERS', n} end\n"
	"end\n"
	"redis.call('SREM', p..'backends', name)\n"
	"redis.call('DEL', k, zk)\n"
	"redis.call('INCR', p..'epoch')\n"
	"return {'OK'}\n";

const char hb_script_backend_unfence[] =
	"local k = ARGV[1]..'backend:'..ARGV[2]\n"
	"if redis.call('HGET', k, 'fence_until') ~= ARGV[3] then return 0 end\n"
	"redis.call('HSET', k, 'fence_until', '0')\n"
	"redis.call('INCR', ARGV[1]..'epoch')\n"
	"return 1\n";
