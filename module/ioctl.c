// SPDX-License-Identifier: GPL-2.0-only
/*
 * Table-driven ioctl dispatch shared by every domus file descriptor.
 *
 * A table is indexed by _IOC_NR(); an entry matches only if the whole
 * command number (type, number, direction and argument size) is equal, so
 * a caller built against another ABI gets -ENOTTY rather than a
 * misinterpreted buffer.  The argument is copied in (for _IOC_WRITE),
 * handed to the handler, and copied out (for _IOC_READ) on success.
 */
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/nospec.h>
#include "core.h"

#define DOMUS_IOCTL_STACK_ARG	128

bool domus_all_zero(const void *p, size_t len)
{
	return memchr_inv(p, 0, len) == NULL;
}

const struct domus_ioctl_desc *domus_ioctl_find(const struct domus_ioctl_desc *table,
						size_t n, unsigned int cmd)
{
	unsigned int nr = _IOC_NR(cmd);
	const struct domus_ioctl_desc *d;

	if (_IOC_TYPE(cmd) != DOMUS_IOCTL_TYPE || nr >= n)
		return NULL;
	nr = array_index_nospec(nr, n);
	d = &table[nr];
	if (!d->fn || d->cmd != cmd)
		return NULL;
	return d;
}

long domus_ioctl_dispatch(const struct domus_ioctl_desc *table, size_t n,
			  void *ctx, unsigned int cmd, unsigned long arg)
{
	const struct domus_ioctl_desc *d = domus_ioctl_find(table, n, cmd);

	return d ? domus_ioctl_call(d, ctx, cmd, arg) : -ENOTTY;
}

/* Run entry @d (found for @cmd) with the argument copied in and out. */
long domus_ioctl_call(const struct domus_ioctl_desc *d, void *ctx,
		      unsigned int cmd, unsigned long arg)
{
	u8 stack_buf[DOMUS_IOCTL_STACK_ARG] __aligned(8);
	void __user *uarg = (void __user *)arg;
	unsigned int dir = _IOC_DIR(cmd);
	size_t size = _IOC_SIZE(cmd);
	void *buf = NULL;
	long ret;

	if (dir != _IOC_NONE && size) {
		if (size <= sizeof(stack_buf)) {
			buf = stack_buf;
		} else {
			buf = kmalloc(size, GFP_KERNEL_ACCOUNT);
			if (!buf)
				return -ENOMEM;
		}
		if (dir & _IOC_WRITE) {
			if (copy_from_user(buf, uarg, size)) {
				ret = -EFAULT;
				goto out;
			}
		} else {
			memset(buf, 0, size);
		}
	}

	ret = d->fn(ctx, buf, arg);

	if (ret >= 0 && buf && (dir & _IOC_READ) &&
	    copy_to_user(uarg, buf, size))
		ret = -EFAULT;
out:
	if (buf != stack_buf)
		kfree(buf);
	return ret;
}
