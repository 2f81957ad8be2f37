/* reply.c - the JSON bodies admind answers with, written through hbctl's
 * JSON writer (cli/output.c) into a memory stream, so that admind's replies
 * and `hbctl --json` escape every string the same way.  An error replaces
 * whatever a handler had written before it failed. */
#include "admind.h"

#include <stdlib.h>
#include <string.h>

int admind_reply_init(struct admind_reply *reply)
{
	reply->status = 200;
	reply->retry_after = 0;
	reply->delay_ms = 0;
	reply->buf = NULL;
	reply->len = 0;
	reply->f = open_memstream(&reply->buf, &reply->len);
	if (reply->f == NULL)
		return -1;
	hbctl_json_init(&reply->js, reply->f);
	return 0;
}

/* Start again with an empty body (after a handler failed half-way). */
static void reply_reset(struct admind_reply *reply)
{
	if (reply->f != NULL)
		fclose(reply->f);
	free(reply->buf);
	reply->buf = NULL;
	reply->len = 0;
	reply->f = open_memstream(&reply->buf, &reply->len);
	hbctl_json_init(&reply->js, reply->f);
}

static void error_begin(struct admind_reply *reply, const struct admind_error *err)
{
	reply_reset(reply);
	reply->status = err->status;
	if (reply->f == NULL)
		return;
	hbctl_json_obj_begin(&reply->js, NULL);
	hbctl_json_bool(&reply->js, "ok", 0);
	hbctl_json_str(&reply->js, "error", err->code);
	hbctl_json_str(&reply->js, "message", err->message);
}

void admind_reply_error(struct admind_reply *reply, const struct admind_error *err)
{
	error_begin(reply, err);
	if (reply->f == NULL)
		return;
	if (reply->retry_after > 0)
		hbctl_json_int(&reply->js, "retry_after", reply->retry_after);
	hbctl_json_obj_end(&reply->js);
}

void admind_reply_cap(struct admind_reply *reply, const char *name, const char *limit)
{
	struct admind_error err;

	if (strcmp(name, "max_users") == 0 || strcmp(name, "max_aliases") == 0)
		admind_error_set(&err, 422, "cap", "the domain has reached the operator's cap %s = %s",
				 name, limit);
	else
		admind_error_set(&err, 422, "cap", "%s is above the operator's cap (%s)", name, limit);
	error_begin(reply, &err);
	if (reply->f == NULL)
		return;
	hbctl_json_obj_begin(&reply->js, "cap");
	hbctl_json_str(&reply->js, "name", name);
	hbctl_json_str(&reply->js, "limit", limit);
	hbctl_json_obj_end(&reply->js);
	hbctl_json_obj_end(&reply->js);
}

void admind_reply_done(struct admind_reply *reply, const char *key, const char *value)
{
	hbctl_json_obj_begin(&reply->js, NULL);
	hbctl_json_bool(&reply->js, "ok", 1);
	if (key != NULL)
		hbctl_json_str(&reply->js, key, value);
	hbctl_json_obj_end(&reply->js);
}

int admind_reply_finish(struct admind_reply *reply)
{
	if (reply->f == NULL)
		return -1;
	fputc('\n', reply->f);
	if (fclose(reply->f) != 0) {
		reply->f = NULL;
		return -1;
	}
	reply->f = NULL;
	return 0;
}

void admind_reply_free(struct admind_reply *reply)
{
	if (reply->f != NULL)
		fclose(reply->f);
	reply->f = NULL;
	if (reply->buf != NULL)
		hb_secret_wipe(reply->buf, reply->len);	/* may hold a token or password */
	free(reply->buf);
	reply->buf = NULL;
}
