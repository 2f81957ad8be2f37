/* server-session.c - `hbctl --server URL login NAME`, `logout` and
 * `passwd`: passwords come from a 0600 file (--password-file) or are typed
 * at the terminal without echo, never from argv; the session token admind returns
 * is kept only in a 0600 file ($XDG_CONFIG_HOME/hummingbird/session or
 * --session-file) and is never printed. */
#include "server.h"
#include "domain-cmds.h"
#include "hb-json.h"
#include "hb-secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define TOKEN_HEX 64

/* The session file's path into OUT: --session-file, else the default
 * (whose directories are created 0700). */
static int session_path(struct hbctl *ctx, const struct hbctl_server *srv, char *out, size_t size,
			int create_dir)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char dir[1024];

	if (srv->session_file != NULL) {
		snprintf(out, size, "%s", srv->session_file);
		return HBCTL_EXIT_OK;
	}
	if (xdg != NULL && xdg[0] == '/')
		snprintf(dir, sizeof(dir), "%s", xdg);
	else if (home != NULL && home[0] == '/')
		snprintf(dir, sizeof(dir), "%s/.config", home);
	else
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "no HOME: give --session-file FILE");
	if (create_dir && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "mkdir %s: %s", dir, strerror(errno));
	snprintf(out, size, "%s/hummingbird", dir);
	if (create_dir && mkdir(out, 0700) < 0 && errno != EEXIST)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "mkdir %s: %s", out, strerror(errno));
	snprintf(out, size, "%s/hummingbird/session", dir);
	return HBCTL_EXIT_OK;
}

int hbctl_server_token(struct hbctl *ctx, const struct hbctl_server *srv, char *token)
{
	char path[1100];
	const char *error;
	int ret;

	if ((ret = session_path(ctx, srv, path, sizeof(path), 0)) != HBCTL_EXIT_OK)
		return ret;
	if (hb_secret_read_file(path, token, TOKEN_HEX + 1, &error) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "not logged in (hbctl --server URL login NAME): %s",
				  error);
	return HBCTL_EXIT_OK;
}

/* Read a password at the terminal with echo off, after PROMPT. */
static int prompt_password(struct hbctl *ctx, const char *prompt, char *out, size_t size)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;
	char c;

	if (fd < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "no terminal to ask for the password: use --password-file");
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "cannot turn off echo: use --password-file");
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	(void)!write(fd, prompt, strlen(prompt));
	tcsetattr(fd, TCSAFLUSH, &quiet);
	while (read(fd, &c, 1) == 1 && c != '\n' && c != '\r') {
		if (len + 1 < size)
			out[len++] = c;
	}
	out[len] = '\0';
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	return len > 0 ? HBCTL_EXIT_OK : hbctl_fail(ctx, HBCTL_EXIT_USAGE, "empty password");
}

/* Keep TOKEN of REPLY in the session file; *EXPIRES_R its lifetime. */
static int save_token(struct hbctl *ctx, const struct hbctl_server *srv, const char *reply,
		      long long *expires_r, char *path, size_t path_size)
{
	struct hb_jdoc *doc;
	const struct hb_jnode *token, *expires;
	const char *error;
	char why[128];
	int ret;

	if (hb_json_parse(reply, strlen(reply), &doc, why, sizeof(why)) < 0)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "bad reply from the server: %s", why);
	token = hb_json_get(doc, hb_json_root(doc), "token");
	expires = hb_json_get(doc, hb_json_root(doc), "expires_in");
	*expires_r = expires != NULL && expires->type == HB_JNUMBER ? (long long)expires->number : 0;
	if (token == NULL || token->type != HB_JSTRING || strlen(token->str) != TOKEN_HEX ||
	    strspn(token->str, "0123456789abcdef") != TOKEN_HEX)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "the server sent no valid session token");
	else if ((ret = session_path(ctx, srv, path, path_size, 1)) != HBCTL_EXIT_OK)
		;
	else if (unlink(path) < 0 && errno != ENOENT)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "cannot replace %s: %s", path, strerror(errno));
	else if (hb_secret_write_file(path, token->str, &error) < 0)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "cannot save the session: %s", error);
	if (token != NULL && token->type == HB_JSTRING)
		hb_secret_wipe((char *)token->str, strlen(token->str));
	hb_json_free(&doc);
	return ret;
}

