/* hb-audit.c - decodes the audit log entries of hb-audit.h. */
#include "hb-audit.h"
#include "hb-json.h"

#include <stdlib.h>

const char *const hb_audit_field_names[HB_AUDIT_FIELDS] = {
	"who", "from", "action", "target", "old", "new"
};

static const char *string_of(const struct hb_jnode *node)
{
	return node != NULL && node->type == HB_JSTRING ? node->str : "";
}

int hb_audit_entry_parse(const char *text, size_t len, struct hb_audit_entry *entry_r)
{
	const struct hb_jnode *root, *t;
	char why[128];

	entry_r->doc = NULL;
	entry_r->time = 0;
	if (hb_json_parse(text, len, &entry_r->doc, why, sizeof(why)) < 0)
		return -1;
	root = hb_json_root(entry_r->doc);
	if (root->type != HB_JOBJECT) {
		hb_json_free(&entry_r->doc);
		return -1;
	}
	for (size_t i = 0; i < HB_AUDIT_FIELDS; i++)
		entry_r->field[i] = string_of(hb_json_get(entry_r->doc, root, hb_audit_field_names[i]));
	/* the scripts store the time as the string they were given */
	t = hb_json_get(entry_r->doc, root, "time");
	if (t != NULL && t->type == HB_JNUMBER)
		entry_r->time = (long long)t->number;
	else if (t != NULL && t->type == HB_JSTRING)
		entry_r->time = atoll(t->str);
	return 0;
}

void hb_audit_entry_free(struct hb_audit_entry *entry)
{
	hb_json_free(&entry->doc);
}
