/* hb-doveadm-reply.c - walks doveadm HTTP API replies (untrusted input from a
 * backend): shape checks, result iteration across Dovecot 2.3.19's broken
 * nesting, and bounded session counts. */
#include "hb-doveadm-reply.h"

#include <stdlib.h>
#include <string.h>

#define WHO_SESSIONS_MAX 999999

int hb_doveadm_reply_split(const struct hb_jdoc *doc, enum hb_doveadm_kind *kind_r,
			   const struct hb_jnode **payload_r, const char **error_r)
{
	const struct hb_jnode *root = hb_json_root(doc);
	const struct hb_jnode *elem = hb_json_first(doc, root);
	const struct hb_jnode *kind = hb_json_first(doc, elem);
	const struct hb_jnode *payload = hb_json_next(doc, kind);

	if (root->type != HB_JARRAY || elem == NULL || elem->type != HB_JARRAY ||
	    kind == NULL || kind->type != HB_JSTRING || payload == NULL) {
		*error_r = "doveadm reply has an unexpected shape";
		return -1;
	}
	if (strcmp(kind->str, "doveadmResponse") == 0)
		*kind_r = HB_DOVEADM_RESPONSE;
	else if (strcmp(kind->str, "error") == 0)
		*kind_r = HB_DOVEADM_ERROR;
	else {
		*error_r = "doveadm reply of unknown kind";
		return -1;
	}
	*payload_r = payload;
	return 0;
}

int hb_doveadm_each_result(const struct hb_jdoc *doc, const struct hb_jnode *payload,
			   int (*cb)(const struct hb_jdoc *doc, const struct hb_jnode *obj,
				     void *ctx),
			   void *ctx)
{
	for (const struct hb_jnode *n = payload; n != NULL; n = hb_json_next(doc, n)) {
		const struct hb_jnode *item = n->type == HB_JARRAY ? hb_json_first(doc, n) : n;

		for (; item != NULL; item = n->type == HB_JARRAY ? hb_json_next(doc, item) : NULL) {
			if (item->type == HB_JOBJECT && cb(doc, item, ctx) < 0)
				return -1;
		}
	}
	return 0;
}

unsigned int hb_doveadm_who_sessions(const struct hb_jdoc *doc, const struct hb_jnode *obj)
{
	const struct hb_jnode *c = hb_json_get(doc, obj, "connections");
	size_t len;

	if (c != NULL && c->type == HB_JNUMBER && c->number >= 1 && c->number <= WHO_SESSIONS_MAX)
		return (unsigned int)c->number;
	if (c != NULL && c->type == HB_JSTRING) {
		len = strlen(c->str);
		if (len > 0 && len < 7 && strspn(c->str, "0123456789") == len && atoi(c->str) > 0)
			return (unsigned int)atoi(c->str);
	}
	return 1;
}
