/* guard-corruption.h - containment: corruption that Dovecot reports is
 * counted, its index files are copied to the quarantine directory before
 * Dovecot deletes them, and the mailbox is marked for a throttled rebuild. */
#ifndef GUARD_CORRUPTION_H
#define GUARD_CORRUPTION_H

struct guard_settings;

void guard_corruption_init(void);
void guard_corruption_deinit(void);
/* the settings of the mail user being served (NULL: none) */
void guard_corruption_set_user(const struct guard_settings *set,
			       const char *username);

/* Classifies a Dovecot log message; NULL if it reports no corruption. */
const char *guard_corruption_kind(const char *message);
/* The first absolute path in message, without a trailing ':' (or NULL). */
const char *guard_corruption_path(const char *message);

#endif
