/* user-cmds.h - pieces shared by the `hbctl user` command files: argument
 * checks, key reads, the move procedure, kicking and the printers. */
#ifndef HBCTL_USER_CMDS_H
#define HBCTL_USER_CMDS_H

#include "hbctl.h"

/* Normalise IN like the director does into USER (HB_USER_MAX + 1 bytes). */
int hbctl_user_arg(struct hbctl *ctx, const char *in, char *user);
int hbctl_get_with_ttl(struct hbctl *ctx, enum hb_key_kind kind, const char *name,
		       char *value, size_t size, long long *ttl_r);

/* user-move.c */
int hbctl_user_move(struct hbctl *ctx);
/* user-kick.c: kick USER on each of BACKENDS, print the outcome. */
int hbctl_kick_on(struct hbctl *ctx, const char *user,
		  const struct hb_backend *backends, size_t count);
/* Kick USER on B and wait until gone; returns an exit code. */
int hbctl_kick_user_wait(struct hbctl *ctx, const char *user, const struct hb_backend *b,
			 unsigned int *left_r);

/* print-user.c */
void hbctl_print_where(struct hbctl *ctx, const char *user, const char *assigned,
		       const struct hb_backend *b, long long ttl,
		       const char *moving, long long move_ttl);
void hbctl_print_moved(struct hbctl *ctx, const char *user, const char *from,
		       const char *to, const char *note);

#endif
