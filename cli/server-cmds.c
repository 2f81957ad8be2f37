/* server-cmds.c - the domain admin's commands of hbctl --server: the same
 * words as operator mode (domain list|show, user, alias, sender, policy
 * show|set, audit) turned into one admind request each, plus login, logout,
 * whoami and passwd.  Operator commands are refused here with a usage error;
 * admind would refuse them anyway.  Path parts are percent-encoded; admind decodes,
 * normalises and authorises them. */
#include "server.h"
#include "domain-cmds.h"
#include "hb-secret.h"

#include <stdlib.h>
#include <string.h>

#define BODY_MAX 8192

struct call {
	const char *method;
	char path[HBCTL_SERVER_PATH_MAX];
	char *body;			/* malloc'd JSON or NULL */
	enum hbctl_server_view view;
	const char *what, *verb;	/* for the human result of a change */
};

/* Append "/" and PART percent-encoded (all but unreserved characters and '@'). */
static int add_part(struct call *c, const char *part)
{
	size_t len = strlen(c->path);

	if (len + 1 >= sizeof(c->path))
		return -1;
	c->path[len++] = '/';
	for (const unsigned char *p = (const unsigned char *)part; *p != '\0'; p++) {
		if (len + 4 >= sizeof(c->path))
			return -1;
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~@", *p) != NULL)
			c->path[len++] = (char)*p;
		else
			len += (size_t)snprintf(c->path + len, 4, "%%%02X", *p);
	}
	c->path[len] = '\0';
	return 0;
}

/* /v1/domains/DOMAIN[/PART...] */
static int domain_path(struct hbctl *ctx, struct call *c, const char *domain, const char *a,
		       const char *b, const char *d)
{
	const char *parts[] = { domain, a, b, d };

	snprintf(c->path, sizeof(c->path), "/v1/domains");
	for (size_t i = 0; i < 4 && parts[i] != NULL; i++) {
		if (add_part(c, parts[i]) < 0)
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "argument too long");
	}
	return HBCTL_EXIT_OK;
}

/* LOCAL and DOMAIN of ADDRESS (split at its last '@'; admind checks them). */
static int split_address(struct hbctl *ctx, const char *address, char *local, size_t size,
			 const char **domain_r)
{
	const char *at = strrchr(address, '@');

	if (at == NULL || at == address || at[1] == '\0' || (size_t)(at - address) >= size) {
		/* spelled out: callers read *domain_r only after HBCTL_EXIT_OK */
		(void)hbctl_fail(ctx, HBCTL_EXIT_USAGE, "invalid address %.100s", address);
		return HBCTL_EXIT_USAGE;
	}
	memcpy(local, address, (size_t)(at - address));
	local[at - address] = '\0';
	*domain_r = at + 1;
	return HBCTL_EXIT_OK;
}

char *hbctl_server_body(const char *const *pairs, size_t count, const char *list_key,
		       const char *const *items, size_t item_count, int map)
{
	struct hbctl_json js;
	char *body = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&body, &size);

	if (f == NULL)
		return NULL;
	hbctl_json_init(&js, f);
	hbctl_json_obj_begin(&js, NULL);
	for (size_t i = 0; i + 1 < count; i += 2) {
		if (pairs[i + 1] != NULL)
			hbctl_json_str(&js, pairs[i], pairs[i + 1]);
	}
	if (list_key != NULL) {
		if (map)
			hbctl_json_obj_begin(&js, list_key);
		else
			hbctl_json_arr_begin(&js, list_key);
		for (size_t i = 0; i < item_count; i++) {
			char name[64];
			const char *eq = strchr(items[i], '=');

			if (!map) {
				hbctl_json_str(&js, NULL, items[i]);
				continue;
			}
			snprintf(name, sizeof(name), "%.*s", eq != NULL ? (int)(eq - items[i]) : 0, items[i]);
			hbctl_json_str(&js, name, eq != NULL ? eq + 1 : "");
		}
		if (map)
			hbctl_json_obj_end(&js);
		else
			hbctl_json_arr_end(&js);
	}
	hbctl_json_obj_end(&js);
	if (fclose(f) != 0 || strlen(body) > BODY_MAX) {
		free(body);
		return NULL;
	}
	return body;
}

