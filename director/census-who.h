/* census-who.h - the user names in a doveadm HTTP API "who" reply, for the
 * session census (docs/DESIGN.md, 4).  Pure: no I/O, unit-tested and
 * safe on any input (the body comes from a backend). */
#ifndef DIRECTOR_CENSUS_WHO_H
#define DIRECTOR_CENSUS_WHO_H

#include <stddef.h>

#define CENSUS_WHO_MAX_USERS 100000

struct census_who {
	char **users;           /* normalised, sorted, each once */
	size_t count;
	unsigned long sessions; /* sum of the entries' "connections" */
	unsigned int invalid;   /* entries without a valid user name */
};

/* Parse BODY (LEN bytes).  User names are normalised with
 * hb_user_normalize(DELIM).  Dovecot's "no user matched" error (exit code
 * 68) is an empty census.  Returns -1 with ERR set (and WHO empty) when the
 * reply is not a usable answer. */
int census_who_parse(const char *body, size_t len, const char *delim,
		     struct census_who *who, char *err, size_t err_size);
void census_who_free(struct census_who *who);

#endif
