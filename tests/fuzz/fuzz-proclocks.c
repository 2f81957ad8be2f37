/* fuzz-proclocks.c - libFuzzer target for lib/hb-proclocks.c, the reader of
 * /proc/locks-style tables (`hbctl locks` may be pointed at any file).
 * Beyond "no crash": every lock handed out has a known class, a pid of -1
 * or 0..2^22, START <= END, and a table is refused only with a reason that
 * names its line.  The whole input is the table, NULs included.
 * Build: tests/fuzz/run-fuzzers.sh proclocks (clang, -fsanitize=fuzzer,...). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "hb-proclocks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond) do { if (!(cond)) __builtin_trap(); } while (0)

static int check_lock(const struct hb_plock *lock, void *ctx, char *error,
		      size_t error_size)
{
	(void)ctx;
	(void)error;
	(void)error_size;
	CHECK(strcmp(hb_plock_class_name(lock->cls), "?") != 0);
	CHECK(lock->pid >= -1 && lock->pid <= 4194304);
	CHECK(lock->start <= lock->end);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char error[256] = "";
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (f == NULL)
		return 0;
	if (hb_plocks_read(f, check_lock, NULL, error, sizeof(error)) < 0)
		CHECK(strncmp(error, "line ", 5) == 0 ||
		      strncmp(error, "read failed", 11) == 0);
	fclose(f);
	return 0;
}
