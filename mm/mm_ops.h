/*
 * The mechanism behind the memory manager (STYLE principle 3): how the core reaches machine page contents, the
 * hardware copy of each pmap (the EPT), the accessed bits used for sampling, and the swap device.
 *
 * The hypervisor implements this over its direct map, EPT and disk driver; host builds over plain arrays
 * (tests/env/fake_machine.c).  The core calls these with struct mm's lock held; none may call back into mm_*, and
 * none may wait for a device: swap I/O is only queued here and completed later through mm_swap_complete().
 *
 * EPT contract: after map(), an access of the allowed kind to (vm, ppn) goes to mpn without a fault; after unmap(),
 * every access faults into mm_fault(); after map(..., writable=false), writes fault.  Each call includes whatever
 * TLB/EPT invalidation is needed before it returns.
 */
#ifndef MM_OPS_H
#define MM_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/page.h>

/* One swap I/O for the mechanism to carry out (slot s is the page at offset s of the swap area's slots). */
struct mm_swap_req {
	uint32_t id; /* handed back to mm_swap_complete() */
	bool write;  /* true: page -> slot (swap-out); false: slot -> page (swap-in) */
	uint64_t slot;
	mpn_t mpn;
};

struct mm_ops {
	/* The 4 KiB contents of a machine page (hypervisor: direct map; host: an array). */
	void *(*page_ptr)(void *ctx, mpn_t mpn);
	/* Install or replace the EPT mapping of ppn in VM vm. */
	void (*map)(void *ctx, unsigned vm, ppn_t ppn, mpn_t mpn, bool writable);
	/* Remove the mapping: the next access faults. */
	void (*unmap)(void *ctx, unsigned vm, ppn_t ppn);
	/* Optional (NULL: the core samples by unmapping instead).  Return the EPT accessed bit of ppn and clear it.
	 * It need not invalidate cached translations when flush() is given: the core calls flush() once after
	 * clearing a period's samples, so that their next access walks the EPT and sets the bit again. */
	bool (*test_clear_accessed)(void *ctx, unsigned vm, ppn_t ppn);
	/* Optional, both or neither: unmap without invalidating, and invalidate everything cached for VM vm.  With
	 * them a batch (a balloon call of 256 PPNs, a free page report) costs one invalidation, not one per page.
	 * The core calls flush() before it releases its lock, so no guest runs on a stale translation. */
	void (*unmap_deferred)(void *ctx, unsigned vm, ppn_t ppn);
	void (*flush)(void *ctx, unsigned vm);
	/* Optional, for the audit: what the hardware maps ppn of VM vm to now.  False when nothing is mapped. */
	bool (*lookup)(void *ctx, unsigned vm, ppn_t ppn, mpn_t *mpn, bool *writable);
	/* Queue swap I/O: copy the machine page to (write) or from a swap slot.  It must not wait for the device; the
	 * mechanism reports the outcome later, with the lock not held, through mm_swap_complete(req->id, status).
	 * Until then the core neither frees nor maps req->mpn.  Needed only when the core was given swap slots. */
	void (*swap_submit)(void *ctx, const struct mm_swap_req *req);
};

#endif
