/*
 * Hypervisor swapping (paper §3.3, SPEC §2.6-2.7): the panic button when ballooning is not enough or not possible.
 *
 * Victims are chosen at random, never by an LRU: the guest runs its own LRU over the same pages, and a hypervisor
 * that mirrored it would evict exactly what the guest is about to evict itself (double paging).  A victim is first
 * offered to the sharing scanner (share before swap, paper §4): if it is shared, a page is reclaimed without I/O.
 * Each VM may use at most max - min slots, reserved for it at admission.
 *
 * mm_reclaim_step() applies the free-memory state's action: in soft, only VMs whose balloon cannot be used (or is
 * at its cap) are swapped; in hard and low, every VM above its target; in low, VMs above target are also blocked from new backing.
 */
#include <ballast/errno.h>
#include "mm/mm_internal.h"

int swap_out_locked(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);
	uint64_t slot;
	int rc;

	if (pte_state(e) != PS_PRIVATE)
		return -EINVAL;
	if (!pageio_room(mm))
		return mm->io ? -EAGAIN : -ENOSPC; /* every I/O in flight; or no swap at all */
	rc = share_try(mm, vm, ppn);
	if (rc == SHARE_SHARED || rc == SHARE_ZERO)
		return 1;
	if (vm->swap_used >= vm->swap_reserved)
		return -ENOSPC;
	/* Reservations guarantee a slot, except for those still held by I/Os whose VM let go (pageio.h). */
	slot = swap_slot_alloc(&mm->swap);
	if (slot == SWAP_NONE)
		return -ENOSPC;
	vm_drop_hint(mm, vm, ppn);
	sample_disarm(mm, vm, ppn);
	return pageio_swap_out(mm, vm, ppn, slot);
}

uint64_t swap_victims_locked(struct mm *mm, struct mm_vm *vm, uint64_t n)
{
	uint64_t done = 0, tries, backed = vm->pmap.count[PS_PRIVATE];

	if (backed == 0)
		return 0;
	/* Random PPNs until n private pages went out; the try bound keeps a sparse VM from spinning. */
	for (tries = 0; done < n && tries < 4 * n * (vm->pmap.npages / backed + 1); tries++) {
		int rc = swap_out_locked(mm, vm, PPN(rng_below(&mm->rng, vm->pmap.npages)));
		if (rc >= 0)
			done++;
		else if (rc == -ENOSPC || rc == -EAGAIN)
			break;
	}
	return done;
}

int mm_swap_out(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	int rc = -EFAULT;

	mm_lock(&mm->lock);
	if (pmap_in_range(&vm->pmap, ppn))
		rc = swap_out_locked(mm, vm, ppn);
	mm_unlock(&mm->lock);
	return rc;
}

uint64_t mm_swap_victims(struct mm *mm, struct mm_vm *vm, uint64_t n)
{
	uint64_t done;

	mm_lock(&mm->lock);
	done = swap_victims_locked(mm, vm, n);
	mm_unlock(&mm->lock);
	return done;
}

void mm_reclaim_step(struct mm *mm, uint64_t elapsed_ms)
{
	mm_lock(&mm->lock);
	unsigned act = memstate_actions(mm->state);
	for (unsigned i = 0; i < MM_MAX_VMS; i++) {
		struct mm_vm *vm = mm->vm[i];
		if (!vm)
			continue;
		/* Pages whose write is in flight are leaving already: counting them would swap out more each tick. */
		uint64_t alloc = mm_vm_alloc(vm) - vm->pmap.count[PS_PAGING_OUT];
		bool above = alloc > vm->target;
		/* Swap when the state asks for it, or in soft when this VM's balloon cannot do the job: no trusted
		 * driver, or the balloon already at its cap (SPEC §2.6: "page only where ballooning cannot"); and in any
		 * state when the VM holds more than an operator's lowered max and its balloon cannot take it back. */
		bool capped = mm_balloon_size(vm) >= vm->ram_pages * mm->tun.balloon_max_pm / 1000;
		bool over_max = alloc > vm->max_pages && (!balloon_usable(vm) || capped);
		bool swap = above && ((act & MSA_SWAP) || ((act & MSA_BALLOON) && (!balloon_usable(vm) || capped)) ||
				      over_max);
		/* Blocking holds a VM while swapping brings it down (paper §3.3).  A VM that swap cannot bring down (no
		 * swap area, or its reservation used up) is not blocked: its own guest, through the balloon, is all
		 * that can free its memory, and a guest that may not run frees nothing - four such guests froze in
		 * low with free machine memory they were not allowed to use (measured 2026-12-02). */
		bool swappable = vm->swap_used < vm->swap_reserved;
		vm->blocked = above && (act & MSA_BLOCK) && swappable;
		if (!swap) {
			vm->swap_credit_mp = 0;
			continue;
		}
		/* Paced by the disk: swap_out_pps per VM, credit in milli-pages as for the scanner. */
		vm->swap_credit_mp = MIN(vm->swap_credit_mp + mm->tun.swap_out_pps * elapsed_ms,
					 (uint64_t)mm->tun.swap_out_pps * 1000);
		uint64_t n = MIN(vm->swap_credit_mp / 1000, alloc - vm->target);
		vm->swap_credit_mp -= swap_victims_locked(mm, vm, n) * 1000;
	}
	mm_unlock(&mm->lock);
}
