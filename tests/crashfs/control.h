/* control.h - the control socket of hb-crashfs: a unix stream socket (mode
 * 0600) served by one thread, one command per line, one answer per line.
 * It only moves lines; what they mean is the handler's business. */
#ifndef CFS_CONTROL_H
#define CFS_CONTROL_H

#include <stddef.h>

#define CFS_CTL_MAX_CLIENTS 8		/* more wait in the listen backlog */
#define CFS_CTL_SEND_TIMEOUT 2		/* seconds a client may stall a reply */
#define CFS_CTL_QUIT_RETRY_MS 100	/* quit callback repeated this often */

struct cfs_control;

/* answers LINE into REPLY (no newline); 1 when the program must quit */
typedef int cfs_control_handler(void *ctx, const char *line, char *reply, size_t size);
/* asks the program to stop; called repeatedly until cfs_control_free() */
typedef void cfs_control_quit(void *ctx);

/* binds PATH (replacing a dead socket left there, never a live one or any
 * other file) before the process daemonizes; NULL with ERROR_R filled */
struct cfs_control *cfs_control_listen(const char *path, char *error_r, size_t error_size);
/* starts the serving thread (all signals blocked in it); -errno */
int cfs_control_start(struct cfs_control *c, cfs_control_handler *handler,
		      cfs_control_quit *quit, void *ctx);
/* stops the thread, closes everything and removes the socket file */
void cfs_control_free(struct cfs_control **c);

#endif
