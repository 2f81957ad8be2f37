/* args.c - parses hbctl's argv into struct hbctl_args.  Every number is
 * checked against its documented range (ports 1..65535, weight 0..1000);
 * nothing here prints or exits: errors go back as text for main.c. */
#include "args.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HBCTL_PORT_MAX 65535

struct port_option {
	const char *name;
	enum hb_service service;
};

static const struct port_option port_options[] = {
	{ "--imap-port", HB_SERVICE_IMAP },
	{ "--pop3-port", HB_SERVICE_POP3 },
	{ "--lmtp-port", HB_SERVICE_LMTP },
	{ "--submission-port", HB_SERVICE_SUBMISSION },
	{ "--sieve-port", HB_SERVICE_SIEVE },
	{ "--doveadm-port", HB_SERVICE_DOVEADM },
};

int hbctl_parse_uint(const char *str, unsigned int min, unsigned int max,
		     unsigned int *value_r)
{
	unsigned long value = 0;

	if (str == NULL || *str == '\0' || strlen(str) > 10)
		return -1;
	for (const char *p = str; *p != '\0'; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		value = value * 10 + (unsigned long)(*p - '0');
	}
	if (value < min || value > max)
		return -1;
	*value_r = (unsigned int)value;
	return 0;
}

/* hbctl locks thresholds: option, field, bit in census.set */
#define CENSUS_THRESHOLD_MAX 100000000
static const struct census_threshold {
	const char *name;
	size_t offset;
} census_thresholds[] = {
	{ "--warn-locks", offsetof(struct hbctl_census_args, warn_locks) },
	{ "--crit-locks", offsetof(struct hbctl_census_args, crit_locks) },
	{ "--warn-waiters", offsetof(struct hbctl_census_args, warn_waiters) },
	{ "--crit-waiters", offsetof(struct hbctl_census_args, crit_waiters) },
	{ "--warn-age", offsetof(struct hbctl_census_args, warn_age) },
	{ "--crit-age", offsetof(struct hbctl_census_args, crit_age) },
	{ "--publish-ttl", offsetof(struct hbctl_census_args, publish_ttl) },
	{ "--warn-wait-p99", offsetof(struct hbctl_census_args, warn_wait_p99) },
	{ "--crit-wait-p99", offsetof(struct hbctl_census_args, crit_wait_p99) },
};

static int parse_census_path(const char *opt, const char *value,
			     struct hbctl_census_args *c, char *err, size_t err_size)
{
	if (*value == '\0') {
		snprintf(err, err_size, "%s: empty value", opt);
		return -1;
	}
	if (strcmp(opt, "--proc-locks") == 0)
		c->proc_locks = value;
	else if (strcmp(opt, "--publish") == 0) {
		if (hb_backend_name_valid(value) < 0) {
			snprintf(err, err_size, "--publish: invalid backend name");
			return -1;
		}
		c->publish = value;
	}
	else if (strcmp(opt, "--prometheus") == 0)
		c->prometheus = value;
	else if (c->mail_root_count == HBCTL_MAX_MAIL_ROOTS) {
		snprintf(err, err_size, "--mail-root: at most %d", HBCTL_MAX_MAIL_ROOTS);
		return -1;
	} else
		c->mail_roots[c->mail_root_count++] = value;
	return 1;
}

/* hbctl locks options: 1 if OPT was one, 0 if not, -1 on a bad value */
static int parse_census_option(const char *opt, const char *value,
			       struct hbctl_args *args, char *err, size_t err_size)
{
	struct hbctl_census_args *c = &args->census;

	if (strcmp(opt, "--proc-locks") == 0 || strcmp(opt, "--prometheus") == 0 ||
	    strcmp(opt, "--mail-root") == 0 || strcmp(opt, "--publish") == 0) {
		args->seen |= HBCTL_OPT_CENSUS;
		return parse_census_path(opt, value, c, err, err_size);
	}
	for (size_t i = 0; i < sizeof(census_thresholds) / sizeof(census_thresholds[0]); i++) {
		if (strcmp(opt, census_thresholds[i].name) != 0)
			continue;
		if (hbctl_parse_uint(value, 1, CENSUS_THRESHOLD_MAX,
				     (unsigned int *)((char *)c + census_thresholds[i].offset)) < 0) {
			snprintf(err, err_size, "%s: must be 1..%d", opt, CENSUS_THRESHOLD_MAX);
			return -1;
		}
		c->set |= 1U << i;
		args->seen |= HBCTL_OPT_CENSUS;
		return 1;
	}
	return 0;
}

/* Options that take a value: returns 1 if OPT was one (and consumed VALUE),
 * 0 if it is not such an option, -1 on a bad value. */
