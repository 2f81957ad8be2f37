/* locks-title.c - the plugin's own record of locks held, where the census can
 * read it without any cost to the mail process: /proc/locks has no ages, so
 * while a process is inside a locking mailbox operation its title (Dovecot's
 * process_title_set(): memory writes, no system call) ends in
 * "[hb_locks sync since=1733440000123 user=alice box=INBOX]".  `hbctl locks`
 * matches it to the process's kernel locks and reports the operation's age.
 * The mailbox name is last and may contain anything printable except ']'. */
#include "lib.h"
#include "str.h"
#include "process-title.h"
#include "locks-title.h"

#define LOCKS_TITLE_NAME_MAX 100

static unsigned int title_depth;
static char *title_saved;
static bool title_had_one;

/* printable, no ']' (the record's end), at most LOCKS_TITLE_NAME_MAX */
static void append_clean(string_t *str, const char *name)
{
	for (unsigned int i = 0; name[i] != '\0' && i < LOCKS_TITLE_NAME_MAX; i++) {
		unsigned char c = (unsigned char)name[i];
		str_append_c(str, c < 0x20 || c == 0x7f || c == ']' ? '?' : (char)c);
	}
}

void locks_title_begin(const char *operation, const struct timeval *started,
		       const char *user, const char *mailbox)
{
	const char *current;

	if (title_depth++ > 0)
		return;
	current = process_title_get();
	title_had_one = current != NULL;
	title_saved = i_strdup(current);
	T_BEGIN {
		string_t *str = t_str_new(256);
		if (current != NULL)
			str_printfa(str, "%s ", current);
		str_printfa(str, "[hb_locks %s since=%lld%03u user=", operation,
			    (long long)started->tv_sec,
			    (unsigned int)(started->tv_usec / 1000));
		append_clean(str, user);
		str_append(str, " box=");
		append_clean(str, mailbox);
		str_append_c(str, ']');
		process_title_set(str_c(str));
	} T_END;
}

void locks_title_end(void)
{
	i_assert(title_depth > 0);
	if (--title_depth > 0)
		return;
	process_title_set(title_had_one ? title_saved : NULL);
	i_free(title_saved);
}
