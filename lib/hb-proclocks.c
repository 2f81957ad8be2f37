/* hb-proclocks.c - parses /proc/locks lines (hb-proclocks.h).  The kernel
 * writes them in fs/locks.c:lock_get_status():
 *   "ID: [-> ]CLASS  MODE  ACCESS PID MAJ:MIN:INO START END"
 * with MAJ and MIN in hex, INO, START and PID in decimal, END a decimal or
 * "EOF"; PID is -1 for an OFD lock.  Every field is checked: the census
 * reports what it could not read instead of counting garbage. */
#include "hb-proclocks.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define FIELDS_MAX 10

static const struct {
	const char *name;
	enum hb_plock_class cls;
} classes[] = {
	{ "POSIX", HB_PLOCK_POSIX }, { "FLOCK", HB_PLOCK_FLOCK },
	{ "OFDLCK", HB_PLOCK_OFD }, { "LEASE", HB_PLOCK_LEASE },
	{ "DELEG", HB_PLOCK_DELEG },
};

const char *hb_plock_class_name(enum hb_plock_class cls)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (classes[i].cls == cls)
			return classes[i].name;
	}
	return "?";
}

/* splits LINE (modified) on blanks into at most FIELDS_MAX fields */
static int split_fields(char *line, char *fields[FIELDS_MAX], size_t *count_r)
{
	size_t n = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '\n')
			break;
		if (n == FIELDS_MAX)
			return -1;
		fields[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (*p == '\0')
			break;
		*p++ = '\0';
	}
	*count_r = n;
	return 0;
}

/* a decimal (BASE 10) or hex (16) number of digits only, <= MAX */
static int parse_number(const char *s, int base, uint64_t max, uint64_t *value_r)
{
	unsigned long long v;
	char *end;

	if (*s == '\0' || strchr("0123456789abcdefABCDEF", *s) == NULL ||
	    (base == 10 && (*s < '0' || *s > '9')))
		return -1;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*value_r = v;
	return 0;
}

/* "12:" */
static int parse_id(const char *s, unsigned long *id_r)
{
	size_t len = strlen(s);
	char buf[24];
	uint64_t v;

	if (len < 2 || len >= sizeof(buf) || s[len - 1] != ':')
		return -1;
	memcpy(buf, s, len - 1);
	buf[len - 1] = '\0';
	if (parse_number(buf, 10, UINT32_MAX, &v) < 0)
		return -1;
	*id_r = (unsigned long)v;
	return 0;
}

static int parse_class(const char *s, enum hb_plock_class *cls_r)
{
	for (size_t i = 0; i < sizeof(classes) / sizeof(classes[0]); i++) {
		if (strcmp(s, classes[i].name) == 0) {
			*cls_r = classes[i].cls;
			return 0;
		}
	}
	return -1;
}

/* ADVISORY/MANDATORY for locks, ACTIVE/BREAKING/BREAKER for leases */
static int parse_mode(const char *s, bool *mandatory_r)
{
	static const char *const modes[] = {
		"ADVISORY", "MANDATORY", "ACTIVE", "BREAKING", "BREAKER",
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, modes[i]) == 0) {
			*mandatory_r = i == 1;
			return 0;
		}
	}
	return -1;
}

static int parse_access(const char *s, bool *write_r)
{
	if (strcmp(s, "WRITE") == 0 || strcmp(s, "RW") == 0)
		*write_r = true;
	else if (strcmp(s, "READ") == 0 || strcmp(s, "UNLCK") == 0 ||
		 strcmp(s, "NONE") == 0)
		*write_r = false;
	else
		return -1;
	return 0;
}

static int parse_pid(const char *s, long *pid_r)
{
	uint64_t v;

	if (strcmp(s, "-1") == 0) {
		*pid_r = -1;
		return 0;
	}
	/* pid_max is at most 2^22 on Linux; 0: a holder outside the reader's
	   pid namespace (or a remote NFS client's lock held by lockd) */
	if (parse_number(s, 10, 4194304, &v) < 0)
		return -1;
	*pid_r = (long)v;
	return 0;
}

/* "fe:00:10954693" */
static int parse_device_inode(const char *s, struct hb_plock *lock)
{
	char buf[64];
	char *maj, *min, *ino;
	uint64_t v;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	maj = buf;
	if ((min = strchr(maj, ':')) == NULL)
		return -1;
	*min++ = '\0';
	if ((ino = strchr(min, ':')) == NULL)
		return -1;
	*ino++ = '\0';
	if (parse_number(maj, 16, 0xfff, &v) < 0)
		return -1;
	lock->dev_major = (unsigned int)v;
	if (parse_number(min, 16, 0xfffff, &v) < 0)
		return -1;
	lock->dev_minor = (unsigned int)v;
	return parse_number(ino, 10, UINT64_MAX, &lock->ino);
}

