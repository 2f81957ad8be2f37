/* lock-census-print.c - the three forms of `hbctl locks`: a human report
 * (verdict first, then files by waiters and holders, processes, users and
 * dotlocks oldest first), --json, and the node_exporter textfile written
 * with --prometheus (a temporary file renamed into place, so the collector
 * never reads half of one). */
#include "lock-census.h"
#include "output.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LC_SHOW_MAX 50	/* rows per human table; --json has all */

static const char *const status_names[] = { "ok", "warn", "crit", "unknown" };

const char *lock_census_status_name(enum lc_status status)
{
	return status_names[status];
}

static int cmp_file_busy(const void *a, const void *b)
{
	const struct lc_file *x = *(const struct lc_file *const *)a;
	const struct lc_file *y = *(const struct lc_file *const *)b;

	if (x->waiting != y->waiting)
		return x->waiting > y->waiting ? -1 : 1;
	if (x->held != y->held)
		return x->held > y->held ? -1 : 1;
	return 0;
}

static int cmp_proc_busy(const void *a, const void *b)
{
	const struct lc_proc *x = *(const struct lc_proc *const *)a;
	const struct lc_proc *y = *(const struct lc_proc *const *)b;
	unsigned int nx = x->held + x->waiting, ny = y->held + y->waiting;

	return nx == ny ? 0 : nx > ny ? -1 : 1;
}

static int cmp_dotlock_age(const void *a, const void *b)
{
	const struct lc_dotlock *x = *(const struct lc_dotlock *const *)a;
	const struct lc_dotlock *y = *(const struct lc_dotlock *const *)b;

	return x->age_secs == y->age_secs ? 0 : x->age_secs > y->age_secs ? -1 : 1;
}

/* pointers to the N elements of SIZE at BASE that KEEP (NULL: all), sorted */
static const void **sorted_view(const void *base, size_t n, size_t size,
				bool (*keep)(const void *), int (*cmp)(const void *, const void *),
				size_t *count_r)
{
	const void **v = malloc((n + 1) * sizeof(*v));
	size_t k = 0;

	*count_r = 0;
	if (v == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const void *e = (const char *)base + i * size;

		if (keep == NULL || keep(e))
			v[k++] = e;
	}
	if (k > 0)
		qsort(v, k, sizeof(*v), cmp);
	*count_r = k;
	return v;
}

static bool file_busy(const void *e)
{
	const struct lc_file *f = e;

	return f->counted && f->held + f->waiting > 0;
}

static bool proc_busy(const void *e)
{
	const struct lc_proc *p = e;

	return p->held + p->waiting > 0;
}

static void print_summary(const struct lock_census *c, FILE *f)
{
	fprintf(f, "%s: %u held, %u waiting, %zu dotlock%s",
		lock_census_status_name(c->status), c->held, c->waiting,
		c->dotlock_count, c->dotlock_count == 1 ? "" : "s");
	if (c->oldest_dotlock_secs >= 0)
		fprintf(f, " (oldest %llds)", c->oldest_dotlock_secs);
	if (c->oldest_op_secs >= 0)
		fprintf(f, "; oldest locking operation %llds", c->oldest_op_secs);
	if (c->wait_p99_ms >= 0)
		fprintf(f, "; wait p99 %lldms", c->wait_p99_ms);
	if (c->other > 0)
		fprintf(f, "; %u more on files outside the mail roots", c->other);
	fputc('\n', f);
	for (unsigned int i = 0; i < c->reason_count; i++)
		fprintf(f, "  %s\n", c->reasons[i]);
	for (unsigned int i = 0; i < c->error_count && i < LC_ERRORS_MAX; i++)
		fprintf(f, "  error: %s\n", c->errors[i]);
	if (c->error_count > LC_ERRORS_MAX)
		fprintf(f, "  (%u more errors)\n", c->error_count - LC_ERRORS_MAX);
}