static int login_done(struct hbctl *ctx, const char *name, long long expires, const char *path)
{
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_str(&ctx->js, "admin", name);
		hbctl_json_int(&ctx->js, "expires_in", expires);
		hbctl_json_str(&ctx->js, "session_file", path);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	} else {
		printf("logged in as %s; session saved in %s (valid for %llds)\n", name, path, expires);
	}
	return HBCTL_EXIT_OK;
}

/* POST BODY (freed and wiped here) to PATH; a 200 reply carries a new
 * session token, which is saved.  Both login and passwd end this way. */
static int post_for_token(struct hbctl *ctx, struct hbctl_server *srv, const char *url_path,
			  const char *token, char *body, long long *expires_r,
			  char *path, size_t path_size)
{
	char *reply = NULL;
	unsigned int status = 0;
	int ret;

	ret = hbctl_server_request(ctx, srv, "POST", url_path, token, body, &status, &reply);
	hb_secret_wipe(body, strlen(body));
	free(body);
	if (ret == HBCTL_EXIT_OK)
		ret = status == 200 ? save_token(ctx, srv, reply, expires_r, path, path_size) :
			hbctl_server_error(ctx, status, reply);
	if (reply != NULL)
		hb_secret_wipe(reply, strlen(reply));
	free(reply);
	return ret;
}

int hbctl_server_login(struct hbctl *ctx, struct hbctl_server *srv)
{
	const struct hbctl_args *args = ctx->args;
	char password[HB_SECRET_MAX + 1], path[1100], *body;
	const char *error;
	long long expires = 0;
	int ret;

	if (args->word_count != 2 || hbctl_args_check(args, HBCTL_OPT_PASSWORD_FILE, ctx->err,
						       sizeof(ctx->err)) < 0)
		return ctx->err[0] != '\0' ? HBCTL_EXIT_USAGE :
			hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: hbctl --server URL --ca FILE login NAME [--password-file FILE]");
	if (args->password_file != NULL) {
		if (hb_secret_read_file(args->password_file, password, sizeof(password), &error) < 0)
			return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "%s", error);
	} else if ((ret = prompt_password(ctx, "Password: ", password, sizeof(password))) != HBCTL_EXIT_OK) {
		return ret;
	}
	const char *pairs[] = { "admin", args->words[1], "password", password };
	body = hbctl_server_body(pairs, 4, NULL, NULL, 0, 0);
	hb_secret_wipe(password, sizeof(password));
	if (body == NULL)
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "out of memory");
	ret = post_for_token(ctx, srv, "/v1/login", NULL, body, &expires, path, sizeof(path));
	return ret == HBCTL_EXIT_OK ? login_done(ctx, args->words[1], expires, path) : ret;
}

int hbctl_server_logout(struct hbctl *ctx, struct hbctl_server *srv)
{
	char token[TOKEN_HEX + 1], path[1100], *reply = NULL;
	unsigned int status = 0;
	int ret;

	if (ctx->args->word_count != 1)
		return hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: hbctl --server URL --ca FILE logout");
	if ((ret = hbctl_server_token(ctx, srv, token)) != HBCTL_EXIT_OK ||
	    (ret = session_path(ctx, srv, path, sizeof(path), 0)) != HBCTL_EXIT_OK)
		return ret;
	ret = hbctl_server_request(ctx, srv, "POST", "/v1/logout", token, NULL, &status, &reply);
	hb_secret_wipe(token, sizeof(token));
	/* the local copy goes in any case: an ended session is no use */
	if (unlink(path) < 0 && errno != ENOENT && ret == HBCTL_EXIT_OK)
		ret = hbctl_fail(ctx, HBCTL_EXIT_FAILED, "cannot remove %s: %s", path, strerror(errno));
	if (ret == HBCTL_EXIT_OK && status != 200 && status != 401)
		ret = hbctl_server_error(ctx, status, reply);
	free(reply);
	if (ret == HBCTL_EXIT_OK)
		hbctl_print_change(ctx, "session", "session", path, "ended", NULL);
	return ret;
}

