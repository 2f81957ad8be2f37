/* hb-json.h - a small, bounded JSON reader for doveadm HTTP API replies: the
 * document is parsed once into a flat node array (strings decoded in a
 * private copy) and walked read-only.  The only JSON parser in Hummingbird
 * (hbctl and the director's session census). */
#ifndef HB_JSON_H
#define HB_JSON_H

#include <stddef.h>

#define HB_JSON_MAX_TEXT (1024 * 1024)
#define HB_JSON_MAX_NODES 100000
#define HB_JSON_MAX_NESTING 32

enum hb_jtype {
	HB_JNULL, HB_JBOOL, HB_JNUMBER, HB_JSTRING,
	HB_JARRAY, HB_JOBJECT
};

struct hb_jnode {
	enum hb_jtype type;
	const char *str;	/* JSTRING: decoded, NUL-terminated */
	double number;		/* JNUMBER */
	int boolean;		/* JBOOL */
	size_t children;	/* JARRAY: values; JOBJECT: key+value pairs * 2 */
	size_t first, next;	/* node indexes; 0 = none (0 is the root) */
	size_t last;
};

struct hb_jdoc;

/* Parse TEXT (LEN bytes, no NUL needed).  Allocates *DOC_R. */
int hb_json_parse(const char *text, size_t len, struct hb_jdoc **doc_r,
		     char *err, size_t err_size);
void hb_json_free(struct hb_jdoc **doc);

const struct hb_jnode *hb_json_root(const struct hb_jdoc *doc);
/* First child (array value, or object key), or NULL. */
const struct hb_jnode *hb_json_first(const struct hb_jdoc *doc,
					   const struct hb_jnode *node);
const struct hb_jnode *hb_json_next(const struct hb_jdoc *doc,
					  const struct hb_jnode *node);
/* Value of KEY in object OBJ, or NULL. */
const struct hb_jnode *hb_json_get(const struct hb_jdoc *doc,
					 const struct hb_jnode *obj,
					 const char *key);

#endif