static void print_files(const struct lock_census *c, FILE *f)
{
	size_t n;
	const void **v = sorted_view(c->files, c->file_count, sizeof(*c->files),
				     file_busy, cmp_file_busy, &n);
	char buf[512];

	if (v == NULL || n == 0) {
		free(v);
		return;
	}
	fprintf(f, "\n%-6s %-7s %s\n", "HELD", "WAITING", "FILE");
	for (size_t i = 0; i < n && i < LC_SHOW_MAX; i++) {
		const struct lc_file *e = v[i];

		if (e->path != NULL)
			hbctl_printable(e->path, buf, sizeof(buf));
		else
			snprintf(buf, sizeof(buf), "(inode %x:%x:%llu, not open in a visible process)",
				 e->dev_major, e->dev_minor, (unsigned long long)e->ino);
		fprintf(f, "%-6u %-7u %s\n", e->held, e->waiting, buf);
	}
	if (n > LC_SHOW_MAX)
		fprintf(f, "(%zu more files; --json lists all)\n", n - LC_SHOW_MAX);
	free(v);
}

/* "sync of INBOX for 12s" from hb_locks' record, "-" without one */
static void print_op(const struct lc_op *op, FILE *f)
{
	char box[sizeof(op->mailbox) * 4];
	long long age = (long long)time(NULL) - op->since_ms / 1000;

	if (op->name[0] == '\0') {
		fputs("-\n", f);
		return;
	}
	fprintf(f, "%s of %s for %llds\n", op->name,
		hbctl_printable(op->mailbox, box, sizeof(box)), age < 0 ? 0 : age);
}

static void print_procs(const struct lock_census *c, FILE *f)
{
	size_t n;
	const void **v = sorted_view(c->procs, c->proc_count, sizeof(*c->procs),
				     proc_busy, cmp_proc_busy, &n);
	char name[64], user[LC_USER_LEN];

	if (v == NULL || n == 0) {
		free(v);
		return;
	}
	fprintf(f, "\n%-8s %-16s %-6s %-7s %-20s %s\n", "PID", "PROCESS", "HELD", "WAITING",
		"USER", "OPERATION");
	for (size_t i = 0; i < n && i < LC_SHOW_MAX; i++) {
		const struct lc_proc *p = v[i];

		fprintf(f, "%-8ld %-16s %-6u %-7u %-20s ", p->pid,
			hbctl_printable(p->name, name, sizeof(name)), p->held, p->waiting,
			p->user[0] != '\0' ? hbctl_printable(p->user, user, sizeof(user)) : "-");
		print_op(&p->op, f);
	}
	if (n > LC_SHOW_MAX)
		fprintf(f, "(%zu more processes; --json lists all)\n", n - LC_SHOW_MAX);
	free(v);
}

static void print_dotlocks(const struct lock_census *c, FILE *f)
{
	size_t n;
	const void **v = sorted_view(c->dotlocks, c->dotlock_count, sizeof(*c->dotlocks),
				     NULL, cmp_dotlock_age, &n);
	char age[32], path[512], host[64];

	if (v == NULL || n == 0) {
		free(v);
		return;
	}
	fprintf(f, "\n%-8s %-8s %-20s %s\n", "AGE", "PID", "HOST", "DOTLOCK");
	for (size_t i = 0; i < n && i < LC_SHOW_MAX; i++) {
		const struct lc_dotlock *d = v[i];

		fprintf(f, "%-8s %-8ld %-20s %s\n",
			hbctl_format_duration(d->age_secs, age, sizeof(age)), d->pid,
			d->host[0] != '\0' ? hbctl_printable(d->host, host, sizeof(host)) : "-",
			hbctl_printable(d->path, path, sizeof(path)));
	}
	if (n > LC_SHOW_MAX)
		fprintf(f, "(%zu more dotlocks; --json lists all)\n", n - LC_SHOW_MAX);
	free(v);
}

void lock_census_print(const struct lock_census *c, FILE *f)
{
	print_summary(c, f);
	print_files(c, f);
	print_procs(c, f);
	print_dotlocks(c, f);
}

static void json_files(const struct lock_census *c, struct hbctl_json *js)
{
	size_t n;
	const void **v = sorted_view(c->files, c->file_count, sizeof(*c->files),
				     file_busy, cmp_file_busy, &n);

	hbctl_json_arr_begin(js, "files");
	for (size_t i = 0; i < n; i++) {
		const struct lc_file *e = v[i];
		char inode[64];

		hbctl_json_obj_begin(js, NULL);
		if (e->path != NULL)
			hbctl_json_str(js, "path", e->path);
		else
			hbctl_json_null(js, "path");
		snprintf(inode, sizeof(inode), "%x:%x:%llu", e->dev_major, e->dev_minor,
			 (unsigned long long)e->ino);
		hbctl_json_str(js, "inode", inode);
		hbctl_json_int(js, "held", e->held);
		hbctl_json_int(js, "waiting", e->waiting);
		hbctl_json_obj_end(js);
	}
	hbctl_json_arr_end(js);
	free(v);
}

