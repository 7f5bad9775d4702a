/*
 * Block devices as the hypervisor's swap sees them (SPEC §2.7).
 *
 * A disk is a run of 4 KiB pages.  A request moves npages whole pages between the disk, starting at page
 * first_page, and npages machine pages that need not be contiguous (a scatter list of MPNs: the swap path gathers
 * victims from anywhere in memory).  The driver turns pages into sectors; the device's logical sector size (512 or
 * 4096 bytes) and capacity are found when it is probed.
 *
 * Asynchronous by construction, so that no caller ever holds a lock while a disk works:
 *   blockdev_submit()  checks the request and hands it to the driver, which queues it and starts it if the device is
 *                      idle; it returns at once.
 *   blockdev_poll()    lets the driver advance the device by a bounded amount of work (no waiting inside) and says
 *                      -EAGAIN while the request is in flight, then 0 or a negative errno.
 * The paging path (later) submits with the mm lock dropped, runs other work, and polls.  blockdev_rw_sync() spins on
 * poll and exists for boot-time use only.
 *
 * Every request ends.  A device error, or a deadline passed (the driver keeps one per command, from the TSC), ends
 * it with -EIO and a one-line reason in req->why that names the command and decodes the device's error bits.  The
 * driver stops the device's DMA before it ends a request, so the pages are the caller's again whatever the outcome.
 * A failed request is never retried by the driver and never reported as success; what to do next is the caller's
 * decision (the swap path: refuse that slot, keep the page in memory).
 *
 * Drivers fill in a struct blockdev with an ops table and register it: the legacy ATA driver today (one command at
 * a time per channel), AHCI and NVMe later (many in flight).  Requests therefore queue inside the driver, linked
 * through req->next, and poll advances whatever that device has in flight.
 *
 * Locking: none yet; one CPU runs the hypervisor and takes no device interrupts.  With more CPUs each device gets a
 * lock taken inside submit and poll around register work only, never across a wait, so callers stay lock-free.
 */
#ifndef DRIVERS_BLOCK_BLOCKDEV_H
#define DRIVERS_BLOCK_BLOCKDEV_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/compiler.h>
#include <ballast/page.h>

#define BLOCKDEV_PAGE_SIZE 4096 /* the unit of every request: one machine page, one swap slot */
#define BLOCKDEV_MAX 8		/* devices the registry holds */
#define BLOCKDEV_WHY_LEN 160

_Static_assert(BLOCKDEV_PAGE_SIZE == PAGE_SIZE, "a block-device page is a machine page");

enum blockdev_dir {
	BLOCKDEV_READ,	/* disk to memory */
	BLOCKDEV_WRITE, /* memory to disk */
};

struct blockdev;

struct blockdev_request {
	/* IN: set by the caller, then left alone (and the pages array kept alive) until the request has ended. */
	enum blockdev_dir dir;
	uint64_t first_page; /* device offset in 4 KiB pages */
	uint32_t npages;
	const mpn_t *pages; /* npages machine pages */

	/* OUT */
	int status;		    /* -EAGAIN while in flight, then 0 or a negative errno */
	uint32_t pages_done;	    /* pages known moved; on failure, how far the request got */
	char why[BLOCKDEV_WHY_LEN]; /* when status < 0: one line, without the device's name */

	/* The driver's while the request is in flight. */
	struct blockdev *dev;
	struct blockdev_request *next;
};

struct blockdev_ops {
	/* Take a request already checked against the device (in range, non-empty): queue it, start it if the device
	 * is idle.  Never waits.  0, or a negative errno after blockdev_end() (e.g. the device was given up). */
	int (*submit)(struct blockdev *dev, struct blockdev_request *req);
	/* Advance the device's in-flight work by a bounded amount and end requests as they finish or fail (by
	 * deadline too).  Never waits. */
	void (*poll)(struct blockdev *dev);
};

struct blockdev {
	char name[16];	       /* "ata1.0": driver, channel, unit */
	char model[41];	       /* as the device names itself, trailing blanks removed */
	char features[48];     /* how the driver talks to it, e.g. "LBA48, bus-master DMA" */
	uint32_t sector_size;  /* logical sector in bytes: a power of two, 512 to 4096 */
	uint64_t nsectors;     /* logical sectors */
	uint64_t npages;       /* whole 4 KiB pages: what requests address */
	const struct blockdev_ops *ops;
	void *priv; /* the driver's */
};

/* Add a probed device: 0, -EINVAL (sector size not a power of two in 512..4096, no ops), -ENOSPC (registry full). */
int blockdev_register(struct blockdev *dev);
unsigned blockdev_count(void);
struct blockdev *blockdev_get(unsigned i); /* NULL beyond blockdev_count() */

/* Check req against dev and hand it to the driver.  0: in flight, poll it.  Otherwise the request has already ended
 * with that error: -EINVAL (no pages, no page list), -ERANGE (beyond the device's last page), or the driver's. */
int blockdev_submit(struct blockdev *dev, struct blockdev_request *req);
/* -EAGAIN while req is in flight, then its final status. */
int blockdev_poll(struct blockdev_request *req);
/* Boot-time use only: submit, then spin on poll until req ends; its status. */
int blockdev_rw_sync(struct blockdev *dev, struct blockdev_request *req);

/* For drivers: end req with status (0 or a negative errno); a failure's reason is formatted into req->why. */
void blockdev_end(struct blockdev_request *req, int status);
void blockdev_fail(struct blockdev_request *req, int err, const char *fmt, ...) __printf(3, 4);

#endif
