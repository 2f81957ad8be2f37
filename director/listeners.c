/* listeners.c - binds the sockets named in the settings.  A stale unix socket
 * left by a crash is replaced, but never a file that is not a socket.  Unix
 * sockets are born mode 0000 and get their group and mode before anyone can
 * connect; the lookup socket is never world-writable by default (any client
 * can create assignments for any name). */
#include "hb-config-auto.h"
#include "director.h"
#include "listeners.h"

#include "client.h"
#include "socketmap.h"
#include "metrics.h"
#include "hb-settings-addr.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>

#define LISTEN_BACKLOG 512

struct listeners {
	struct evconnlistener *lookup_unix, *lookup_tcp, *socketmap, *userdb;
	char *unix_path, *userdb_path;
};

/* GROUP ("" = keep the director's own) as a gid, or -1 with ERR. */
static int socket_gid(const char *setting, const char *group, gid_t *gid_r,
		      char *err, size_t err_size)
{
	struct group *gr;

	*gid_r = (gid_t)-1;
	if (group == NULL || group[0] == '\0')
		return 0;
	if ((gr = getgrnam(group)) == NULL) {
		snprintf(err, err_size, "%s %s: no such group", setting, group);
		return -1;
	}
	*gid_r = gr->gr_gid;
	return 0;
}

/* Bind PATH under umask 0777, so that the socket is mode 0000 until its
 * group and MODE are set: nobody can connect through a wider mode or the
 * wrong group in between. */
static struct evconnlistener *bind_unix(struct director *d, const char *path,
					evconnlistener_cb cb, void *ctx,
					char *err, size_t err_size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct evconnlistener *l;
	mode_t old_umask;
	struct stat st;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, err_size, "%s: unix socket path too long", path);
		return NULL;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, err_size, "%s exists and is not a socket", path);
			return NULL;
		}
		unlink(path);
	}
	old_umask = umask(0777);
	l = evconnlistener_new_bind(d->base, cb, ctx,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
				    LISTEN_BACKLOG, (struct sockaddr *)&sun, sizeof(sun));
	umask(old_umask);
	if (l == NULL)
		snprintf(err, err_size, "cannot listen on %s: %s", path, strerror(errno));
	return l;
}

/* A unix socket at PATH with group GROUP ("" = ours) and MODE; SETTING
 * names the group's setting in errors. */
static struct evconnlistener *open_unix(struct director *d, const char *path,
					unsigned int mode, const char *setting,
					const char *group, evconnlistener_cb cb, void *ctx,
					char *err, size_t err_size)
{
	struct evconnlistener *l;
	gid_t gid;

	if (socket_gid(setting, group, &gid, err, err_size) < 0)
		return NULL;
	if ((l = bind_unix(d, path, cb, ctx, err, err_size)) == NULL)
		return NULL;
	if (gid != (gid_t)-1 && chown(path, (uid_t)-1, gid) < 0) {
		snprintf(err, err_size, "chown %s to group %s: %s", path, group, strerror(errno));
		evconnlistener_free(l);
		return NULL;
	}
	if (chmod(path, mode) < 0) {
		snprintf(err, err_size, "chmod %s: %s", path, strerror(errno));
		evconnlistener_free(l);
		return NULL;
	}
	return l;
}

static struct evconnlistener *open_inet(struct director *d, const char *spec,
					evconnlistener_cb cb, void *ctx,
					char *err, size_t err_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct evconnlistener *l;
	char why[128];

	/* the settings' own parser: -t refuses what this would */
	if (hb_inet_spec_parse(spec, &ss, &len, why, sizeof(why)) < 0) {
		snprintf(err, err_size, "'%s': %s", spec, why);
		return NULL;
	}
	l = evconnlistener_new_bind(d->base, cb, ctx,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
				    LEV_OPT_REUSEABLE, LISTEN_BACKLOG,
				    (struct sockaddr *)&ss, (int)len);
	if (l == NULL)
		snprintf(err, err_size, "cannot listen on %s: %s", spec, strerror(errno));
	return l;
}

struct evconnlistener *listener_open(struct director *d, const char *spec,
				     unsigned int mode, evconnlistener_cb cb,
				     void *ctx, char *err, size_t err_size)
{
	if (spec[0] == '/')
		return open_unix(d, spec, mode, NULL, NULL, cb, ctx, err, err_size);
	return open_inet(d, spec, cb, ctx, err, err_size);
}

/* The lookup protocol and the socketmap create assignments for any name:
 * as unix sockets they get director_socket_mode and director_socket_group
 * (default 0660, group dovecot: Dovecot's auth process), never more. */
static struct evconnlistener *open_lookup(struct director *d, const char *spec,
					  evconnlistener_cb cb, char *err, size_t err_size)
{
	const struct hb_settings *set = d->set;

	if (spec[0] != '/')
		return open_inet(d, spec, cb, d, err, err_size);
	return open_unix(d, spec, set->director_socket_mode, "director_socket_group",
			 set->director_socket_group, cb, d, err, err_size);
}

/* The userdb socket hands out password hashes: a unix socket only, its
   group (if named) set before anybody can connect through it. */
static int open_userdb(struct director *d, struct listeners *l, char *err, size_t err_size)
{
	const struct hb_settings *set = d->set;

	if (set->userdb_listen[0] != '/') {
		snprintf(err, err_size, "userdb_listen %s: must be a unix socket path",
			 set->userdb_listen);
		return -1;
	}
	l->userdb = open_unix(d, set->userdb_listen, set->userdb_socket_mode,
			      "userdb_socket_group", set->userdb_socket_group,
			      client_accept_userdb, d, err, err_size);
	if (l->userdb == NULL)
		return -1;
	l->userdb_path = strdup(set->userdb_listen);
	return 0;
}

int listeners_start(struct director *d, char *err, size_t err_size)
{
	const struct hb_settings *set = d->set;
	struct listeners *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	d->listeners = l;
	if (set->director_listen[0] != '\0') {
		l->lookup_unix = open_lookup(d, set->director_listen, client_accept,
					     err, err_size);
		if (l->lookup_unix == NULL)
			return -1;
		if (set->director_listen[0] == '/')
			l->unix_path = strdup(set->director_listen);
	}
	if (set->director_tcp_listen[0] != '\0' &&
	    (l->lookup_tcp = listener_open(d, set->director_tcp_listen, 0, client_accept,
					   d, err, err_size)) == NULL)
		return -1;
	if (set->socketmap_listen[0] != '\0' &&
	    (l->socketmap = open_lookup(d, set->socketmap_listen, socketmap_accept,
					err, err_size)) == NULL)
		return -1;
	if (set->userdb_listen[0] != '\0' && open_userdb(d, l, err, err_size) < 0)
		return -1;
	if (set->metrics_listen[0] != '\0' &&
	    metrics_listen(d->metrics, d, set->metrics_listen, err, err_size) < 0)
		return -1;
	return 0;
}

void listeners_stop(struct director *d)
{
	struct listeners *l = d->listeners;

	if (l == NULL)
		return;
	if (l->lookup_unix != NULL)
		evconnlistener_free(l->lookup_unix);
	if (l->lookup_tcp != NULL)
		evconnlistener_free(l->lookup_tcp);
	if (l->socketmap != NULL)
		evconnlistener_free(l->socketmap);
	if (l->userdb != NULL)
		evconnlistener_free(l->userdb);
	if (l->userdb_path != NULL) {
		unlink(l->userdb_path);
		free(l->userdb_path);
	}
	if (l->unix_path != NULL) {
		unlink(l->unix_path);
		free(l->unix_path);
	}
	free(l);
	d->listeners = NULL;
}
