/*
 * EPT violations (SPEC §2.1-2.7): what a guest access to a page the EPT does not (fully) map means, by pmap state.
 *
 *   UNBACKED   first touch: back lazily with a zeroed machine page (paper §2)
 *   PRIVATE    armed for sampling (count the touch) or a stale EPT entry: map it again
 *   SHARED     read: map read-only; write: break copy-on-write (paper §4.1)
 *   BALLOONED  the guest touched a page its balloon gave away: back it, count it against the balloon (paper §3.2)
 *   SWAPPED    queue the read of its slot (paper §3.3): -EAGAIN, the vCPU waits for mm_swap_complete()
 *   PAGING_OUT its write to swap is in flight: take the page back, it never left memory
 *   PAGING_IN  its read is in flight: -EAGAIN again
 *   RESERVED   the hypervisor's page: -EPERM, the caller emulates the access
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "mm/mm_internal.h"

/* Back ppn with a fresh zeroed private page. */
static int back_zeroed(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	int err = 0;
	/* In the low state a VM above its target gets pages only from its inflate credit (balloon.h). */
	uint32_t idx = vm_alloc_for_guest(mm, vm, ppn, &err);

	if (idx == MPOOL_NONE)
		return err;
	memset(mpage_ptr(mm, idx), 0, PAGE_SIZE); /* never leak another owner's data */
	pmap_set(&vm->pmap, ppn, pte_make(PS_PRIVATE, idx));
	vm_map_entry(mm, vm, ppn);
	vm->stat.zero_fills++;
	return 0;
}

/* A write to a shared page: take a private copy, or take the page itself if this is the last reference. */
static int cow_break(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);
	uint32_t idx = pte_obj(e), f = mpool_page(&mm->pool, idx)->link, copy;

	MM_ASSERT(!pte_sampled(e));
	if (share_count(&mm->share, f) == 1) { /* sole user: no copy, just make it writable again */
		share_put(&mm->share, f);
		share_remove(&mm->share, f);
		mpool_retag(&mm->pool, idx, MP_VM, vm->id, (uint32_t)ppn.v);
		pmap_set(&vm->pmap, ppn, pte_make(PS_PRIVATE, idx));
		vm_map_entry(mm, vm, ppn);
		vm->stat.cow_reuse++;
		return 0;
	}
	int err = 0;
	copy = vm_alloc_for_guest(mm, vm, ppn, &err);
	if (copy == MPOOL_NONE)
		return err;
	memcpy(mpage_ptr(mm, copy), mpage_ptr(mm, idx), PAGE_SIZE);
	share_put(&mm->share, f); /* count >= 2 before, so the shared page stays */
	pmap_set(&vm->pmap, ppn, pte_make(PS_PRIVATE, copy));
	vm_map_entry(mm, vm, ppn); /* replaces the read-only mapping */
	vm->stat.cow_breaks++;
	return 0;
}

static int fault_locked(struct mm *mm, struct mm_vm *vm, ppn_t ppn, bool write)
{
	pte_t e;
	int rc;

	if (!pmap_in_range(&vm->pmap, ppn))
		return -EFAULT;
	vm->stat.faults++;
	e = pmap_get(&vm->pmap, ppn);
	if (pte_sampled(e)) { /* an armed sample: the access is what we wanted to see */
		sample_touched(mm, vm, ppn);
		e = pmap_get(&vm->pmap, ppn);
	}
	switch (pte_state(e)) {
	case PS_UNBACKED:
		return back_zeroed(mm, vm, ppn);
	case PS_PRIVATE:
		vm_map_entry(mm, vm, ppn);
		return 0;
	case PS_SHARED:
		if (!write) {
			vm_map_entry(mm, vm, ppn);
			return 0;
		}
		return cow_break(mm, vm, ppn);
	case PS_BALLOONED:
		rc = back_zeroed(mm, vm, ppn);
		if (rc == 0)
			balloon_page_touched(mm, vm);
		return rc;
	case PS_SWAPPED:
		return pageio_swap_in(mm, vm, ppn);
	case PS_PAGING_OUT:
		return pageio_take_back(mm, vm, ppn);
	case PS_PAGING_IN:
		return -EAGAIN;
	case PS_RESERVED:
		return -EPERM;
	default:
		MM_BUG_ON(1);
		return -EINVAL;
	}
}

int mm_fault(struct mm *mm, struct mm_vm *vm, ppn_t ppn, bool write)
{
	int rc;

	mm_lock(&mm->lock);
	rc = fault_locked(mm, vm, ppn, write);
	mm_unlock(&mm->lock);
	return rc;
}

int mm_guest_mpn(struct mm *mm, struct mm_vm *vm, ppn_t ppn, bool write, mpn_t *out)
{
	int rc = 0;
	pte_t e;

	mm_lock(&mm->lock);
	if (!pmap_in_range(&vm->pmap, ppn)) {
		rc = -EFAULT;
		goto out;
	}
	e = pmap_get(&vm->pmap, ppn);
	/* Anything but a private page (or a shared one, to read) takes the guest's own fault path first. */
	if (pte_sampled(e) || !(pte_state(e) == PS_PRIVATE || (!write && pte_state(e) == PS_SHARED)))
		rc = fault_locked(mm, vm, ppn, write);
	if (rc == 0)
		*out = mpool_mpn(&mm->pool, pte_obj(pmap_get(&vm->pmap, ppn)));
out:
	mm_unlock(&mm->lock);
	return rc;
}

bool mm_reads_zero(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	bool zero;

	mm_lock(&mm->lock);
	zero = pmap_in_range(&vm->pmap, ppn) && pte_state(pmap_get(&vm->pmap, ppn)) == PS_UNBACKED;
	mm_unlock(&mm->lock);
	return zero;
}
