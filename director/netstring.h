/* netstring.h - incremental parser for netstrings ("LEN:DATA,"), the framing
 * of Postfix's socketmap protocol.  Pure: no I/O, no allocation. */
#ifndef DIRECTOR_NETSTRING_H
#define DIRECTOR_NETSTRING_H

#include <stddef.h>

#define SOCKETMAP_MAX_REQUEST 10000

enum netstring_result { NETSTRING_OK, NETSTRING_MORE, NETSTRING_ERROR };

/* Look at BUF[0..LEN): a complete netstring gives OK with its payload and the
 * bytes it used; a valid prefix gives MORE; anything else, or a payload
 * longer than MAX, gives ERROR with a static *REASON_R. */
enum netstring_result netstring_parse(const char *buf, size_t len, size_t max,
				      const char **data_r, size_t *data_len_r,
				      size_t *consumed_r, const char **reason_r);

/* Split a socketmap request "NAME KEY" into its parts (copied, NUL-terminated).
 * -1 if malformed, too long for the buffers, or containing NUL bytes. */
int socketmap_split(const char *data, size_t len, char *name, size_t name_size,
		    char *key, size_t key_size);

#endif
