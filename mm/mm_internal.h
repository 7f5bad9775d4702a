/*
 * Helpers shared by the mm/ files that implement struct mm's operations.  Not for the hypervisor: everything here
 * expects mm->lock held.
 */
#ifndef MM_INTERNAL_H
#define MM_INTERNAL_H

#include "mm/mm.h"
#include "mm/pageio.h"

static inline void *mpage_ptr(struct mm *mm, uint32_t idx)
{
	return mm->ops->page_ptr(mm->ctx, mpool_mpn(&mm->pool, idx));
}

/* Install the EPT mapping that the pmap entry of ppn says (private: writable, shared: read-only). */
void vm_map_entry(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
/* Drop the hint frame of ppn, if it has one. */
void vm_drop_hint(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
/* Give up the machine page behind a PRIVATE or SHARED ppn: hint dropped, sample disarmed, EPT unmapped.  The entry
 * is left UNBACKED; the caller sets the state it wants. */
void vm_release_backing(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
/* A new private machine page for (vm, ppn), or MPOOL_NONE. */
uint32_t vm_alloc_private(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
/* The same for a guest access (fault, swap-in, copy-on-write): ordinary backing leaves the inflate reserve alone
 * and a blocked VM gets nothing, except what its inflate credit pays for (balloon.h).  MPOOL_NONE with *err set to
 * -EBUSY (blocked) or -ENOMEM; the refusal is counted and timed. */
uint32_t vm_alloc_for_guest(struct mm *mm, struct mm_vm *vm, ppn_t ppn, int *err);
/* Remove ppn's EPT mapping; inside vm_batch_begin/end the invalidation waits for the batch's end (mm_ops.h). */
void vm_unmap(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
void vm_batch_begin(struct mm *mm, struct mm_vm *vm);
void vm_batch_end(struct mm *mm, struct mm_vm *vm);

/* Sharing domain of a VM under the configured scope, and the value mixed into its hashes. */
uint16_t share_domain(const struct mm *mm, const struct mm_vm *vm);
uint64_t share_salt(uint16_t domain);
int share_try(struct mm *mm, struct mm_vm *vm, ppn_t ppn);	    /* enum share_result */
void share_purge_vm_hints(struct mm *mm, struct mm_vm *vm);

void sample_start(struct mm *mm, struct mm_vm *vm);
void sample_end(struct mm *mm, struct mm_vm *vm);
void sample_disarm(struct mm *mm, struct mm_vm *vm, ppn_t ppn);	    /* its page went away: no information */
void sample_touched(struct mm *mm, struct mm_vm *vm, ppn_t ppn);    /* a fault on an armed page */

void balloon_page_touched(struct mm *mm, struct mm_vm *vm);
void balloon_check(struct mm *mm, struct mm_vm *vm);
void balloon_set_target(struct mm *mm, struct mm_vm *vm);
static inline bool balloon_usable(const struct mm_vm *vm)
{
	return vm->balloon.connected && !vm->balloon.distrusted;
}

int swap_out_locked(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
uint64_t swap_victims_locked(struct mm *mm, struct mm_vm *vm, uint64_t n);

/* Swap I/O in flight (pageio.h). */
int pageio_init(struct mm *mm);
void pageio_destroy(struct mm *mm);
bool pageio_room(const struct mm *mm);		/* an I/O entry is free */
/* Queue the write of private ppn to slot (taken): 0, or -EAGAIN (no I/O entry free; the slot is not freed). */
int pageio_swap_out(struct mm *mm, struct mm_vm *vm, ppn_t ppn, uint64_t slot);
/* A fault on a SWAPPED ppn: queue its read.  -EAGAIN (queued, or no I/O entry free: retry), -EIO (this VM's swap
 * failed before), or vm_alloc_for_guest()'s error. */
int pageio_swap_in(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
/* A fault on a PAGING_OUT ppn: the page is the guest's again, mapped; the write's result is ignored.  0. */
int pageio_take_back(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
/* The VM gives up a PAGING_OUT or PAGING_IN ppn (balloon, free report, destroy): the entry is left UNBACKED and
 * the I/O finishes as an orphan.  True if a machine page holding the guest's data went with it. */
bool pageio_let_go(struct mm *mm, struct mm_vm *vm, ppn_t ppn);

void policy_update_locked(struct mm *mm);

#endif
