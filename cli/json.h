/* json.h - a small, bounded JSON reader for doveadm HTTP API replies: the
 * document is parsed once into a flat node array (strings decoded in a
 * private copy) and walked read-only.  The only JSON parser in hbctl. */
#ifndef HBCTL_JSON_H
#define HBCTL_JSON_H

#include <stddef.h>

#define HBCTL_JSON_MAX_TEXT (1024 * 1024)
#define HBCTL_JSON_MAX_NODES 100000
#define HBCTL_JSON_MAX_NESTING 32

enum hbctl_jtype {
	HBCTL_JNULL, HBCTL_JBOOL, HBCTL_JNUMBER, HBCTL_JSTRING,
	HBCTL_JARRAY, HBCTL_JOBJECT
};

struct hbctl_jnode {
	enum hbctl_jtype type;
	const char *str;	/* JSTRING: decoded, NUL-terminated */
	double number;		/* JNUMBER */
	int boolean;		/* JBOOL */
	size_t children;	/* JARRAY: values; JOBJECT: key+value pairs * 2 */
	size_t first, next;	/* node indexes; 0 = none (0 is the root) */
	size_t last;
};

struct hbctl_jdoc;

/* Parse TEXT (LEN bytes, no NUL needed).  Allocates *DOC_R. */
int hbctl_json_parse(const char *text, size_t len, struct hbctl_jdoc **doc_r,
		     char *err, size_t err_size);
void hbctl_json_free(struct hbctl_jdoc **doc);

const struct hbctl_jnode *hbctl_json_root(const struct hbctl_jdoc *doc);
/* First child (array value, or object key), or NULL. */
const struct hbctl_jnode *hbctl_json_first(const struct hbctl_jdoc *doc,
					   const struct hbctl_jnode *node);
const struct hbctl_jnode *hbctl_json_next(const struct hbctl_jdoc *doc,
					  const struct hbctl_jnode *node);
/* Value of KEY in object OBJ, or NULL. */
const struct hbctl_jnode *hbctl_json_get(const struct hbctl_jdoc *doc,
					 const struct hbctl_jnode *obj,
					 const char *key);

#endif
