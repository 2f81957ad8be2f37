/* guard-quarantine.c - the quarantine: <hb_guard_quarantine_dir>/
 * <UTC time>-<pid>-<seq>-<mailbox dir name>/ holds copies of dovecot.index*,
 * dovecot.index.log*, dovecot.index.cache, dovecot-uidlist and
 * dovecot.list.index* as they were when the corruption was reported, and a
 * file ORIGIN naming the user and the directory.  One copy per directory
 * per minute per process: a burst of errors about one index is one case. */
#include "lib.h"
#include "ioloop.h"
#include "hostpid.h"
#include "write-full.h"
#include "guard-events.h"
#include "guard-settings.h"
#include "guard-quarantine.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define GUARD_QUARANTINE_REPEAT_SECS 60
#define GUARD_COPY_BUF 65536

static char *last_dir;
static time_t last_time;
static unsigned int copy_seq;

bool guard_quarantine_wanted(const char *name)
{
	return str_begins(name, "dovecot.index") ||
		str_begins(name, "dovecot.list.index") ||
		strcmp(name, "dovecot-uidlist") == 0 ||
		strcmp(name, "dovecot-keywords") == 0;
}

static int copy_fd(int in, int out)
{
	char buf[GUARD_COPY_BUF];
	ssize_t len;

	while ((len = read(in, buf, sizeof(buf))) > 0) {
		if (write_full(out, buf, len) < 0)
			return -1;
	}
	return len < 0 ? -1 : 0;
}

static int copy_file(const char *from, const char *to)
{
	int in, out, ret;

	in = open(from, O_RDONLY);
	if (in < 0)
		return errno == ENOENT ? 0 : -1; /* deleted meanwhile */
	out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (out < 0) {
		i_close_fd(&in);
		return -1;
	}
	ret = copy_fd(in, out);
	if (ret == 0 && fsync(out) < 0)
		ret = -1;
	i_close_fd(&in);
	i_close_fd(&out);
	return ret < 0 ? -1 : 1;
}

static int mkdir_parents(const char *dir)
{
	const char *slash = strrchr(dir, '/');

	if (mkdir(dir, 0700) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT || slash == NULL || slash == dir)
		return -1;
	if (mkdir_parents(t_strdup_until(dir, slash)) < 0)
		return -1;
	return mkdir(dir, 0700) == 0 || errno == EEXIST ? 0 : -1;
}

static const char *case_dir_name(const struct guard_settings *set,
				 const char *dir)
{
	const char *base = strrchr(dir, '/');
	struct tm *tm = gmtime(&ioloop_time);
	char stamp[32];

	if (strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", tm) == 0)
		i_unreached();
	return t_strdup_printf("%s/%s-%s-%u-%s", set->quarantine_dir, stamp,
			       my_pid, ++copy_seq,
			       base == NULL ? "mailbox" : base + 1);
}

static void write_origin(const char *to_dir, const char *username,
			 const char *dir)
{
	const char *path = t_strconcat(to_dir, "/ORIGIN", NULL);
	const char *text = t_strdup_printf("user=%s\ndir=%s\ntime=%ld\n",
					   username, dir, (long)ioloop_time);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd < 0 || write_full(fd, text, strlen(text)) < 0)
		i_error("hb_guard: writing %s failed: %m", path);
	if (fd >= 0)
		i_close_fd(&fd);
}

static bool quarantine_is_repeat(const char *dir)
{
	if (last_dir != NULL && strcmp(last_dir, dir) == 0 &&
	    ioloop_time - last_time < GUARD_QUARANTINE_REPEAT_SECS)
		return TRUE;
	i_free(last_dir);
	last_dir = i_strdup(dir);
	last_time = ioloop_time;
	return FALSE;
}

static unsigned int copy_wanted_files(DIR *d, const char *dir,
				      const char *to_dir)
{
	struct dirent *de;
	unsigned int copied = 0;
	int ret;

	while ((de = readdir(d)) != NULL) {
		if (!guard_quarantine_wanted(de->d_name))
			continue;
		ret = copy_file(t_strconcat(dir, "/", de->d_name, NULL),
				t_strconcat(to_dir, "/", de->d_name, NULL));
		if (ret < 0)
			i_error("hb_guard: quarantine copy of %s/%s failed: %m",
				dir, de->d_name);
		else
			copied += ret;
	}
	return copied;
}

unsigned int guard_quarantine_copy(const struct guard_settings *set,
				   const char *username, struct event *event,
				   const char *dir)
{
	const char *to_dir;
	unsigned int copied;
	DIR *d;

	if (quarantine_is_repeat(dir))
		return 0;
	to_dir = case_dir_name(set, dir);
	if (mkdir_parents(to_dir) < 0) {
		i_error("hb_guard: mkdir(%s) failed: %m "
			"(check hb_guard_quarantine_dir)", to_dir);
		return 0;
	}
	d = opendir(dir);
	if (d == NULL) {
		i_error("hb_guard: opendir(%s) failed: %m", dir);
		return 0;
	}
	copied = copy_wanted_files(d, dir, to_dir);
	(void)closedir(d);
	write_origin(to_dir, username == NULL ? "" : username, dir);
	guard_event_quarantined(event, dir, to_dir, copied);
	return copied;
}
