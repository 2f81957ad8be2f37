/* fuzz-json.c - libFuzzer target for hbctl's JSON reader (lib/hb-json.c,
 * hb_json_parse): any bytes a backend's doveadm HTTP API could return.
 * An accepted document is walked with the read-only accessors, and every
 * node reached must be a valid one (strings NUL-terminated, counts right).
 * Build: tests/fuzz/run-fuzzers.sh json (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "hb-json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Visit NODE and below; returns the number of nodes seen. */
static size_t walk(const struct hb_jdoc *doc, const struct hb_jnode *node,
		   unsigned int depth)
{
	size_t seen = 1, children = 0;

	if (depth > HB_JSON_MAX_NESTING + 1 || node->type > HB_JOBJECT)
		__builtin_trap();
	if (node->type == HB_JSTRING)
		(void)strlen(node->str);	/* ASan checks it ends in the document */
	for (const struct hb_jnode *c = hb_json_first(doc, node); c != NULL;
	     c = hb_json_next(doc, c)) {
		seen += walk(doc, c, depth + 1);
		children++;
	}
	if (children != node->children ||
	    (node->type == HB_JOBJECT && children % 2 != 0))
		__builtin_trap();
	if (node->type == HB_JOBJECT)
		(void)hb_json_get(doc, node, "exitCode");
	return seen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hb_jdoc *doc = NULL;
	char err[128];

	if (hb_json_parse((const char *)data, size, &doc, err, sizeof(err)) < 0) {
		if (doc != NULL)
			__builtin_trap();
		return 0;
	}
	const struct hb_jnode *root = hb_json_root(doc);
	if (root == NULL || walk(doc, root, 0) > HB_JSON_MAX_NODES)
		__builtin_trap();
	hb_json_free(&doc);
	if (doc != NULL)
		__builtin_trap();
	return 0;
}