static int need_words(struct hbctl *ctx, unsigned int min, unsigned int max, const char *usage)
{
	unsigned int n = ctx->args->word_count;

	return n >= min && n <= max ? HBCTL_EXIT_OK : hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: hbctl --server URL %s", usage);
}

static int cmd_domain(struct hbctl *ctx, struct call *c, const char *verb)
{
	if (strcmp(verb, "list") == 0) {
		snprintf(c->path, sizeof(c->path), "/v1/domains");
		c->view = HBCTL_VIEW_DOMAINS;
		return need_words(ctx, 2, 2, "domain list");
	}
	if (strcmp(verb, "show") != 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "domain %.32s: only the operator can do that", verb);
	c->view = HBCTL_VIEW_DOMAIN;
	return need_words(ctx, 3, 3, "domain show DOMAIN") != HBCTL_EXIT_OK ? HBCTL_EXIT_USAGE :
		domain_path(ctx, c, ctx->args->words[2], NULL, NULL, NULL);
}

static int user_add_body(struct hbctl *ctx, struct call *c, const char *local)
{
	char password[HB_SECRET_MAX + 1];
	const char *error;
	int have = ctx->args->password_file != NULL;

	if (have && hb_secret_read_file(ctx->args->password_file, password, sizeof(password), &error) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "%s", error);
	const char *pairs[] = { "local", local, "password", have ? password : NULL,
				"quota", ctx->args->quota };
	c->body = hbctl_server_body(pairs, 6, NULL, NULL, 0, 0);
	hb_secret_wipe(password, sizeof(password));
	return c->body != NULL ? HBCTL_EXIT_OK : hbctl_fail(ctx, HBCTL_EXIT_USAGE, "values too long");
}

static int cmd_user(struct hbctl *ctx, struct call *c, const char *verb)
{
	const struct hbctl_args *args = ctx->args;
	char local[256];
	const char *domain;
	int ret;

	if (strcmp(verb, "list") == 0) {
		c->view = HBCTL_VIEW_USERS;
		return need_words(ctx, 3, 3, "user list DOMAIN") != HBCTL_EXIT_OK ? HBCTL_EXIT_USAGE :
			domain_path(ctx, c, args->words[2], "users", NULL, NULL);
	}
	if ((ret = need_words(ctx, 3, 3, "user add|remove|suspend|resume ADDRESS")) != HBCTL_EXIT_OK ||
	    (ret = split_address(ctx, args->words[2], local, sizeof(local), &domain)) != HBCTL_EXIT_OK)
		return ret;
	c->what = "mailbox";
	if (strcmp(verb, "add") == 0) {
		c->method = "POST";
		c->verb = "added";
		return domain_path(ctx, c, domain, "users", NULL, NULL) != HBCTL_EXIT_OK ? HBCTL_EXIT_USAGE :
			user_add_body(ctx, c, local);
	}
	if (strcmp(verb, "remove") == 0) {
		c->method = "DELETE";
		c->verb = "removed";
		return domain_path(ctx, c, domain, "users", local, NULL);
	}
	c->method = "POST";
	c->verb = strcmp(verb, "suspend") == 0 ? "suspended" : "active";
	return domain_path(ctx, c, domain, "users", local, verb);
}

static int cmd_alias(struct hbctl *ctx, struct call *c, const char *verb)
{
	const struct hbctl_args *args = ctx->args;
	char local[256];
	const char *domain;
	int ret;

	if (strcmp(verb, "list") == 0) {
		c->view = HBCTL_VIEW_ALIASES;
		return need_words(ctx, 3, 3, "alias list DOMAIN") != HBCTL_EXIT_OK ? HBCTL_EXIT_USAGE :
			domain_path(ctx, c, args->words[2], "aliases", NULL, NULL);
	}
	if ((ret = need_words(ctx, strcmp(verb, "add") == 0 ? 4 : 3, strcmp(verb, "add") == 0 ?
			      HBCTL_MAX_WORDS : 3, "alias add ADDRESS TARGET... | remove ADDRESS")) != HBCTL_EXIT_OK ||
	    (ret = split_address(ctx, args->words[2], local, sizeof(local), &domain)) != HBCTL_EXIT_OK)
		return ret;
	c->what = "alias";
	if (strcmp(verb, "remove") == 0) {
		c->method = "DELETE";
		c->verb = "removed";
		return domain_path(ctx, c, domain, "aliases", local, NULL);
	}
	const char *pairs[] = { "local", local };
	c->method = "POST";
	c->verb = "set";
	c->body = hbctl_server_body(pairs, 2, "targets", args->words + 3, args->word_count - 3, 0);
	if (c->body == NULL)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "values too long");
	return domain_path(ctx, c, domain, "aliases", NULL, NULL);
}

