/* hb-scripts-sender.c - the script of hb-scripts-sender.h.  Key names follow
 * lib/hb-keys.c hb_domain_key() (P d:DOM, P d:DOM:u:LOCAL, P d:DOM:send:LOCAL,
 * P d:DOM:a:LOCAL); keep the two in step.  Reads only. */
#include "hb-scripts-sender.h"

const char hb_script_sender_check[] =
	"local p, loc, dom = ARGV[1], ARGV[2], ARGV[3]\n"
	"local login = loc..'@'..dom\n"
	"local dkey = p..'d:'..dom\n"
	"local out = {redis.call('HGET', dkey, 'state') or '',\n"
	"             redis.call('HGET', dkey..':u:'..loc, 'state') or ''}\n"
	"local grants = dkey..':send:'..loc\n"
	"for i = 4, #ARGV do\n"
	"  local c = ARGV[i]\n"
	"  local cloc, cdom = string.match(c, '^(.*)@([^@]+)$')\n"
	"  local v = 'no'\n"
	"  if c == login then v = 'own'\n"
	"  elseif redis.call('SISMEMBER', grants, c) == 1 then v = 'granted'\n"
	"  elseif cdom and redis.call('SISMEMBER', grants, '@'..cdom) == 1 then v = 'domain'\n"
	"  elseif cdom and redis.call('SISMEMBER', p..'d:'..cdom..':a:'..cloc, login) == 1 then v = 'alias'\n"
	"  end\n"
	"  table.insert(out, v)\n"
	"end\n"
	"return out\n";
