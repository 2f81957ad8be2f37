/* lock-census.c - collects `hbctl locks` (lock-census.h): the kernel's lock
 * table, the file behind each locked inode (looked up among the open file
 * descriptors of the processes that hold or wait, so the cost follows the
 * number of lockers, not the size of the mail store), the processes with
 * Dovecot's user from their proctitle, and the dotlock files under the mail
 * roots (whose contents Dovecot writes as "PID:HOST" and whose mtime is
 * their age; maildir cur/, new/ and tmp/ are never entered). */
#include "lock-census.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define LC_DIR_DEPTH_MAX 12

void lock_census_add_error(struct lock_census *c, const char *fmt, ...)
{
	va_list ap;

	if (c->error_count < LC_ERRORS_MAX) {
		va_start(ap, fmt);
		vsnprintf(c->errors[c->error_count], LC_ERROR_LEN, fmt, ap);
		va_end(ap);
	}
	c->error_count++;
}

static int add_lock(const struct hb_plock *lock, void *ctx, char *error,
		    size_t error_size)
{
	struct lock_census *c = ctx;

	if (c->lock_count == c->lock_cap) {
		size_t cap = c->lock_cap == 0 ? 256 : c->lock_cap * 2;
		struct lc_lock *v = realloc(c->locks, cap * sizeof(*v));

		if (v == NULL) {
			snprintf(error, error_size, "out of memory");
			return -1;
		}
		c->locks = v;
		c->lock_cap = cap;
	}
	c->locks[c->lock_count].lock = *lock;
	c->locks[c->lock_count].file = 0;
	c->lock_count++;
	return 0;
}

