/* doveadm.c - doveadm "kick" and "who" requests and what their replies mean
 * for hbctl (reply walking shared with the director: lib/hb-doveadm-reply.c). */
#include "doveadm.h"
#include "hb-doveadm-reply.h"
#include "hb-tls-client.h"
#include "output.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HBCTL_DOVEADM_TAG "hbctl"
#define HBCTL_DOVEADM_POLL_MS 200

char *hbctl_doveadm_request(const char *command, const char *mask)
{
	struct hbctl_json js;
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	if (f == NULL)
		return NULL;
	hbctl_json_init(&js, f);
	hbctl_json_arr_begin(&js, NULL);
	hbctl_json_arr_begin(&js, NULL);
	hbctl_json_str(&js, NULL, command);
	hbctl_json_obj_begin(&js, NULL);
	hbctl_json_arr_begin(&js, "mask");
	hbctl_json_str(&js, NULL, mask);
	hbctl_json_arr_end(&js);
	hbctl_json_obj_end(&js);
	hbctl_json_str(&js, NULL, HBCTL_DOVEADM_TAG);
	hbctl_json_arr_end(&js);
	hbctl_json_arr_end(&js);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

struct count_ctx {
	unsigned int count;
	int who;
};

static int count_one(const struct hb_jdoc *doc, const struct hb_jnode *obj, void *context)
{
	struct count_ctx *ctx = context;
	unsigned int add = ctx->who ? hb_doveadm_who_sessions(doc, obj) : 1;

	/* saturate: a wrapped sum could read as "no sessions left" */
	ctx->count = ctx->count > UINT_MAX - add ? UINT_MAX : ctx->count + add;
	return 0;
}

static int reply_error(const struct hb_jdoc *doc, const struct hb_jnode *payload,
		       const char *command, unsigned int *count_r, char *err, size_t err_size)
{
	const struct hb_jnode *code = hb_json_get(doc, payload, "exitCode");
	const struct hb_jnode *type = hb_json_get(doc, payload, "type");

	if (code != NULL && code->type == HB_JNUMBER && code->number == HB_DOVEADM_EX_NOUSER) {
		*count_r = 0;	/* no session of that user: nothing to kick */
		return 0;
	}
	/* the number is untrusted: casting one outside int's range is undefined */
	if (code != NULL && code->type == HB_JNUMBER && code->number >= 0 &&
	    code->number <= 255)
		snprintf(err, err_size, "doveadm %s failed with exit code %d", command,
			 (int)code->number);
	else if (code != NULL && code->type == HB_JNUMBER)
		snprintf(err, err_size, "doveadm %s failed with an invalid exit code", command);
	else
		snprintf(err, err_size, "doveadm %s failed (%s)", command,
			 type != NULL && type->type == HB_JSTRING ? type->str : "no reason");
	return -1;
}

int hbctl_doveadm_parse_reply(const char *command, const char *body, size_t len,
			      unsigned int *count_r, char *err, size_t err_size)
{
	struct hb_jdoc *doc;
	char jerr[128];
	int ret = -1;

	if (hb_json_parse(body, len, &doc, jerr, sizeof(jerr)) < 0) {
		snprintf(err, err_size, "doveadm reply: %s", jerr);
		return -1;
	}
	enum hb_doveadm_kind kind;
	const struct hb_jnode *payload;
	const char *error;
	struct count_ctx counted = { 0, strcmp(command, "who") == 0 };

	if (hb_doveadm_reply_split(doc, &kind, &payload, &error) < 0) {
		snprintf(err, err_size, "%s", error);
	} else if (kind == HB_DOVEADM_ERROR) {
		ret = reply_error(doc, payload, command, count_r, err, err_size);
	} else {
		(void)hb_doveadm_each_result(doc, payload, count_one, &counted);
		*count_r = counted.count;
		ret = 0;
	}
	hb_json_free(&doc);
	return ret;
}

static enum hbctl_http_result call(const struct hbctl_doveadm *da, const char *command,
				   const char *mask, unsigned int *count_r,
				   char *err, size_t err_size)
{
	const char *ca_file, *error = "no settings given";
	char *req, *reply = NULL;
	size_t reply_len;
	enum hbctl_http_result ret;

	if (da->set == NULL || hb_doveadm_tls_settings(da->set, &ca_file, &error) < 0) {
		snprintf(err, err_size, "%s", error);
		return HBCTL_HTTP_FAILED;
	}
	if ((req = hbctl_doveadm_request(command, mask)) == NULL) {
		snprintf(err, err_size, "out of memory");
		return HBCTL_HTTP_FAILED;
	}
	ret = hbctl_doveadm_http_post(da->host, da->port, ca_file, da->api_key, req,
				      da->timeout_ms, &reply, &reply_len, err, err_size);
	if (ret == HBCTL_HTTP_OK &&
	    hbctl_doveadm_parse_reply(command, reply, reply_len, count_r, err, err_size) < 0)
		ret = HBCTL_HTTP_FAILED;
	free(req);
	free(reply);
	return ret;
}

enum hbctl_http_result hbctl_doveadm_kick(const struct hbctl_doveadm *da, const char *mask,
					  unsigned int *kicked_r, char *err, size_t err_size)
{
	return call(da, "kick", mask, kicked_r, err, err_size);
}

enum hbctl_http_result hbctl_doveadm_who(const struct hbctl_doveadm *da, const char *mask,
					 unsigned int *sessions_r, char *err, size_t err_size)
{
	return call(da, "who", mask, sessions_r, err, err_size);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* DA with its request timeout cut to what is left before DEADLINE, so that
 * the whole wait stays within WAIT_MS (plus one short final request). */
static struct hbctl_doveadm bounded(const struct hbctl_doveadm *da, long long deadline)
{
	struct hbctl_doveadm b = *da;
	long long left = deadline - mono_ms();

	if (left < HBCTL_DOVEADM_POLL_MS)
		left = HBCTL_DOVEADM_POLL_MS;
	if ((long long)b.timeout_ms > left)
		b.timeout_ms = (unsigned int)left;
	return b;
}

enum hbctl_http_result hbctl_doveadm_kick_wait(const struct hbctl_doveadm *da,
					       const char *mask, unsigned int wait_ms,
					       unsigned int *left_r,
					       char *err, size_t err_size)
{
	long long deadline = mono_ms() + wait_ms;
	unsigned int kicked;
	enum hbctl_http_result ret;
	struct hbctl_doveadm b = bounded(da, deadline);

	*left_r = 0;
	ret = hbctl_doveadm_kick(&b, mask, &kicked, err, err_size);
	for (;;) {
		if (ret != HBCTL_HTTP_OK)
			return ret;
		b = bounded(da, deadline);
		ret = hbctl_doveadm_who(&b, mask, left_r, err, err_size);
		if (ret != HBCTL_HTTP_OK || *left_r == 0 || mono_ms() >= deadline)
			return ret;
		struct timespec ts = { 0, HBCTL_DOVEADM_POLL_MS * 1000000L };
		nanosleep(&ts, NULL);
		/* A session that started during the kick is kicked again. */
		b = bounded(da, deadline);
		ret = hbctl_doveadm_kick(&b, mask, &kicked, err, err_size);
	}
}
