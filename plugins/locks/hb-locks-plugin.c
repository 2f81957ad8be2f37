/* hb-locks-plugin.c - the hb_locks Dovecot 2.3 mail plugin
 * (mail_plugins = $mail_plugins hb_locks): how long each mailbox operation
 * waited for locks and how long it ran holding them, per user and mailbox,
 * as named events for Dovecot's stats and a warning for a slow one
 * (locks-mailbox.c).  docs/LOCKS.md says what it can and cannot see. */
#include "lib.h"
#include "module-dir.h"
#include "mail-storage-hooks.h"
#include "locks-mailbox.h"

void hb_locks_plugin_init(struct module *module);
void hb_locks_plugin_deinit(void);
extern const char *hb_locks_plugin_version;

const char *hb_locks_plugin_version = DOVECOT_ABI_VERSION;

static struct mail_storage_hooks locks_storage_hooks = {
	.mail_user_created = locks_mail_user_created,
	.mailbox_allocated = locks_mailbox_allocated,
};

void hb_locks_plugin_init(struct module *module)
{
	mail_storage_hooks_add(module, &locks_storage_hooks);
}

void hb_locks_plugin_deinit(void)
{
	mail_storage_hooks_remove(&locks_storage_hooks);
}