static int read_table(struct lock_census *c, const char *path)
{
	char error[LC_ERROR_LEN - 64];
	FILE *f = fopen(path, "r");
	int ret;

	if (f == NULL) {
		lock_census_add_error(c, "cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	ret = hb_plocks_read(f, add_lock, c, error, sizeof(error));
	fclose(f);
	if (ret < 0)
		lock_census_add_error(c, "%s: %s", path, error);
	return ret;
}

static int cmp_file_key(unsigned int amaj, unsigned int amin, uint64_t aino,
			unsigned int bmaj, unsigned int bmin, uint64_t bino)
{
	if (amaj != bmaj)
		return amaj < bmaj ? -1 : 1;
	if (amin != bmin)
		return amin < bmin ? -1 : 1;
	if (aino != bino)
		return aino < bino ? -1 : 1;
	return 0;
}

static int cmp_lock_file(const void *a, const void *b)
{
	const struct hb_plock *x = &((const struct lc_lock *)a)->lock;
	const struct hb_plock *y = &((const struct lc_lock *)b)->lock;

	return cmp_file_key(x->dev_major, x->dev_minor, x->ino,
			    y->dev_major, y->dev_minor, y->ino);
}

/* by file, then the rest of the line but its ordinal */
static int cmp_lock_full(const void *a, const void *b)
{
	const struct hb_plock *x = &((const struct lc_lock *)a)->lock;
	const struct hb_plock *y = &((const struct lc_lock *)b)->lock;
	int cmp = cmp_lock_file(a, b);

	if (cmp != 0)
		return cmp;
	if (x->waiter != y->waiter)
		return x->waiter ? 1 : -1;
	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	return (int)x->write - (int)y->write;
}

/* /proc/locks is no snapshot: each read() of it walks the kernel's list
   anew from a position, so while other processes lock and unlock, a line
   can come twice (or not at all).  The same lock twice is dropped. */
static void drop_repeated_lines(struct lock_census *c)
{
	size_t kept = 0;

	for (size_t i = 0; i < c->lock_count; i++) {
		if (kept > 0 && cmp_lock_full(&c->locks[kept - 1], &c->locks[i]) == 0)
			continue;
		c->locks[kept++] = c->locks[i];
	}
	c->lock_count = kept;
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* one lc_file per distinct inode, locks pointing at theirs */
static int build_files(struct lock_census *c)
{
	if (c->lock_count > 0)
		qsort(c->locks, c->lock_count, sizeof(*c->locks), cmp_lock_full);
	drop_repeated_lines(c);
	c->files = calloc(c->lock_count + 1, sizeof(*c->files));
	if (c->files == NULL)
		return -1;
	for (size_t i = 0; i < c->lock_count; i++) {
		const struct hb_plock *l = &c->locks[i].lock;

		if (i == 0 || cmp_lock_file(&c->locks[i - 1], &c->locks[i]) != 0) {
			struct lc_file *f = &c->files[c->file_count++];

			f->dev_major = l->dev_major;
			f->dev_minor = l->dev_minor;
			f->ino = l->ino;
		}
		c->locks[i].file = c->file_count - 1;
	}
	return 0;
}

static struct lc_file *find_file(struct lock_census *c, dev_t dev, ino_t ino)
{
	size_t lo = 0, hi = c->file_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct lc_file *f = &c->files[mid];
		int cmp = cmp_file_key(major(dev), minor(dev), (uint64_t)ino,
				       f->dev_major, f->dev_minor, f->ino);

		if (cmp == 0)
			return f;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* names the locked files PID has open; a process gone meanwhile is fine */
static void scan_fds(struct lock_census *c, long pid)
{
	char dir[64], link[384], target[4096];
	struct dirent *d;
	struct stat st;
	DIR *dp;

	snprintf(dir, sizeof(dir), "/proc/%ld/fd", pid);
	if ((dp = opendir(dir)) == NULL)
		return;
	while ((d = readdir(dp)) != NULL) {
		struct lc_file *f;
		ssize_t len;

		if (d->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "%s/%s", dir, d->d_name);
		if (stat(link, &st) < 0 ||
		    (f = find_file(c, st.st_dev, st.st_ino)) == NULL || f->path != NULL)
			continue;
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		f->path = strdup(target);
	}
	closedir(dp);
}

static void read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t len = -1;

	buf[0] = '\0';
	if (fd >= 0) {
		len = read(fd, buf, size - 1);
		close(fd);
	}
	buf[len > 0 ? len : 0] = '\0';
}

int lock_census_proctitle_user(const char *cmdline, char *user, size_t size)
{
	const char *space = strchr(cmdline, ' '), *slash = strchr(cmdline, '/');
	const char *p, *end;

	/* "INSTANCE/SERVICE [": instance_name, "dovecot" by default */
	if (space == NULL || slash == NULL || slash == cmdline || slash > space ||
	    space[1] != '[')
		return -1;
	p = space + 2;
	end = p + strcspn(p, " ]");
	if (end == p || *end == '\0' || (size_t)(end - p) >= size)
		return -1;
	memcpy(user, p, end - p);
	user[end - p] = '\0';
	return 0;
}

/* copies [start, end) into BUF of SIZE; -1 if empty or too long */
static int copy_part(const char *start, const char *end, char *buf, size_t size)
{
	if (end <= start || (size_t)(end - start) >= size)
		return -1;
	memcpy(buf, start, end - start);
	buf[end - start] = '\0';
	return 0;
}

int lock_census_proctitle_op(const char *cmdline, struct lc_op *op)
{
	const char *rec = NULL, *p, *user, *box, *end;
	char *num_end;

	for (p = strstr(cmdline, "[hb_locks "); p != NULL; p = strstr(p + 1, "[hb_locks "))
		rec = p;
	memset(op, 0, sizeof(*op));
	if (rec == NULL)
		return -1;
	p = rec + strlen("[hb_locks ");
	end = strrchr(p, ']');
	user = strstr(p, " user=");
	box = user == NULL ? NULL : strstr(user, " box=");
	if (end == NULL || end[1] != '\0' || box == NULL || box > end ||
	    copy_part(p, p + strcspn(p, " "), op->name, sizeof(op->name)) < 0 ||
	    strncmp(p + strlen(op->name), " since=", 7) != 0)
		goto broken;
	p += strlen(op->name) + 7;
	if (*p < '0' || *p > '9')
		goto broken;
	op->since_ms = strtoll(p, &num_end, 10);
	if (num_end != user ||
	    copy_part(user + 6, box, op->user, sizeof(op->user)) < 0 ||
	    copy_part(box + 5, end, op->mailbox, sizeof(op->mailbox)) < 0)
		goto broken;
	return 0;
broken:
	memset(op, 0, sizeof(*op));
	return -1;
}

static void describe_proc(struct lc_proc *p)
{
	char path[64], cmdline[1024];

	snprintf(path, sizeof(path), "/proc/%ld/comm", p->pid);
	read_small_file(path, p->name, sizeof(p->name));
	p->name[strcspn(p->name, "\n")] = '\0';
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", p->pid);
	read_small_file(path, cmdline, sizeof(cmdline));
	if (lock_census_proctitle_user(cmdline, p->user, sizeof(p->user)) < 0)
		p->user[0] = '\0';
	/* without verbose_proctitle the user is only in hb_locks' record */
	if (lock_census_proctitle_op(cmdline, &p->op) == 0 && p->user[0] == '\0')
		snprintf(p->user, sizeof(p->user), "%s", p->op.user);
}

/* the distinct pids (> 0) of all locks, described, their fds scanned */
static int build_procs(struct lock_census *c)
{
	long *pids = malloc((c->lock_count + 1) * sizeof(*pids));
	size_t n = 0;

	if (pids == NULL)
		return -1;
	for (size_t i = 0; i < c->lock_count; i++) {
		if (c->locks[i].lock.pid > 0)
			pids[n++] = c->locks[i].lock.pid;
	}
	if (n > 0)
		qsort(pids, n, sizeof(*pids), cmp_long);
	c->procs = calloc(n + 1, sizeof(*c->procs));
	if (c->procs == NULL) {
		free(pids);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && pids[i] == pids[i - 1])
			continue;
		c->procs[c->proc_count].pid = pids[i];
		describe_proc(&c->procs[c->proc_count]);
		scan_fds(c, pids[i]);
		c->proc_count++;
	}
	free(pids);
	return 0;
}

/* cmp_long compares lc_procs too: pid is their first member */
static struct lc_proc *find_proc(struct lock_census *c, long pid)
{
	struct lc_proc key = { .pid = pid };

	if (c->proc_count == 0)
		return NULL;
	return bsearch(&key, c->procs, c->proc_count, sizeof(*c->procs), cmp_long);
}

static bool under_root(const char *path, const struct hbctl_census_args *args)
{
	if (args->mail_root_count == 0)
		return true;
	if (path == NULL)
		return false;
	for (unsigned int i = 0; i < args->mail_root_count; i++) {
		const char *root = args->mail_roots[i];
		size_t len = strlen(root);

		while (len > 1 && root[len - 1] == '/')
			len--;
		if (strncmp(path, root, len) == 0 && (path[len] == '/' || path[len] == '\0'))
			return true;
	}
	return false;
}

static void count_locks(struct lock_census *c, const struct hbctl_census_args *args)
{
	for (size_t i = 0; i < c->file_count; i++)
		c->files[i].counted = under_root(c->files[i].path, args);
	for (size_t i = 0; i < c->lock_count; i++) {
		const struct hb_plock *l = &c->locks[i].lock;
		struct lc_file *f = &c->files[c->locks[i].file];
		struct lc_proc *p = l->pid > 0 ? find_proc(c, l->pid) : NULL;

		if (!f->counted) {
			c->other++;
			continue;
		}
		if (l->waiter) {
			f->waiting++;
			c->waiting++;
			if (p != NULL)
				p->waiting++;
		} else {
			f->held++;
			c->held++;
			c->held_by_class[l->cls]++;
			if (p != NULL)
				p->held++;
		}
	}
}

int lock_census_parse_dotlock(const char *content, long *pid_r,
			      char *host, size_t host_size)
{
	char *end;
	long pid;
	size_t len;

	if (*content < '1' || *content > '9')
		return -1;
	errno = 0;
	pid = strtol(content, &end, 10);
	if (errno != 0 || *end != ':' || pid <= 0)
		return -1;
	end++;
	len = strcspn(end, "\n");
	if (len == 0 || len >= host_size || end[len + (end[len] == '\n')] != '\0')
		return -1;
	memcpy(host, end, len);
	host[len] = '\0';
	*pid_r = pid;
	return 0;
}

static void add_dotlock(struct lock_census *c, const char *path,
			const struct stat *st, long long now)
{
	struct lc_dotlock *d;
	char content[128];

	if (c->dotlock_count == c->dotlock_cap) {
		size_t cap = c->dotlock_cap == 0 ? 32 : c->dotlock_cap * 2;
		struct lc_dotlock *v = realloc(c->dotlocks, cap * sizeof(*v));

		if (v == NULL) {
			lock_census_add_error(c, "out of memory at %s", path);
			return;
		}
		c->dotlocks = v;
		c->dotlock_cap = cap;
	}
	d = &c->dotlocks[c->dotlock_count];
	memset(d, 0, sizeof(*d));
	if ((d->path = strdup(path)) == NULL) {
		lock_census_add_error(c, "out of memory at %s", path);
		return;
	}
	d->age_secs = now - (long long)st->st_mtime;
	if (d->age_secs < 0)
		d->age_secs = 0;
	read_small_file(path, content, sizeof(content));
	if (lock_census_parse_dotlock(content, &d->pid, d->host, sizeof(d->host)) < 0) {
		d->pid = 0;
		d->host[0] = '\0';
	}
	if (d->age_secs > c->oldest_dotlock_secs)
		c->oldest_dotlock_secs = d->age_secs;
	c->dotlock_count++;
}

static bool is_maildir_content(const char *name)
{
	return strcmp(name, "cur") == 0 || strcmp(name, "new") == 0 ||
		strcmp(name, "tmp") == 0;
}

static bool is_dotlock_name(const char *name)
{
	size_t len = strlen(name);

	return len > 5 && strcmp(name + len - 5, ".lock") == 0;
}

static void walk_dotlocks(struct lock_census *c, const char *dir,
			  unsigned int depth, long long now)
{
	char path[4096];
	struct dirent *d;
	struct stat st;
	DIR *dp;

	if ((dp = opendir(dir)) == NULL) {
		lock_census_add_error(c, "cannot read directory %s: %s", dir, strerror(errno));
		return;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 ||
		    is_maildir_content(d->d_name))
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, d->d_name) >= sizeof(path)) {
			lock_census_add_error(c, "path too long under %s", dir);
			continue;
		}
		if (lstat(path, &st) < 0)
			continue; /* gone meanwhile: a lock released */
		if (S_ISDIR(st.st_mode) && depth < LC_DIR_DEPTH_MAX)
			walk_dotlocks(c, path, depth + 1, now);
		else if (S_ISREG(st.st_mode) && is_dotlock_name(d->d_name))
			add_dotlock(c, path, &st, now);
	}
	closedir(dp);
}

