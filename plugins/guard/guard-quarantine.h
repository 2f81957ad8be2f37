/* guard-quarantine.h - copies a damaged mailbox's index files aside before
 * Dovecot deletes or rewrites them; the copies are never deleted by us. */
#ifndef GUARD_QUARANTINE_H
#define GUARD_QUARANTINE_H

struct event;
struct guard_settings;

/* Copies dir's dovecot index files into a new directory under
 * set->quarantine_dir.  Errors are logged; returns the number copied. */
unsigned int guard_quarantine_copy(const struct guard_settings *set,
				   const char *username, struct event *event,
				   const char *dir);

/* TRUE for the file names that are index state worth keeping */
bool guard_quarantine_wanted(const char *name);

#endif
