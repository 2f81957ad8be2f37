/* doctor-redis.c - can each component log in to Redis as its ACL user?
 * For every Hummingbird configuration file present, a child process takes
 * the uid and gid of the file's redis_password_file owner (the daemon's
 * user: the secret reader accepts only files of the reading uid), reads the
 * password with the one secret reader, sends AUTH, PING and one EXISTS on
 * a key that user's ACL allows.  That proves the user exists and is on, the
 * password file matches it, the user can read its file and its ACL is the
 * shipped one.  The password goes only to Redis, never to argv or output. */
#include "doctor.h"
#include "hb-redis.h"
#include "hb-settings.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NODE_USER_PREFIX "hb-node-"

/* Each file and a key its ACL user may read (conf.d/redis-users.acl),
 * relative to key_prefix; NULL: the node's own backend key. */
static const struct component {
	const char *file;
	const char *key;
} components[] = {
	{ "director.conf", "epoch" },
	{ "milter.conf", "domains" },
	{ "admind.conf", "caps:doctor.invalid" },
	{ "auth.conf", "routing" },
	{ "locks.conf", NULL },
	{ "hummingbird.conf", "backends" },
};

/* Become the owner of the password file when running as root. */
static int become_owner(const char *path, char *err, size_t err_size)
{
	struct stat st;

	if (path[0] == '\0' || geteuid() != 0 || lstat(path, &st) < 0 || st.st_uid == 0)
		return 0;	/* the secret reader says what is wrong */
	if (setgroups(0, NULL) < 0 || setgid(st.st_gid) < 0 || setuid(st.st_uid) < 0) {
		snprintf(err, err_size, "cannot become uid %u: %s", (unsigned int)st.st_uid,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static const char *probe_key(const struct hb_settings *set, const struct component *c,
			     char *buf, size_t size)
{
	if (c->key != NULL)
		snprintf(buf, size, "%s%s", set->key_prefix, c->key);
	else if (strncmp(set->redis_user, NODE_USER_PREFIX, strlen(NODE_USER_PREFIX)) == 0)
		snprintf(buf, size, "%sbackend:%s", set->key_prefix,
			 set->redis_user + strlen(NODE_USER_PREFIX));
	else
		return NULL;
	return buf;
}

/* In the child: the probe's status and why.  Returns the status. */
static enum lc_status probe(const struct hb_settings *set, const struct component *c,
			    char *msg, size_t msg_size)
{
	char err[200], key[128];
	const char *user = set->redis_user[0] != '\0' ? set->redis_user : "default";
	const char *k = probe_key(set, c, key, sizeof(key));
	const char *ping[] = { "PING" }, *exists[] = { "EXISTS", k };
	redisContext *ctx;
	redisReply *reply;

	if (become_owner(set->redis_password_file, err, sizeof(err)) < 0) {
		snprintf(msg, msg_size, "%s", err);
		return LC_CRIT;
	}
	ctx = hb_redis_connect(set, err, sizeof(err));
	if (ctx == NULL) {
		snprintf(msg, msg_size, "Redis user %s (uid %u): %s", user,
			 (unsigned int)geteuid(), err);
		return LC_CRIT;
	}
	reply = hb_redis_cmd(ctx, err, sizeof(err), 1, ping);
	if (reply != NULL && k != NULL) {
		freeReplyObject(reply);
		reply = hb_redis_cmd(ctx, err, sizeof(err), 2, exists);
	}
	redisFree(ctx);
	if (reply == NULL) {
		snprintf(msg, msg_size, "Redis user %s: %s (its ACL differs from "
			 "conf.d/redis-users.acl?)", user, err);
		return LC_CRIT;
	}
	freeReplyObject(reply);
	snprintf(msg, msg_size, "Redis user %s (uid %u) authenticated, PING%s%s answered",
		 user, (unsigned int)geteuid(), k != NULL ? " and EXISTS " : "", k != NULL ? k : "");
	return LC_OK;
}

/* Run the probe in a child and record what it says. */
static void check_component(struct doctor *d, const struct component *c, const char *path)
{
	struct hb_settings *set = NULL;
	char err[HB_SETTINGS_ERROR_MAX], msg[DOCTOR_DETAIL_MAX], name[64];
	int fds[2], status;
	ssize_t n = 0;
	pid_t pid;

	snprintf(name, sizeof(name), "redis %s", c->file);
	if (hb_settings_load(path, &set, err, sizeof(err)) < 0) {
		doctor_add(d, name, LC_CRIT, "%s", err);
		return;
	}
	fflush(stdout);
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		doctor_add(d, name, LC_UNKNOWN, "cannot start the probe: %s", strerror(errno));
		hb_settings_free(&set);
		return;
	}
	if (pid == 0) {
		close(fds[0]);
		msg[0] = (char)('0' + probe(set, c, msg + 1, sizeof(msg) - 1));
		if (write(fds[1], msg, strlen(msg)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fds[1]);
	while ((size_t)n < sizeof(msg) - 1) {
		ssize_t r = read(fds[0], msg + n, sizeof(msg) - 1 - (size_t)n);
		if (r <= 0 && !(r < 0 && errno == EINTR))
			break;
		n += r > 0 ? r : 0;
	}
	msg[n] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (n < 1 || msg[0] < '0' || msg[0] > '3')
		doctor_add(d, name, LC_UNKNOWN, "the probe for %s ended without an answer", path);
	else
		doctor_add(d, name, (enum lc_status)(msg[0] - '0'), "%s: %s", path, msg + 1);
	hb_settings_free(&set);
}

void doctor_check_redis(struct doctor *d)
{
	char path[1200];
	unsigned int found = 0;

	for (size_t i = 0; i < sizeof(components) / sizeof(components[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", d->opts->config_dir, components[i].file);
		if (access(path, F_OK) != 0)
			continue;
		found++;
		check_component(d, &components[i], path);
	}
	if (found == 0)
		doctor_add(d, "redis", LC_OK, "no Hummingbird configuration file in %s",
			   d->opts->config_dir);
}
