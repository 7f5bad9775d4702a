/*
 * The disks found at boot and the swap area chosen among them (SPEC §2.7).
 *
 * Every block device is listed and its first page checked for ballast's swap signature
 * (include/ballast/swap_area.h).  A disk whose first page carries none but which has a valid GPT (lib/gpt.c) has
 * the first page of each of its partitions checked the same way.  Each valid signature found, on a whole disk or on
 * a partition, becomes a struct disk_area, and nothing else does: a disk or partition without one is never written
 * by anything in ballast, and neither is the partition table.  Of the areas found, the configuration's choice (the
 * first found by default) becomes the hypervisor's swap; an area is written to only by the swap path (or the
 * test=disk self-test), and only within its slot pages.
 */
#ifndef KERNEL_DISKS_H
#define KERNEL_DISKS_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/swap_area.h>
#include "drivers/block/blockdev.h"

#define DISK_AREAS_MAX 16 /* swap areas discovery keeps, all disks together: ballast uses one, lists the rest */

/* The swap area the memory manager uses: slot s is device page first_slot_page + s, for s < nslots. */
struct swap_disk {
	struct blockdev *dev; /* NULL: no swap area, the hypervisor swaps nothing */
	uint64_t first_slot_page; /* the area's header page + 1: 1 on a whole disk, a partition's first page + 1 */
	uint64_t nslots;
	uint8_t uuid[16];
};

/* What discovery found on one disk. */
struct disk {
	struct blockdev *dev;
	bool has_gpt;	 /* a valid GPT: its partitions were checked, the disk's page 0 is the table's */
	unsigned nareas; /* valid swap areas on it: at most one on a whole disk, any number on a GPT's partitions */
};

/*
 * A valid ballast swap area: the whole of a disk, or one GPT partition of it.  One exists only where
 * swap_area_check() accepted the header page at base_page with the disk's or partition's size as the bound, so the
 * area's pages base_page .. base_page + info.npages - 1 lie inside what was signed.  These are the only device pages
 * ballast ever writes, and only the slot pages among them: never base_page itself, the header.
 */
struct disk_area {
	struct blockdev *dev;
	unsigned partition;	    /* 0: the whole disk; else the GPT partition's number (entry + 1, as Linux counts) */
	uint64_t base_page;	    /* device page of the header: 0 on a whole disk, the partition's first page */
	uint64_t extent_pages;	    /* whole pages of the disk or partition from base_page: info.npages fits in them */
	char name[32];		    /* "ata1.0", or "ata1.0 partition 2": how the boot log names it */
	struct swap_area_info info; /* the signature found at base_page */
};

/* Slot s of an area lives in device page base_page + 1 + s: the header comes first (swap_area.h). */
static inline uint64_t disk_area_slot_page(const struct disk_area *a, uint64_t slot)
{
	return a->base_page + 1 + slot;
}

/* Whether device pages first .. first + n - 1 are all slot pages of a, inside the disk or partition it was found
 * on: what every write to an area must satisfy.  Written without sums that could wrap. */
static inline bool disk_area_holds_slots(const struct disk_area *a, uint64_t first, uint64_t n)
{
	if (a->base_page > a->dev->npages || a->extent_pages > a->dev->npages - a->base_page ||
	    a->info.npages > a->extent_pages)
		return false; /* discovery guarantees neither; checked so that a bug there cannot widen the range */
	return first > a->base_page && n <= a->info.nslots && first - a->base_page - 1 <= a->info.nslots - n;
}

extern struct swap_disk swap_disk;

/* Probe the controllers (PCI first), list the disks, check each one's first page and, on a GPT disk, each
 * partition's.  The boot word ata.dma=off keeps the ATA driver on PIO.  Call after memory_init() and
 * tsc_calibrate(). */
void disks_init(const char *cmdline);
/* Choose the swap area, as the configuration's [machine] swap says: none (off), the one with this UUID, or (uuid
 * NULL) the first found.  Every area not chosen is listed with the reason.  Before hv_mm_init(). */
void disks_choose_swap(bool off, const uint8_t *uuid);

unsigned disks_count(void);
const struct disk *disks_get(unsigned i); /* NULL beyond disks_count() */
unsigned disks_area_count(void);
const struct disk_area *disks_area_get(unsigned i); /* NULL beyond disks_area_count() */

#endif
