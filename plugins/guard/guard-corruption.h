/* guard-corruption.h - containment: corruption that Dovecot reports is
 * counted, its index files are copied to the quarantine directory before
 * Dovecot deletes them, and the mailbox is marked for a throttled rebuild. */
#ifndef GUARD_CORRUPTION_H
#define GUARD_CORRUPTION_H

void guard_corruption_init(void);
void guard_corruption_deinit(void);

/* Classifies a Dovecot event by its name; NULL if it reports no
 * corruption (Dovecot 2.3.19 names only the cache's). */
const char *guard_corruption_kind_of_event(const char *event_name);
/* Classifies a Dovecot log message that has no event name for it; NULL if
 * it reports no corruption. */
const char *guard_corruption_kind(const char *message);
/* The first absolute path in message, without a trailing ':' (or NULL). */
const char *guard_corruption_path(const char *message);

#endif
