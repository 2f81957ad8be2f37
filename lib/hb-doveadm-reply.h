/* hb-doveadm-reply.h - the shape of a doveadm HTTP API reply, shared by hbctl
 * and the director: [[KIND, PAYLOAD, TAG]] where KIND is "doveadmResponse" or
 * "error".  Pure functions over a parsed hb_json document. */
#ifndef HB_DOVEADM_REPLY_H
#define HB_DOVEADM_REPLY_H

#include "hb-json.h"

#define HB_DOVEADM_EX_NOUSER 68   /* doveadm's exit code when no user matched */

enum hb_doveadm_kind { HB_DOVEADM_RESPONSE, HB_DOVEADM_ERROR };

/* Find the first reply element's kind and payload; -1 with a static
 * *ERROR_R when the document does not have that shape. */
int hb_doveadm_reply_split(const struct hb_jdoc *doc, enum hb_doveadm_kind *kind_r,
			   const struct hb_jnode **payload_r, const char **error_r);

/* Call CB for every result object of a response.  Dovecot 2.3.19's "who" for
 * several users closes the result array after the first entry and lists the
 * rest after it, so objects inside the payload array and after it count.
 * Stops and returns -1 when CB does. */
int hb_doveadm_each_result(const struct hb_jdoc *doc, const struct hb_jnode *payload,
			   int (*cb)(const struct hb_jdoc *doc, const struct hb_jnode *obj,
				     void *ctx),
			   void *ctx);

/* Sessions one "who" entry stands for: its "connections" (a string in 2.3),
 * or 1 when missing or malformed. */
unsigned int hb_doveadm_who_sessions(const struct hb_jdoc *doc, const struct hb_jnode *obj);

#endif
