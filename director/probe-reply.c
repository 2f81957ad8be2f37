/* probe-reply.c - classification of single reply lines for probe.c and
 * watch.c.  No I/O, no state: a line in, a verdict out. */
#include "hb-config-auto.h"
#include "probe-reply.h"

#include <string.h>

static int starts_with(const char *line, const char *prefix)
{
	return strncmp(line, prefix, strlen(prefix)) == 0;
}

int probe_reply_imap_greeting(const char *line)
{
	if (starts_with(line, "* OK"))
		return PROBE_OK;
	if (starts_with(line, "* BYE"))
		return PROBE_SICK;	/* alive now, refusing this one */
	return PROBE_DEAD;
}

int probe_reply_imap_login(const char *line, int *refused_r)
{
	*refused_r = 0;
	if (starts_with(line, "* BYE"))
		return PROBE_SICK;
	if (!starts_with(line, "h1 "))
		return PROBE_REPLY_MORE;
	if (starts_with(line, "h1 OK"))
		return PROBE_OK;
	if (strstr(line, "[AUTHENTICATIONFAILED]") != NULL) {
		*refused_r = 1;
		return PROBE_OK;
	}
	return PROBE_SICK;
}

int probe_reply_lmtp(const char *line, const char *want)
{
	size_t len = strlen(want);

	if (strncmp(line, want, len) == 0 && line[len] == '-')
		return PROBE_REPLY_MORE;
	if (strncmp(line, want, len) == 0 && (line[len] == ' ' || line[len] == '\0'))
		return PROBE_OK;
	return line[0] == '4' ? PROBE_SICK : PROBE_DEAD;
}

void probe_reply_quote(char *dst, size_t dst_size, const char *line)
{
	size_t i;

	for (i = 0; i + 1 < dst_size && line[i] != '\0'; i++)
		dst[i] = line[i] >= 0x20 && line[i] < 0x7f ? line[i] : '?';
	dst[i] = '\0';
}

int probe_reply_bye_is_shutdown(const char *bye)
{
	static const char word[] = "shutting down";

	for (const char *p = bye; *p != '\0'; p++) {
		size_t i = 0;

		/* ASCII letters and the space: | 0x20 folds only case */
		while (word[i] != '\0' && p[i] != '\0' && (p[i] | 0x20) == word[i])
			i++;
		if (word[i] == '\0')
			return 1;
	}
	return 0;
}