static int parse_value_option(const char *opt, const char *value,
			      struct hbctl_args *args, char *err, size_t err_size)
{
	for (size_t i = 0; i < sizeof(port_options) / sizeof(port_options[0]); i++) {
		if (strcmp(opt, port_options[i].name) != 0)
			continue;
		enum hb_service svc = port_options[i].service;
		if (hbctl_parse_uint(value, 1, HBCTL_PORT_MAX, &args->ports[svc]) < 0) {
			snprintf(err, err_size, "%s: port must be 1..%d", opt, HBCTL_PORT_MAX);
			return -1;
		}
		args->port_set[svc] = 1;
		args->seen |= HBCTL_OPT_PORTS;
		return 1;
	}
	if (strcmp(opt, "--weight") == 0) {
		if (hbctl_parse_uint(value, 0, HB_WEIGHT_MAX, &args->weight) < 0) {
			snprintf(err, err_size, "--weight: must be 0..%d", HB_WEIGHT_MAX);
			return -1;
		}
		args->weight_set = 1;
		args->seen |= HBCTL_OPT_WEIGHT;
		return 1;
	}
	if (strcmp(opt, "--password-file") == 0 || strcmp(opt, "--quota") == 0) {
		int file = opt[2] == 'p';

		if (*value == '\0') {
			snprintf(err, err_size, "%s: empty value", opt);
			return -1;
		}
		*(file ? &args->password_file : &args->quota) = value;
		args->seen |= file ? HBCTL_OPT_PASSWORD_FILE : HBCTL_OPT_QUOTA;
		return 1;
	}
	if (strcmp(opt, "-c") == 0 || strcmp(opt, "--config") == 0) {
		if (*value == '\0') {
			snprintf(err, err_size, "%s: empty file name", opt);
			return -1;
		}
		args->config_path = value;
		return 1;
	}
	return parse_census_option(opt, value, args, err, err_size);
}

static int is_census_option(const char *opt)
{
	if (strcmp(opt, "--proc-locks") == 0 || strcmp(opt, "--prometheus") == 0 ||
	    strcmp(opt, "--mail-root") == 0 || strcmp(opt, "--publish") == 0)
		return 1;
	for (size_t i = 0; i < sizeof(census_thresholds) / sizeof(census_thresholds[0]); i++) {
		if (strcmp(opt, census_thresholds[i].name) == 0)
			return 1;
	}
	return 0;
}

static int needs_value(const char *opt)
{
	return strcmp(opt, "-c") == 0 || strcmp(opt, "--config") == 0 ||
		strcmp(opt, "--weight") == 0 || strcmp(opt, "--password-file") == 0 ||
		strcmp(opt, "--quota") == 0 || is_census_option(opt) ||
		(strncmp(opt, "--", 2) == 0 && strlen(opt) > 7 &&
		 strcmp(opt + strlen(opt) - 5, "-port") == 0);
}

static int parse_flag(const char *opt, struct hbctl_args *args,
		      char *err, size_t err_size)
{
	if (strcmp(opt, "--json") == 0)
		args->json = 1;
	else if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0)
		args->help = 1;
	else if (strcmp(opt, "--force") == 0 || strcmp(opt, "-f") == 0) {
		args->force = 1;
		args->seen |= HBCTL_OPT_FORCE;
	} else {
		snprintf(err, err_size, "unknown option %.100s", opt);
		return -1;
	}
	return 0;
}

static int add_word(const char *word, struct hbctl_args *args,
		    char *err, size_t err_size)
{
	if (args->word_count >= HBCTL_MAX_WORDS) {
		snprintf(err, err_size, "too many arguments");
		return -1;
	}
	args->words[args->word_count++] = word;
	return 0;
}

int hbctl_args_parse(int argc, char *const *argv, struct hbctl_args *args,
		     char *err, size_t err_size)
{
	int options_done = 0;

	memset(args, 0, sizeof(*args));
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];

		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			if (add_word(arg, args, err, err_size) < 0)
				return -1;
		} else if (strcmp(arg, "--") == 0) {
			options_done = 1;
		} else if (needs_value(arg)) {
			if (i + 1 >= argc) {
				snprintf(err, err_size, "%.100s needs a value", arg);
				return -1;
			}
			int ret = parse_value_option(arg, argv[++i], args, err, err_size);
			if (ret < 0)
				return -1;
			if (ret == 0) {
				snprintf(err, err_size, "unknown option %.100s", arg);
				return -1;
			}
		} else if (parse_flag(arg, args, err, err_size) < 0) {
			return -1;
		}
	}
	return 0;
}

int hbctl_args_check(const struct hbctl_args *args, unsigned int allowed,
		     char *err, size_t err_size)
{
	unsigned int extra = args->seen & ~allowed;

	if (extra & HBCTL_OPT_FORCE)
		snprintf(err, err_size, "--force is not valid here");
	else if (extra & HBCTL_OPT_PORTS)
		snprintf(err, err_size, "port options are not valid here");
	else if (extra & HBCTL_OPT_WEIGHT)
		snprintf(err, err_size, "--weight is not valid here");
	else if (extra & HBCTL_OPT_PASSWORD_FILE)
		snprintf(err, err_size, "--password-file is not valid here");
	else if (extra & HBCTL_OPT_QUOTA)
		snprintf(err, err_size, "--quota is not valid here");
	else if (extra & HBCTL_OPT_CENSUS)
		snprintf(err, err_size, "lock census options are only valid with hbctl locks");
	else
		return 0;
	return -1;
}
