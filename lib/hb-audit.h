/* hb-audit.h - one entry of a domain's audit log P audit:DOM (docs/DOMAINS.md
 * 7).  The change scripts append each entry as one JSON object to a Redis
 * list (admind may only RPUSH there, so it cannot rewrite or trim history);
 * hbctl and admind read them back through this one decoder. */
#ifndef HB_AUDIT_H
#define HB_AUDIT_H

#include <stddef.h>

enum hb_audit_field {
	HB_AUDIT_WHO, HB_AUDIT_FROM, HB_AUDIT_ACTION,
	HB_AUDIT_TARGET, HB_AUDIT_OLD, HB_AUDIT_NEW,
	HB_AUDIT_FIELDS
};

/* "who", "from", ... in the order of enum hb_audit_field */
extern const char *const hb_audit_field_names[HB_AUDIT_FIELDS];

struct hb_jdoc;

struct hb_audit_entry {
	long long time;				/* Unix seconds, 0 if unreadable */
	const char *field[HB_AUDIT_FIELDS];	/* "" when missing */
	struct hb_jdoc *doc;
};

/* Decode one list element.  Returns -1 (and leaves nothing to free) when it
 * is not a JSON object; a field of another type reads as "". */
int hb_audit_entry_parse(const char *text, size_t len, struct hb_audit_entry *entry_r);
void hb_audit_entry_free(struct hb_audit_entry *entry);

#endif