/* PROMPT's password from FILE (0600) when given, else typed at the
 * terminal (AGAIN: twice, and the two must match). */
static int password_from(struct hbctl *ctx, const char *file, const char *prompt, int again_too,
			 char *out, size_t size)
{
	char again[HB_SECRET_MAX + 1];
	const char *error;
	int ret;

	if (file != NULL)
		return hb_secret_read_file(file, out, size, &error) < 0 ?
			hbctl_fail(ctx, HBCTL_EXIT_USAGE, "%s", error) : HBCTL_EXIT_OK;
	if ((ret = prompt_password(ctx, prompt, out, size)) != HBCTL_EXIT_OK || !again_too)
		return ret;
	if ((ret = prompt_password(ctx, "Again: ", again, sizeof(again))) != HBCTL_EXIT_OK)
		return ret;
	ret = strcmp(out, again) == 0 ? HBCTL_EXIT_OK :
		hbctl_fail(ctx, HBCTL_EXIT_USAGE, "the two new passwords differ");
	hb_secret_wipe(again, sizeof(again));
	return ret;
}

/* The old password from --password-file, the new one from the file named
 * by the optional word (both 0600), either typed at the terminal instead. */
static int passwd_read(struct hbctl *ctx, char *old, char *new_pw, size_t size)
{
	const struct hbctl_args *args = ctx->args;
	int ret;

	if ((ret = password_from(ctx, args->password_file, "Old password: ", 0, old, size)) !=
	    HBCTL_EXIT_OK)
		return ret;
	return password_from(ctx, args->word_count == 2 ? args->words[1] : NULL, "New password: ",
			     1, new_pw, size);
}

static int passwd_done(struct hbctl *ctx, long long expires, const char *path)
{
	if (ctx->args->json) {
		hbctl_json_obj_begin(&ctx->js, NULL);
		hbctl_json_bool(&ctx->js, "ok", 1);
		hbctl_json_int(&ctx->js, "expires_in", expires);
		hbctl_json_str(&ctx->js, "session_file", path);
		hbctl_json_obj_end(&ctx->js);
		hbctl_json_finish(&ctx->js);
	} else {
		printf("password changed; every other session ended; this one renewed in %s "
		       "(valid for %llds)\n", path, expires);
	}
	return HBCTL_EXIT_OK;
}

int hbctl_server_passwd(struct hbctl *ctx, struct hbctl_server *srv)
{
	char old[HB_SECRET_MAX + 1], new_pw[HB_SECRET_MAX + 1], token[TOKEN_HEX + 1], path[1100];
	char *body;
	long long expires = 0;
	int ret;

	if (ctx->args->word_count > 2 || hbctl_args_check(ctx->args, HBCTL_OPT_PASSWORD_FILE,
							   ctx->err, sizeof(ctx->err)) < 0)
		return ctx->err[0] != '\0' ? HBCTL_EXIT_USAGE :
			hbctl_fail(ctx, HBCTL_EXIT_USAGE, "usage: hbctl --server URL --ca FILE passwd "
				   "[--password-file OLD_FILE] [NEW_FILE]");
	if ((ret = hbctl_server_token(ctx, srv, token)) != HBCTL_EXIT_OK)
		return ret;
	if ((ret = passwd_read(ctx, old, new_pw, sizeof(old))) != HBCTL_EXIT_OK) {
		hb_secret_wipe(token, sizeof(token));
		return ret;
	}
	const char *pairs[] = { "old", old, "new", new_pw };
	body = hbctl_server_body(pairs, 4, NULL, NULL, 0, 0);
	hb_secret_wipe(old, sizeof(old));
	hb_secret_wipe(new_pw, sizeof(new_pw));
	if (body == NULL) {
		hb_secret_wipe(token, sizeof(token));
		return hbctl_fail(ctx, HBCTL_EXIT_FAILED, "out of memory");
	}
	ret = post_for_token(ctx, srv, "/v1/password", token, body, &expires, path, sizeof(path));
	hb_secret_wipe(token, sizeof(token));
	return ret == HBCTL_EXIT_OK ? passwd_done(ctx, expires, path) : ret;
}
