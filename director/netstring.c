/* netstring.c - netstring framing and socketmap request splitting.  Input is
 * untrusted; lengths are checked before any byte is trusted. */
#include "netstring.h"

#include <string.h>

#define LEN_DIGITS_MAX 7

enum netstring_result netstring_parse(const char *buf, size_t len, size_t max,
				      const char **data_r, size_t *data_len_r,
				      size_t *consumed_r, const char **reason_r)
{
	size_t i = 0, value = 0;

	while (i < len && buf[i] >= '0' && buf[i] <= '9') {
		if (i == LEN_DIGITS_MAX || (i == 1 && buf[0] == '0')) {
			*reason_r = "netstring length malformed or too long";
			return NETSTRING_ERROR;
		}
		value = value * 10 + (size_t)(buf[i] - '0');
		i++;
	}
	if (i == len)
		return NETSTRING_MORE;
	if (i == 0 || buf[i] != ':') {
		*reason_r = "netstring must start with LEN:";
		return NETSTRING_ERROR;
	}
	if (value > max) {
		*reason_r = "netstring too long";
		return NETSTRING_ERROR;
	}
	if (len < i + 1 + value + 1)
		return NETSTRING_MORE;
	if (buf[i + 1 + value] != ',') {
		*reason_r = "netstring not terminated by ','";
		return NETSTRING_ERROR;
	}
	*data_r = buf + i + 1;
	*data_len_r = value;
	*consumed_r = i + 1 + value + 1;
	return NETSTRING_OK;
}

int socketmap_split(const char *data, size_t len, char *name, size_t name_size,
		    char *key, size_t key_size)
{
	const char *space = memchr(data, ' ', len);
	size_t name_len, key_len;

	if (memchr(data, '\0', len) != NULL || space == NULL)
		return -1;
	name_len = (size_t)(space - data);
	key_len = len - name_len - 1;
	if (name_len == 0 || key_len == 0 || name_len >= name_size || key_len >= key_size)
		return -1;
	memcpy(name, data, name_len);
	name[name_len] = '\0';
	memcpy(key, space + 1, key_len);
	key[key_len] = '\0';
	return 0;
}