static int cmd_sender(struct hbctl *ctx, struct call *c, const char *verb)
{
	const struct hbctl_args *args = ctx->args;
	int list = strcmp(verb, "list") == 0;
	char local[256];
	const char *domain;
	int ret;

	if ((ret = need_words(ctx, list ? 3 : 4, list ? 3 : 4,
			      "sender allow|deny LOGIN ADDRESS|@DOMAIN | list LOGIN")) != HBCTL_EXIT_OK ||
	    (ret = split_address(ctx, args->words[2], local, sizeof(local), &domain)) != HBCTL_EXIT_OK)
		return ret;
	c->what = "sender rights of";
	if (list) {
		c->view = HBCTL_VIEW_NAMES;
		return domain_path(ctx, c, domain, "senders", local, NULL);
	}
	if (strcmp(verb, "deny") == 0) {
		c->method = "DELETE";
		c->verb = "reduced";
		return domain_path(ctx, c, domain, "senders", local, args->words[3]);
	}
	const char *pairs[] = { "sender", args->words[3] };
	c->method = "POST";
	c->verb = "extended";
	if ((c->body = hbctl_server_body(pairs, 2, NULL, NULL, 0, 0)) == NULL)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "values too long");
	return domain_path(ctx, c, domain, "senders", local, NULL);
}

static int cmd_policy(struct hbctl *ctx, struct call *c, const char *verb)
{
	const struct hbctl_args *args = ctx->args;
	int show = strcmp(verb, "show") == 0;
	int ret;

	if ((ret = need_words(ctx, show ? 3 : 4, show ? 3 : HBCTL_MAX_WORDS,
			      "policy show DOMAIN | set DOMAIN NAME=VALUE...")) != HBCTL_EXIT_OK)
		return ret;
	if (show) {
		c->view = HBCTL_VIEW_POLICY;
		return domain_path(ctx, c, args->words[2], "policy", NULL, NULL);
	}
	for (unsigned int i = 3; i < args->word_count; i++) {
		if (strchr(args->words[i], '=') == NULL)
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "expected NAME=VALUE, got %.64s", args->words[i]);
	}
	c->method = "PUT";
	c->what = "policy of";
	c->verb = "set";
	if ((c->body = hbctl_server_body(NULL, 0, "values", args->words + 3, args->word_count - 3, 1)) == NULL)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "values too long");
	return domain_path(ctx, c, args->words[2], "policy", NULL, NULL);
}

static int cmd_audit(struct hbctl *ctx, struct call *c)
{
	const struct hbctl_args *args = ctx->args;
	unsigned int n = 50;
	size_t len;
	int ret;

	if ((ret = need_words(ctx, 2, 3, "audit DOMAIN [N]")) != HBCTL_EXIT_OK)
		return ret;
	if (args->word_count == 3 && hbctl_parse_uint(args->words[2], 1, 10000, &n) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "N must be 1..10000");
	c->view = HBCTL_VIEW_AUDIT;
	if ((ret = domain_path(ctx, c, args->words[1], "audit", NULL, NULL)) != HBCTL_EXIT_OK)
		return ret;
	len = strlen(c->path);
	snprintf(c->path + len, sizeof(c->path) - len, "?n=%u", n);
	return HBCTL_EXIT_OK;
}