/* "operation": {"name", "mailbox", "since_ms"} from hb_locks, or null */
static void json_op(struct hbctl_json *js, const struct lc_op *op)
{
	if (op->name[0] == '\0') {
		hbctl_json_null(js, "operation");
		return;
	}
	hbctl_json_obj_begin(js, "operation");
	hbctl_json_str(js, "name", op->name);
	hbctl_json_str(js, "mailbox", op->mailbox);
	hbctl_json_int(js, "since_ms", op->since_ms);
	hbctl_json_obj_end(js);
}

static void json_procs(const struct lock_census *c, struct hbctl_json *js)
{
	size_t n;
	const void **v = sorted_view(c->procs, c->proc_count, sizeof(*c->procs),
				     proc_busy, cmp_proc_busy, &n);

	hbctl_json_arr_begin(js, "processes");
	for (size_t i = 0; i < n; i++) {
		const struct lc_proc *p = v[i];

		hbctl_json_obj_begin(js, NULL);
		hbctl_json_int(js, "pid", p->pid);
		hbctl_json_str(js, "name", p->name);
		if (p->user[0] != '\0')
			hbctl_json_str(js, "user", p->user);
		else
			hbctl_json_null(js, "user");
		hbctl_json_int(js, "held", p->held);
		hbctl_json_int(js, "waiting", p->waiting);
		json_op(js, &p->op);
		hbctl_json_obj_end(js);
	}
	hbctl_json_arr_end(js);
	free(v);
}

static void json_dotlocks(const struct lock_census *c, struct hbctl_json *js)
{
	size_t n;
	const void **v = sorted_view(c->dotlocks, c->dotlock_count, sizeof(*c->dotlocks),
				     NULL, cmp_dotlock_age, &n);

	hbctl_json_arr_begin(js, "dotlocks");
	for (size_t i = 0; i < n; i++) {
		const struct lc_dotlock *d = v[i];

		hbctl_json_obj_begin(js, NULL);
		hbctl_json_str(js, "path", d->path);
		hbctl_json_int(js, "age_secs", d->age_secs);
		if (d->pid > 0) {
			hbctl_json_int(js, "pid", d->pid);
			hbctl_json_str(js, "host", d->host);
		} else {
			hbctl_json_null(js, "pid");
			hbctl_json_null(js, "host");
		}
		hbctl_json_obj_end(js);
	}
	hbctl_json_arr_end(js);
	free(v);
}

void lock_census_print_json(const struct lock_census *c, struct hbctl_json *js)
{
	hbctl_json_obj_begin(js, NULL);
	hbctl_json_bool(js, "ok", c->error_count == 0);
	hbctl_json_str(js, "status", lock_census_status_name(c->status));
	hbctl_json_int(js, "exit_code", c->status);
	hbctl_json_arr_begin(js, "reasons");
	for (unsigned int i = 0; i < c->reason_count; i++)
		hbctl_json_str(js, NULL, c->reasons[i]);
	hbctl_json_arr_end(js);
	hbctl_json_arr_begin(js, "errors");
	for (unsigned int i = 0; i < c->error_count && i < LC_ERRORS_MAX; i++)
		hbctl_json_str(js, NULL, c->errors[i]);
	hbctl_json_arr_end(js);
	hbctl_json_obj_begin(js, "totals");
	hbctl_json_int(js, "held", c->held);
	hbctl_json_int(js, "waiting", c->waiting);
	hbctl_json_int(js, "outside_mail_roots", c->other);
	hbctl_json_int(js, "dotlocks", (long long)c->dotlock_count);
	if (c->oldest_dotlock_secs >= 0)
		hbctl_json_int(js, "oldest_dotlock_secs", c->oldest_dotlock_secs);
	else
		hbctl_json_null(js, "oldest_dotlock_secs");
	if (c->oldest_op_secs >= 0)
		hbctl_json_int(js, "oldest_operation_secs", c->oldest_op_secs);
	else
		hbctl_json_null(js, "oldest_operation_secs");
	if (c->wait_p99_ms >= 0)
		hbctl_json_int(js, "wait_p99_ms", c->wait_p99_ms);
	else
		hbctl_json_null(js, "wait_p99_ms");
	hbctl_json_obj_end(js);
	json_files(c, js);
	json_procs(c, js);
	json_dotlocks(c, js);
	hbctl_json_obj_end(js);
	hbctl_json_finish(js);
}

