/* hb-guard-plugin.c - the hb_guard Dovecot 2.3 mail plugin
 * (mail_plugins = $mail_plugins hb_guard): crash-safe index writes by
 * fencing (guard-fence.c), durability (guard-index.c, guard-dirsync.c) and
 * containment of corruption (guard-corruption.c, guard-rebuild.c).
 * docs/GUARD.md describes what it guarantees and what it cannot. */
#include "lib.h"
#include "module-dir.h"
#include "mail-storage-hooks.h"
#include "guard-corruption.h"
#include "guard-fence.h"
#include "guard-index.h"
#include "guard-mailbox.h"
#include "guard-user.h"

void hb_guard_plugin_init(struct module *module);
void hb_guard_plugin_deinit(void);
extern const char *hb_guard_plugin_version;

const char *hb_guard_plugin_version = DOVECOT_ABI_VERSION;

static struct mail_storage_hooks guard_storage_hooks = {
	.mail_user_created = guard_mail_user_created,
	.mailbox_allocated = guard_mailbox_allocated,
};

void hb_guard_plugin_init(struct module *module)
{
	guard_fence_init();
	guard_index_init();
	guard_corruption_init();
	mail_storage_hooks_add(module, &guard_storage_hooks);
}

void hb_guard_plugin_deinit(void)
{
	mail_storage_hooks_remove(&guard_storage_hooks);
	guard_corruption_deinit();
	guard_index_deinit();
	guard_fence_deinit();
}