static int parse_range(const char *start, const char *end, struct hb_plock *lock)
{
	if (parse_number(start, 10, UINT64_MAX, &lock->start) < 0)
		return -1;
	if (strcmp(end, "EOF") == 0) {
		lock->end = UINT64_MAX;
		return 0;
	}
	if (parse_number(end, 10, UINT64_MAX, &lock->end) < 0 ||
	    lock->end < lock->start)
		return -1;
	return 0;
}

int hb_plock_parse(const char *line, struct hb_plock *lock_r,
		   const char **error_r)
{
	char buf[HB_PROCLOCKS_LINE_MAX + 1];
	char *f[FIELDS_MAX];
	size_t n, i = 0;

	memset(lock_r, 0, sizeof(*lock_r));
	if (strlen(line) > HB_PROCLOCKS_LINE_MAX) {
		*error_r = "line too long";
		return -1;
	}
	strcpy(buf, line);
	if (split_fields(buf, f, &n) < 0 || n < 8) {
		*error_r = "not 8 fields (ID: [->] CLASS MODE ACCESS PID DEV:INO START END)";
		return -1;
	}
	if (parse_id(f[i++], &lock_r->id) < 0) {
		*error_r = "bad lock id (want a number and ':')";
		return -1;
	}
	if (strcmp(f[i], "->") == 0) {
		lock_r->waiter = true;
		i++;
	}
	if (n - i != 7) {
		*error_r = "not 8 fields (ID: [->] CLASS MODE ACCESS PID DEV:INO START END)";
		return -1;
	}
	if (parse_class(f[i++], &lock_r->cls) < 0)
		*error_r = "unknown lock class (want POSIX, FLOCK, OFDLCK, LEASE or DELEG)";
	else if (parse_mode(f[i++], &lock_r->mandatory) < 0)
		*error_r = "unknown lock mode (want ADVISORY, MANDATORY, ACTIVE, BREAKING or BREAKER)";
	else if (parse_access(f[i++], &lock_r->write) < 0)
		*error_r = "unknown access (want READ, WRITE or UNLCK)";
	else if (parse_pid(f[i++], &lock_r->pid) < 0)
		*error_r = "bad pid";
	else if (parse_device_inode(f[i++], lock_r) < 0)
		*error_r = "bad device:inode (want MAJ:MIN:INODE, hex:hex:decimal)";
	else if (parse_range(f[i], f[i + 1], lock_r) < 0)
		*error_r = "bad byte range (want START and END or EOF, START <= END)";
	else
		return 0;
	return -1;
}

/* one line into BUF; 0 at EOF, -1 if longer than the buffer */
static int read_line(FILE *f, char *buf, size_t size, bool *got_r)
{
	size_t len;

	*got_r = false;
	if (fgets(buf, (int)size, f) == NULL)
		return 0;
	*got_r = true;
	len = strlen(buf);
	if (len > 0 && buf[len - 1] == '\n') {
		buf[len - 1] = '\0';
		return 0;
	}
	if (feof(f))
		return 0;
	return -1;
}

int hb_plocks_read(FILE *f, int (*fn)(const struct hb_plock *lock, void *ctx,
				      char *error, size_t error_size),
		   void *ctx, char *error, size_t error_size)
{
	char buf[HB_PROCLOCKS_LINE_MAX + 2];
	struct hb_plock lock;
	const char *reason;
	unsigned long lineno = 0;
	bool got;

	for (;;) {
		int overlong = read_line(f, buf, sizeof(buf), &got);

		if (!got)
			break;
		lineno++;
		if (overlong < 0) {
			snprintf(error, error_size, "line %lu: line too long", lineno);
			return -1;
		}
		if (strspn(buf, " \t") == strlen(buf))
			continue;
		if (hb_plock_parse(buf, &lock, &reason) < 0) {
			snprintf(error, error_size, "line %lu: %s", lineno, reason);
			return -1;
		}
		if (fn(&lock, ctx, error, error_size) < 0)
			return -1;
	}
	if (ferror(f)) {
		snprintf(error, error_size, "read failed after line %lu", lineno);
		return -1;
	}
	return 0;
}
