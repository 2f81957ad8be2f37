/* cap-cases.h - the one table of "is this stored value within its cap?"
 * cases (docs/DOMAINS.md 4), run against the C rule (hb_policy_within() in
 * tests/unit/test-hb-policy.c) and the Lua rule of the policy_set script
 * (tests/unit/test-hb-domain-scripts.c), so the two cannot drift apart.
 * Values and caps are stored (canonical) forms. */
#ifndef CAP_CASES_H
#define CAP_CASES_H

enum cap_case_result {
	CAP_WITHIN = 1,		/* allowed: the script answers OK */
	CAP_RAISE = 0,		/* above the cap: CAP NAME LIMIT */
	CAP_BAD_VALUE = -1,	/* the value is not enforceable: BADVALUE NAME */
	CAP_BAD_CAP = -2,	/* the stored cap is corrupt: CAP NAME invalid */
};

struct cap_case {
	const char *name, *value, *cap;
	enum cap_case_result result;
};

static const struct cap_case cap_cases[] = {
	/* the audit's walk-around: same rate as 3/h, burst 40 */
	{ "user_msgs", "40/48000", "3/3600", CAP_RAISE },
	{ "user_msgs", "3/3600", "3/3600", CAP_WITHIN },
	{ "user_msgs", "2/3600", "3/3600", CAP_WITHIN },
	{ "user_msgs", "1/1200", "3/3600", CAP_WITHIN },	/* same rate, smaller burst */
	{ "user_msgs", "1/1199", "3/3600", CAP_RAISE },		/* a hair faster */
	{ "user_msgs", "3/3599", "3/3600", CAP_RAISE },
	{ "user_msgs", "4/86400", "3/3600", CAP_RAISE },	/* slower, but a bigger burst */
	{ "user_msgs", "3/86400", "3/3600", CAP_WITHIN },
	{ "user_msgs", "50/60", "100/3600", CAP_RAISE },
	{ "user_msgs", "999999999/86399", "999999999/86400", CAP_RAISE },
	{ "user_msgs", "999999999/86400", "1000000000/86399", CAP_WITHIN },
	{ "user_msgs", "1000000000/1", "unlimited", CAP_WITHIN },
	{ "user_msgs", "unlimited", "unlimited", CAP_WITHIN },
	{ "user_msgs", "unlimited", "1000000000/1", CAP_RAISE },
	{ "user_msgs", "0/1", "3/3600", CAP_WITHIN },
	{ "user_msgs", "0/86400", "0/1", CAP_WITHIN },
	{ "user_msgs", "1/86400", "0/1", CAP_RAISE },
	{ "domain_rcpts", "5/86400", "10/3600", CAP_WITHIN },
	/* values no milter can enforce, or not canonical */
	{ "user_msgs", "1/9000000000000", "3/3600", CAP_BAD_VALUE },
	{ "user_msgs", "1/86401", "unlimited", CAP_BAD_VALUE },
	{ "user_msgs", "1000000001/86400", "unlimited", CAP_BAD_VALUE },
	{ "user_msgs", "5/0", "unlimited", CAP_BAD_VALUE },
	{ "user_msgs", "200/h", "unlimited", CAP_BAD_VALUE },
	{ "user_msgs", "0200/3600", "unlimited", CAP_BAD_VALUE },
	{ "user_msgs", "200/03600", "unlimited", CAP_BAD_VALUE },
	{ "user_msgs", "garbage", "unlimited", CAP_BAD_VALUE },
	{ "max_rcpt", "1000000000", "unlimited", CAP_WITHIN },
	{ "max_rcpt", "1000000001", "unlimited", CAP_BAD_VALUE },
	{ "max_rcpt", "010", "unlimited", CAP_BAD_VALUE },
	{ "max_rcpt", "10", "9", CAP_RAISE },
	{ "max_rcpt", "0", "9", CAP_WITHIN },
	{ "max_msg_size", "1125899906842624", "unlimited", CAP_WITHIN },	/* 2^50 */
	{ "max_msg_size", "1125899906842625", "unlimited", CAP_BAD_VALUE },
	{ "max_msg_size", "26214400", "10485760", CAP_RAISE },
	{ "quota", "1073741824", "1073741824", CAP_WITHIN },
	{ "quota", "unlimited", "1073741824", CAP_RAISE },
	{ "unauth_sender", "accept", "reject", CAP_RAISE },
	{ "unauth_sender", "reject", "accept", CAP_WITHIN },
	{ "unauth_sender", "Accept", "accept", CAP_BAD_VALUE },
	/* corrupt caps are never "no cap" */
	{ "user_msgs", "1/3600", "garbage", CAP_BAD_CAP },
	{ "user_msgs", "1/3600", "1/9000000000000", CAP_BAD_CAP },
	{ "user_msgs", "1/3600", "3/h", CAP_BAD_CAP },
	{ "max_rcpt", "1", "lots", CAP_BAD_CAP },
	{ "quota", "1", "-1", CAP_BAD_CAP },
};

#endif