static void prom_gauge(FILE *f, const char *name, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void write_prometheus(const struct lock_census *c, FILE *f, long long now)
{
	prom_gauge(f, "hummingbird_locks_held",
		   "Kernel locks held now on files under the mail roots, by class (/proc/locks).");
	for (int i = 0; i < 5; i++) {
		char cls[16];
		size_t k;

		snprintf(cls, sizeof(cls), "%s", hb_plock_class_name((enum hb_plock_class)i));
		for (k = 0; cls[k] != '\0'; k++)
			cls[k] = (char)(cls[k] >= 'A' && cls[k] <= 'Z' ? cls[k] + 32 : cls[k]);
		fprintf(f, "hummingbird_locks_held{class=\"%s\"} %u\n", cls, c->held_by_class[i]);
	}
	prom_gauge(f, "hummingbird_locks_waiting", "Processes blocked waiting for a kernel lock.");
	fprintf(f, "hummingbird_locks_waiting %u\n", c->waiting);
	prom_gauge(f, "hummingbird_locks_outside_mail_roots",
		   "Kernel locks on files outside the mail roots (not judged).");
	fprintf(f, "hummingbird_locks_outside_mail_roots %u\n", c->other);
	prom_gauge(f, "hummingbird_dotlocks", "Dotlock files under the mail roots.");
	fprintf(f, "hummingbird_dotlocks %zu\n", c->dotlock_count);
	prom_gauge(f, "hummingbird_dotlock_oldest_age_seconds",
		   "Age of the oldest dotlock under the mail roots (0: none).");
	fprintf(f, "hummingbird_dotlock_oldest_age_seconds %lld\n",
		c->oldest_dotlock_secs < 0 ? 0 : c->oldest_dotlock_secs);
	prom_gauge(f, "hummingbird_locks_oldest_operation_age_seconds",
		   "Age of the oldest hb_locks operation of a process holding or waiting for locks (0: none).");
	fprintf(f, "hummingbird_locks_oldest_operation_age_seconds %lld\n",
		c->oldest_op_secs < 0 ? 0 : c->oldest_op_secs);
	prom_gauge(f, "hummingbird_locks_wait_p99_seconds",
		   "99th percentile of how long the waiting processes have waited so far (hb_locks; 0: none).");
	fprintf(f, "hummingbird_locks_wait_p99_seconds %.3f\n",
		c->wait_p99_ms < 0 ? 0.0 : (double)c->wait_p99_ms / 1000.0);
	prom_gauge(f, "hummingbird_locks_status", "Census verdict: 0 ok, 1 warn, 2 crit, 3 unknown.");
	fprintf(f, "hummingbird_locks_status %d\n", (int)c->status);
	prom_gauge(f, "hummingbird_locks_census_errors", "Problems that left the census incomplete.");
	fprintf(f, "hummingbird_locks_census_errors %u\n", c->error_count);
	prom_gauge(f, "hummingbird_locks_census_timestamp_seconds", "When the census was taken.");
	fprintf(f, "hummingbird_locks_census_timestamp_seconds %lld\n", now);
}

int lock_census_write_prometheus(const struct lock_census *c, const char *path,
				 long long now, char *err, size_t err_size)
{
	char tmp[4096];
	FILE *f;
	int failed;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= sizeof(tmp)) {
		snprintf(err, err_size, "--prometheus: path too long");
		return -1;
	}
	if ((f = fopen(tmp, "w")) == NULL) {
		snprintf(err, err_size, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	write_prometheus(c, f, now);
	failed = ferror(f);
	if (fclose(f) != 0)
		failed = 1;
	if (failed || rename(tmp, path) < 0) {
		snprintf(err, err_size, "cannot write %s: %s", path,
			 failed ? "write failed" : strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}