/* Options each command allows, then its request. */
static int build_call(struct hbctl *ctx, struct call *c)
{
	const struct hbctl_args *args = ctx->args;
	const char *group = args->words[0], *verb = args->word_count > 1 ? args->words[1] : "";
	unsigned int allowed = strcmp(group, "user") == 0 && strcmp(verb, "add") == 0 ?
		HBCTL_OPT_PASSWORD_FILE | HBCTL_OPT_QUOTA : 0;

	c->method = "GET";
	c->view = HBCTL_VIEW_CHANGE;
	if (hbctl_args_check(args, allowed, ctx->err, sizeof(ctx->err)) < 0)
		return HBCTL_EXIT_USAGE;
	if (strcmp(group, "whoami") == 0) {
		snprintf(c->path, sizeof(c->path), "/v1/session");
		c->view = HBCTL_VIEW_SESSION;
		return need_words(ctx, 1, 1, "whoami");
	}
	if (strcmp(group, "audit") == 0)
		return cmd_audit(ctx, c);
	static const struct {
		const char *group;
		const char *verbs;
		int (*build)(struct hbctl *, struct call *, const char *);
	} table[] = {
		{ "domain", " list show ", cmd_domain },
		{ "user", " list add remove suspend resume ", cmd_user },
		{ "alias", " list add remove ", cmd_alias },
		{ "sender", " list allow deny ", cmd_sender },
		{ "policy", " show set ", cmd_policy },
	};
	char word[40];

	snprintf(word, sizeof(word), " %.32s ", verb);
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(group, table[i].group) != 0)
			continue;
		if (verb[0] == '\0' || strstr(table[i].verbs, word) == NULL)
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "%s %.32s: not available to a domain admin "
					  "(try: %s%s)", group, verb, group, table[i].verbs);
		return table[i].build(ctx, c, verb);
	}
	return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "%.32s: not available with --server (operator only)",
			  group);
}

int hbctl_server_options(int *argc, char **argv, struct hbctl_server *srv,
			 char *err, size_t err_size)
{
	static const char *const names[] = { "--server", "--ca", "--session-file" };
	const char **slots[] = { &srv->url, &srv->ca_file, &srv->session_file };
	int w = 1;

	for (int r = 1; r < *argc; r++) {
		size_t opt = 0;

		if (strcmp(argv[r], "--") == 0) {
			while (r < *argc)
				argv[w++] = argv[r++];
			break;
		}
		while (opt < sizeof(names) / sizeof(names[0]) && strcmp(argv[r], names[opt]) != 0)
			opt++;
		if (opt == sizeof(names) / sizeof(names[0])) {
			argv[w++] = argv[r];
			continue;
		}
		if (r + 1 >= *argc || argv[r + 1][0] == '\0') {
			snprintf(err, err_size, "%s needs a value", argv[r]);
			return -1;
		}
		*slots[opt] = argv[++r];
	}
	*argc = w;
	argv[w] = NULL;
	if (srv->url == NULL && (srv->ca_file != NULL || srv->session_file != NULL)) {
		snprintf(err, err_size, "--ca and --session-file go with --server URL");
		return -1;
	}
	return 0;
}

int hbctl_server_run(struct hbctl *ctx, struct hbctl_server *srv)
{
	struct call c;
	char token[65], *reply = NULL;
	unsigned int status;
	int ret;

	memset(&c, 0, sizeof(c));
	if (hbctl_server_parse_url(srv, ctx->err, sizeof(ctx->err)) < 0)
		return HBCTL_EXIT_USAGE;
	if (srv->ca_file == NULL)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "--server needs --ca FILE (the CA that signed admind's certificate)");
	if (strcmp(ctx->args->words[0], "login") == 0)
		return hbctl_server_login(ctx, srv);
	if (strcmp(ctx->args->words[0], "logout") == 0)
		return hbctl_server_logout(ctx, srv);
	if (strcmp(ctx->args->words[0], "passwd") == 0)
		return hbctl_server_passwd(ctx, srv);
	if ((ret = build_call(ctx, &c)) != HBCTL_EXIT_OK ||
	    (ret = hbctl_server_token(ctx, srv, token)) != HBCTL_EXIT_OK) {
		free(c.body);
		return ret;
	}
	ret = hbctl_server_request(ctx, srv, c.method, c.path, token, c.body, &status, &reply);
	hb_secret_wipe(token, sizeof(token));
	if (c.body != NULL)
		hb_secret_wipe(c.body, strlen(c.body));
	free(c.body);
	if (ret == HBCTL_EXIT_OK)
		ret = status / 100 == 2 ? hbctl_server_print(ctx, c.view, reply, c.what, c.verb) :
			hbctl_server_error(ctx, status, reply);
	if (reply != NULL)
		hb_secret_wipe(reply, strlen(reply));
	free(reply);
	return ret;
}
