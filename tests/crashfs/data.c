/* data.c - the byte buffers of hb-crashfs files (volatile and durable),
 * bounded per file and in total; every byte held is counted in t->bytes. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tree.h"

static int data_reserve(struct cfs_data *d, size_t size)
{
	size_t cap = d->cap < CFS_BLOCK_SIZE ? CFS_BLOCK_SIZE : d->cap;
	unsigned char *buf;

	if (size <= d->cap)
		return 0;
	while (cap < size)
		cap *= 2;
	if ((buf = realloc(d->buf, cap)) == NULL)
		return -ENOMEM;
	d->buf = buf;
	d->cap = cap;
	return 0;
}

int cfs_data_resize(struct cfs_tree *t, struct cfs_data *d, uint64_t size)
{
	int ret;

	if (size > CFS_MAX_FILE_SIZE)
		return -EFBIG;
	if (size > d->size && t->bytes + (size - d->size) > CFS_MAX_BYTES)
		return -ENOSPC;
	if ((ret = data_reserve(d, size)) < 0)
		return ret;
	if (size > d->size)
		memset(d->buf + d->size, 0, size - d->size);
	t->bytes = t->bytes + size - d->size;
	d->size = size;
	return 0;
}

int cfs_data_copy(struct cfs_tree *t, struct cfs_data *dst, const struct cfs_data *src)
{
	int ret;

	if ((ret = cfs_data_resize(t, dst, src->size)) < 0)
		return ret;
	if (src->size > 0)
		memcpy(dst->buf, src->buf, src->size);
	return 0;
}

void cfs_data_move(struct cfs_tree *t, struct cfs_data *dst, struct cfs_data *src)
{
	cfs_data_free(t, dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void cfs_data_free(struct cfs_tree *t, struct cfs_data *d)
{
	t->bytes -= d->size;
	free(d->buf);
	memset(d, 0, sizeof(*d));
}