static int cmp_llong(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* From hb_locks' records of the processes that hold or wait for counted
 * locks (the ages /proc/locks cannot give): the oldest operation, and the
 * 99th percentile of how long the waiting ones have waited so far. */
static void operation_ages(struct lock_census *c, long long now)
{
	long long *waits = malloc((c->proc_count + 1) * sizeof(*waits));
	size_t n = 0;

	for (size_t i = 0; i < c->proc_count; i++) {
		const struct lc_proc *p = &c->procs[i];
		long long age_ms;

		if (p->op.name[0] == '\0' || p->held + p->waiting == 0)
			continue;
		age_ms = now * 1000 - p->op.since_ms;
		if (age_ms < 0)
			age_ms = 0;
		if (age_ms / 1000 > c->oldest_op_secs)
			c->oldest_op_secs = age_ms / 1000;
		if (p->waiting > 0 && waits != NULL)
			waits[n++] = age_ms;
	}
	if (n > 0) {
		qsort(waits, n, sizeof(*waits), cmp_llong);
		c->wait_p99_ms = waits[(n * 99 + 99) / 100 - 1];
	}
	free(waits);
}

int lock_census_collect(struct lock_census *c, const struct hbctl_census_args *args,
			long long now)
{
	memset(c, 0, sizeof(*c));
	c->oldest_dotlock_secs = -1;
	c->oldest_op_secs = -1;
	c->wait_p99_ms = -1;
	if (read_table(c, args->proc_locks != NULL ? args->proc_locks : "/proc/locks") < 0)
		return -1;
	if (build_files(c) < 0 || build_procs(c) < 0) {
		lock_census_add_error(c, "out of memory");
		return -1;
	}
	count_locks(c, args);
	operation_ages(c, now);
	for (unsigned int i = 0; i < args->mail_root_count; i++)
		walk_dotlocks(c, args->mail_roots[i], 0, now);
	return 0;
}

static void judge_one(struct lock_census *c, const char *what, long long value,
		      unsigned int warn, unsigned int crit)
{
	enum lc_status s = LC_OK;

	if (crit != 0 && value >= crit)
		s = LC_CRIT;
	else if (warn != 0 && value >= warn)
		s = LC_WARN;
	if (s == LC_OK)
		return;
	if (s > c->status)
		c->status = s;
	snprintf(c->reasons[c->reason_count++], sizeof(c->reasons[0]),
		 "%s %lld >= %u", what, value, s == LC_CRIT ? crit : warn);
}

static unsigned int pick(const struct hbctl_census_args *a, unsigned int bit,
			 unsigned int value, unsigned int def)
{
	return (a->set & (1U << bit)) != 0 ? value : def;
}

void lock_census_judge(struct lock_census *c, const struct hbctl_census_args *a)
{
	c->status = LC_OK;
	c->reason_count = 0;
	/* bits in the order of census_thresholds in args.c */
	judge_one(c, "locks", (long long)c->held + c->waiting,
		  pick(a, 0, a->warn_locks, LC_DEFAULT_WARN_LOCKS),
		  pick(a, 1, a->crit_locks, LC_DEFAULT_CRIT_LOCKS));
	judge_one(c, "waiters", c->waiting,
		  pick(a, 2, a->warn_waiters, LC_DEFAULT_WARN_WAITERS),
		  pick(a, 3, a->crit_waiters, LC_DEFAULT_CRIT_WAITERS));
	if (c->oldest_dotlock_secs >= 0)
		judge_one(c, "oldest dotlock age (s)", c->oldest_dotlock_secs,
			  pick(a, 4, a->warn_age, LC_DEFAULT_WARN_AGE),
			  pick(a, 5, a->crit_age, LC_DEFAULT_CRIT_AGE));
	if (c->oldest_op_secs >= 0)
		judge_one(c, "oldest locking operation (s)", c->oldest_op_secs,
			  pick(a, 4, a->warn_age, LC_DEFAULT_WARN_AGE),
			  pick(a, 5, a->crit_age, LC_DEFAULT_CRIT_AGE));
	if (c->wait_p99_ms >= 0)
		judge_one(c, "wait p99 (ms)", c->wait_p99_ms,
			  pick(a, 7, a->warn_wait_p99, LC_DEFAULT_WARN_WAIT_P99_MS),
			  pick(a, 8, a->crit_wait_p99, LC_DEFAULT_CRIT_WAIT_P99_MS));
	if (c->error_count > 0 && c->status != LC_CRIT)
		c->status = LC_UNKNOWN;
}

void lock_census_free(struct lock_census *c)
{
	for (size_t i = 0; i < c->file_count; i++)
		free(c->files[i].path);
	for (size_t i = 0; i < c->dotlock_count; i++)
		free(c->dotlocks[i].path);
	free(c->locks);
	free(c->files);
	free(c->procs);
	free(c->dotlocks);
	memset(c, 0, sizeof(*c));
}
