/* guard-index.h - the mail_index transaction hook: every index commit of
 * every index passes the fence, and asks for an fdatasync of the log when
 * hb_guard_fsync contains "log". */
#ifndef GUARD_INDEX_H
#define GUARD_INDEX_H

void guard_index_init(void);
void guard_index_deinit(void);
/* process-wide: the settings of the mail user being served */
void guard_index_set_fsync_log(bool fsync_log);

#endif
