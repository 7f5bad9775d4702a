/*
 * Swap slot bookkeeping (paper §3.3, SPEC §2.7): a swap area of nslots 4 KiB slots, a bitmap of the used ones, and
 * a per-VM reservation of max - min slots made at admission, so a VM can always be swapped down to its min.  Which
 * pages go out (random victims, share-before-swap) is decided in swapper.c; the I/O goes through struct mm_ops.
 */
#ifndef MM_SWAP_H
#define MM_SWAP_H

#include <stdint.h>

#define SWAP_NONE UINT64_MAX

struct swap_area {
	uint64_t *bitmap;  /* bit set = slot in use */
	uint32_t *sum;	   /* per slot: checksum of the page written there (pageio.h), checked on swap-in */
	uint64_t nslots;
	uint64_t used;
	uint64_t reserved; /* sum of the per-VM reservations */
	uint64_t hint;	   /* bitmap word where the next search starts */
};

int swap_init(struct swap_area *s, uint64_t nslots); /* nslots may be 0: no swap */
void swap_destroy(struct swap_area *s);
/* Reserve n slots for a VM at admission: -ENOSPC if they are not there. */
int swap_reserve(struct swap_area *s, uint64_t n);
void swap_unreserve(struct swap_area *s, uint64_t n);
uint64_t swap_slot_alloc(struct swap_area *s); /* SWAP_NONE when full */
void swap_slot_free(struct swap_area *s, uint64_t slot);
int swap_slot_used(const struct swap_area *s, uint64_t slot);

#endif
