/* backend-cmds.h - pieces shared by the `hbctl backend` command files:
 * argument checks, the atomic update helper, the fence commands, the user
 * listing and the printers for both output forms. */
#ifndef HBCTL_BACKEND_CMDS_H
#define HBCTL_BACKEND_CMDS_H

#include "hbctl.h"

int hbctl_backend_name_arg(struct hbctl *ctx, const char *name);
/* Run hb_script_backend_update with FIELDS (field, value, ...); the old
 * admin state is copied into OLD_STATE. */
int hbctl_backend_update(struct hbctl *ctx, const char *name, const char *expect,
			 int argc, const char **fields, char *old_state, size_t old_size);

/* backend-fence.c: down|maintenance NAME. */
int hbctl_backend_fence(struct hbctl *ctx, const char *verb);
/* backend-users.c: users NAME. */
int hbctl_backend_users(struct hbctl *ctx);

/* print-backend.c */
void hbctl_print_backends(struct hbctl *ctx, const struct hb_backend *backends,
			  const long long *users, size_t count, long long now_s);
/* "backend NAME: ACTION [STATE] [VALUE] [(was PREVIOUS)]"; NULLs are left out. */
void hbctl_print_done(struct hbctl *ctx, const char *name, const char *action,
		      const char *state, const char *previous, const char *value);

#endif
