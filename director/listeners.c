/* listeners.c - binds the sockets named in the settings.  A stale unix socket
 * left by a crash is replaced, but never a file that is not a socket. */
#include "hb-config-auto.h"
#include "director.h"
#include "listeners.h"

#include "client.h"
#include "socketmap.h"
#include "metrics.h"

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

static struct evconnlistener *open_unix(struct director *d, const char *path,
					unsigned int mode, evconnlistener_cb cb, void *ctx,
					char *err, size_t err_size)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct evconnlistener *l;
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
	l = evconnlistener_new_bind(d->base, cb, ctx,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
				    LISTEN_BACKLOG, (struct sockaddr *)&sun, sizeof(sun));
	if (l == NULL) {
		snprintf(err, err_size, "cannot listen on %s: %s", path, strerror(errno));
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
	int len = sizeof(ss);
	struct evconnlistener *l;

	memset(&ss, 0, sizeof(ss));
	if (evutil_parse_sockaddr_port(spec, (struct sockaddr *)&ss, &len) < 0) {
		snprintf(err, err_size, "'%s': expected ADDR:PORT with an IP address", spec);
		return NULL;
	}
	l = evconnlistener_new_bind(d->base, cb, ctx,
				    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC |
				    LEV_OPT_REUSEABLE, LISTEN_BACKLOG,
				    (struct sockaddr *)&ss, len);
	if (l == NULL)
		snprintf(err, err_size, "cannot listen on %s: %s", spec, strerror(errno));
	return l;
}

struct evconnlistener *listener_open(struct director *d, const char *spec,
				     unsigned int mode, evconnlistener_cb cb,
				     void *ctx, char *err, size_t err_size)
{
	if (spec[0] == '/')
		return open_unix(d, spec, mode, cb, ctx, err, err_size);
	return open_inet(d, spec, cb, ctx, err, err_size);
}

/* The userdb socket hands out password hashes: a unix socket only, its
   group (if named) set before anybody can connect through it. */
static int open_userdb(struct director *d, struct listeners *l, char *err, size_t err_size)
{
	const struct hb_settings *set = d->set;
	struct group *gr = NULL;

	if (set->userdb_listen[0] != '/') {
		snprintf(err, err_size, "userdb_listen %s: must be a unix socket path",
			 set->userdb_listen);
		return -1;
	}
	if (set->userdb_socket_group[0] != '\0' &&
	    (gr = getgrnam(set->userdb_socket_group)) == NULL) {
		snprintf(err, err_size, "userdb_socket_group %s: no such group",
			 set->userdb_socket_group);
		return -1;
	}
	l->userdb = listener_open(d, set->userdb_listen, set->userdb_socket_mode,
				  client_accept_userdb, d, err, err_size);
	if (l->userdb == NULL)
		return -1;
	l->userdb_path = strdup(set->userdb_listen);
	if (gr != NULL && chown(set->userdb_listen, (uid_t)-1, gr->gr_gid) < 0) {
		snprintf(err, err_size, "chown %s to group %s: %s", set->userdb_listen,
			 set->userdb_socket_group, strerror(errno));
		return -1;
	}
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
		l->lookup_unix = listener_open(d, set->director_listen, set->director_socket_mode,
					       client_accept, d, err, err_size);
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
	    (l->socketmap = listener_open(d, set->socketmap_listen, set->director_socket_mode,
					  socketmap_accept, d, err, err_size)) == NULL)
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
