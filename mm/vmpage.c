/*
 * Page-level helpers every mechanism uses to change one pmap entry together with the pool, the sharing table and
 * the EPT, so that the four always agree (SPEC §2.1).  Callers hold mm->lock.
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "mm/mm_internal.h"

void vm_map_entry(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);
	enum pmap_state s = pte_state(e);

	MM_ASSERT(s == PS_PRIVATE || s == PS_SHARED);
	mm->ops->map(mm->ctx, vm->id, ppn, mpool_mpn(&mm->pool, pte_obj(e)), s == PS_PRIVATE);
}

void vm_drop_hint(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);
	uint32_t f = pte_hint(e);

	if (!f)
		return;
	MM_ASSERT(sf_is_hint(&mm->share.frame[f]) && mm->share.frame[f].obj == ppn.v);
	share_remove(&mm->share, f);
	pmap_set(&vm->pmap, ppn, pte_with_hint(e, 0));
}

void vm_release_backing(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e;
	uint32_t idx;

	vm_drop_hint(mm, vm, ppn);
	sample_disarm(mm, vm, ppn);
	e = pmap_get(&vm->pmap, ppn);
	idx = pte_obj(e);
	/* Unmap first: once the machine page is freed no stale translation may reach it. */
	vm_unmap(mm, vm, ppn);
	if (pte_state(e) == PS_PRIVATE) {
		mpool_free(&mm->pool, idx);
	} else {
		MM_ASSERT(pte_state(e) == PS_SHARED);
		uint32_t f = mpool_page(&mm->pool, idx)->link;
		if (share_put(&mm->share, f) == 0) { /* last reference: the shared page goes too */
			share_remove(&mm->share, f);
			mpool_free(&mm->pool, idx);
		}
	}
	pmap_set(&vm->pmap, ppn, pte_make(PS_UNBACKED, 0));
}

uint32_t vm_alloc_private(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	return mpool_alloc(&mm->pool, MP_VM, vm->id, (uint32_t)ppn.v);
}

uint32_t vm_alloc_for_guest(struct mm *mm, struct mm_vm *vm, ppn_t ppn, int *err)
{
	uint32_t free = mpool_free_pages(&mm->pool);
	/* The reserve never takes more than 1/32 of a (small) machine. */
	uint32_t reserve = MIN(mm->tun.inflate_reserve_pages, mm->pool.npages / 32);

	if (!vm->blocked && free > reserve)
		return vm_alloc_private(mm, vm, ppn);
	struct balloon *b = &vm->balloon;
	bool may_borrow = b->borrowed < mm->tun.inflate_credit_pages;
	bool window = mm->now_ms < b->window_until_ms; /* the driver is inflating (balloon.h) */
	bool upper = free > reserve / 4;	      /* the last quarter is for inflates only */
	/* A loan first (in a window from the whole reserve, else from its upper three quarters), repaid by what the
	 * balloon gives back, so that a guest reclaiming into its own swap gets pages as fast as it returns them;
	 * then the once-a-second grant that gets a waiting VM's fault through whatever it owes. */
	if (free && may_borrow && (window || (upper && !vm->blocked))) {
		b->borrowed++;
		vm->stat.reserve_faults++;
		return vm_alloc_private(mm, vm, ppn);
	}
	if (free && upper && b->wait_credit) {
		b->wait_credit--;
		vm->stat.reserve_faults++;
		return vm_alloc_private(mm, vm, ppn);
	}
	*err = vm->blocked ? -EBUSY : -ENOMEM;
	vm->stat.refused_faults++;
	vm->last_refused_ms = mm->now_ms;
	return MPOOL_NONE;
}

void vm_unmap(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	if (mm->batch_vm == vm && mm->ops->unmap_deferred) {
		mm->ops->unmap_deferred(mm->ctx, vm->id, ppn);
		mm->batch_dirty = true;
	} else {
		mm->ops->unmap(mm->ctx, vm->id, ppn);
	}
}

void vm_batch_begin(struct mm *mm, struct mm_vm *vm)
{
	MM_ASSERT(!mm->batch_vm);
	mm->batch_vm = vm;
	mm->batch_dirty = false;
}

void vm_batch_end(struct mm *mm, struct mm_vm *vm)
{
	MM_ASSERT(mm->batch_vm == vm);
	if (mm->batch_dirty)
		mm->ops->flush(mm->ctx, vm->id);
	mm->batch_vm = NULL;
	mm->batch_dirty = false;
}
