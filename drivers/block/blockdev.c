/*
 * The block-device registry and the checks every request passes before a driver sees it (blockdev.h has the
 * interface's contract).
 */
#include <stdarg.h>
#include <ballast/errno.h>
#include <ballast/format.h>
#include "arch/x86_64/cpu.h"
#include "drivers/block/blockdev.h"

static struct blockdev *devices[BLOCKDEV_MAX];
static unsigned ndevices;

int blockdev_register(struct blockdev *dev)
{
	uint32_t ss = dev->sector_size;

	if (!dev->ops || !dev->ops->submit || !dev->ops->poll)
		return -EINVAL;
	/* A page must be a whole number of sectors and a sector no larger than a page: powers of two 512..4096. */
	if (ss < 512 || ss > BLOCKDEV_PAGE_SIZE || (ss & (ss - 1)))
		return -EINVAL;
	if (ndevices == BLOCKDEV_MAX)
		return -ENOSPC;
	dev->npages = dev->nsectors / (BLOCKDEV_PAGE_SIZE / ss);
	devices[ndevices++] = dev;
	return 0;
}

unsigned blockdev_count(void)
{
	return ndevices;
}

struct blockdev *blockdev_get(unsigned i)
{
	return i < ndevices ? devices[i] : 0;
}

void blockdev_end(struct blockdev_request *req, int status)
{
	req->next = 0;
	req->status = status;
}

void blockdev_fail(struct blockdev_request *req, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(req->why, sizeof(req->why), fmt, ap);
	va_end(ap);
	blockdev_end(req, err);
}

int blockdev_submit(struct blockdev *dev, struct blockdev_request *req)
{
	req->dev = dev;
	req->next = 0;
	req->pages_done = 0;
	req->why[0] = 0;
	req->status = -EAGAIN;
	if (!req->npages || !req->pages) {
		blockdev_fail(req, -EINVAL, "empty request (%u pages)", req->npages);
		return req->status;
	}
	/* Written so that no sum can wrap: a request must lie wholly inside the device. */
	if (req->first_page > dev->npages || req->npages > dev->npages - req->first_page) {
		blockdev_fail(req, -ERANGE, "pages %llu-%llu beyond the device's %llu pages",
			      (unsigned long long)req->first_page,
			      (unsigned long long)req->first_page + req->npages - 1, (unsigned long long)dev->npages);
		return req->status;
	}
	for (uint32_t i = 0; i < req->npages; i++) {
		if (!mpn_valid(req->pages[i])) {
			blockdev_fail(req, -EFAULT, "page %u of the request has no machine page", i);
			return req->status;
		}
	}
	int err = dev->ops->submit(dev, req);
	if (err && req->status == -EAGAIN)
		blockdev_fail(req, err, "refused by the driver"); /* a driver must end what it refuses; be sure */
	return err;
}

int blockdev_poll(struct blockdev_request *req)
{
	if (req->status == -EAGAIN)
		req->dev->ops->poll(req->dev);
	return req->status;
}

int blockdev_rw_sync(struct blockdev *dev, struct blockdev_request *req)
{
	int err = blockdev_submit(dev, req);

	if (err)
		return err;
	/* Ends: the driver fails every command whose deadline passes. */
	while ((err = blockdev_poll(req)) == -EAGAIN)
		cpu_relax();
	return err;
}
