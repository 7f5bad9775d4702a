/*
 * The disks found at boot and the swap area chosen among them (SPEC §2.7).
 *
 * Every block device is listed, its first page read and checked for ballast's swap signature
 * (include/ballast/swap_area.h).  A disk without a valid signature is never written, by anything in ballast: it
 * appears here with has_swap_area false, and nothing hands it to a writer.  Of the disks that carry a valid area, the
 * configuration's choice (the first found by default) becomes the hypervisor's swap; a disk is written to only by
 * the swap path (or the test=disk self-test), and only within its area's slots.
 */
#ifndef KERNEL_DISKS_H
#define KERNEL_DISKS_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/swap_area.h>
#include "drivers/block/blockdev.h"

/* The swap area the memory manager uses: slot s is device page first_slot_page + s, for s < nslots. */
struct swap_disk {
	struct blockdev *dev; /* NULL: no swap area, the hypervisor swaps nothing */
	uint64_t first_slot_page; /* 1: page 0 holds the header */
	uint64_t nslots;
	uint8_t uuid[16];
};

/* What discovery found on one disk. */
struct disk {
	struct blockdev *dev;
	bool has_swap_area; /* a valid ballast swap signature: the only kind of disk ballast may write to */
	struct swap_area_info area; /* valid when has_swap_area */
};

extern struct swap_disk swap_disk;

/* Slot s of a swap area lives in device page 1 + s: page 0 holds the header (swap_area.h). */
static inline uint64_t swap_disk_slot_page(uint64_t slot) { return 1 + slot; }

/* Probe the controllers (PCI first), list the disks, check each one's first page.  The boot word ata.dma=off keeps
 * the ATA driver on PIO.  Call after memory_init() and tsc_calibrate(). */
void disks_init(const char *cmdline);
/* Choose the swap area, as the configuration's [machine] swap says: none (off), the one with this UUID, or (uuid
 * NULL) the first found.  Every area not chosen is listed with the reason.  Before hv_mm_init(). */
void disks_choose_swap(bool off, const uint8_t *uuid);

unsigned disks_count(void);
const struct disk *disks_get(unsigned i); /* NULL beyond disks_count() */

#endif
