/*
 * The machine as a whole: initialisation, VM life cycle with admission control (SPEC §2.8), hypervisor pages from
 * the pool, and the periodic tick that paces scanning, sampling, state changes, targets and swapping (paper §§4-6).
 */
#include <ballast/errno.h>
#include <ballast/string.h>
#include "mm/memstate.h"
#include "mm/mm.h"
#include "mm/mm_internal.h"
#include "mm/pagehash.h"

int mm_init(struct mm *mm, const struct mm_tunables *t, const struct mm_ops *ops, void *ctx, const struct mpn_range *r,
	    unsigned nranges, uint64_t swap_slots)
{
	static const uint64_t zero_page[PAGE_SIZE / 8];
	uint64_t nframes;
	int rc;

	memset(mm, 0, sizeof(*mm));
	if ((rc = mm_tunables_check(t)) < 0)
		return rc;
	if (!ops || !ops->page_ptr || !ops->map || !ops->unmap || (swap_slots && !ops->swap_submit))
		return -EINVAL;
	if (!ops->unmap_deferred != !ops->flush) /* both or neither */
		return -EINVAL;
	mm->tun = *t;
	mm->k_q16 = mm_tax_k_q16(t);
	mm->ops = ops;
	mm->ctx = ctx;
	mm->rng.s = t->seed;
	mm->zero_hash = pagehash(zero_page);
	mm_lock_init(&mm->lock);
	if ((rc = mpool_init(&mm->pool, r, nranges)) < 0)
		return rc;
	nframes = (uint64_t)mm->pool.npages * t->share_frames_pm / 1000 + 2;
	if (nframes > PTE_HINT_MASK) /* the pmap keeps a hint's frame index in 28 bits */
		nframes = PTE_HINT_MASK;
	if ((rc = share_init(&mm->share, (uint32_t)nframes)) < 0)
		goto fail_pool;
	if ((rc = swap_init(&mm->swap, swap_slots)) < 0)
		goto fail_share;
	if (swap_slots && (rc = pageio_init(mm)) < 0)
		goto fail_swap;
	mm->pv = mm_zalloc(MM_MAX_VMS * sizeof(*mm->pv));
	if (!mm->pv) {
		rc = -ENOMEM;
		goto fail_io;
	}
	return 0;
fail_io:
	if (mm->io)
		pageio_destroy(mm);
fail_swap:
	swap_destroy(&mm->swap);
fail_share:
	share_destroy(&mm->share);
fail_pool:
	mpool_destroy(&mm->pool);
	return rc;
}

void mm_destroy(struct mm *mm)
{
	MM_BUG_ON(mm->nvms != 0);
	mm_free(mm->pv, MM_MAX_VMS * sizeof(*mm->pv));
	if (mm->io)
		pageio_destroy(mm);
	swap_destroy(&mm->swap);
	share_destroy(&mm->share);
	mpool_destroy(&mm->pool);
}

int mm_set_tunables(struct mm *mm, const struct mm_tunables *t)
{
	int rc = mm_tunables_check(t);

	if (rc < 0)
		return rc;
	mm_lock(&mm->lock);
	/* Sized when allocated, so refused rather than clamped: the sharing table at mm_init, and each VM's sample set
	 * when the VM was created (sample_pages may not exceed the smallest of those while VMs exist). */
	uint32_t samples = UINT32_MAX;
	for (unsigned id = 0; id < MM_MAX_VMS; id++)
		if (mm->vm[id] && mm->vm[id]->sampler.cap < samples)
			samples = mm->vm[id]->sampler.cap;
	if (t->share_frames_pm != mm->tun.share_frames_pm || t->sample_pages > samples) {
		rc = -ERANGE;
		goto out;
	}
	if (t->seed != mm->tun.seed)
		mm->rng.s = t->seed; /* a new seed starts a new sequence, as at mm_init */
	mm->tun = *t;
	mm->k_q16 = mm_tax_k_q16(&mm->tun);
	policy_update_locked(mm);
out:
	mm_unlock(&mm->lock);
	return rc;
}

static int check_params(uint64_t min, uint64_t max, uint32_t shares)
{
	if (shares == 0 || shares > POLICY_MAX_SHARES || max == 0 || min > max)
		return -EINVAL;
	return 0;
}

int mm_vm_create(struct mm *mm, const struct mm_vm_config *c, struct mm_vm **out)
{
	struct mm_vm *vm;
	uint64_t overhead, swap_need;
	unsigned id;
	char why[160];
	int rc;

	if (!c->name || !c->name[0] || strlen(c->name) >= MM_NAME_LEN)
		return -EINVAL;
	if ((rc = check_params(c->min_pages, c->max_pages, c->shares)) < 0)
		return rc;
	if (c->max_pages > UINT32_MAX)
		return -EINVAL;
	mm_lock(&mm->lock);
	for (id = 0; id < MM_MAX_VMS && mm->vm[id]; id++)
		;
	if (id == MM_MAX_VMS) {
		rc = -EBUSY;
		goto out;
	}
	/* Admission: min + overhead must fit in what earlier VMs have not been guaranteed, max - min in swap. */
	overhead = policy_overhead_pages(&mm->tun, c->max_pages);
	/* Without a swap device there is nothing to reserve: max - min is then backed by ballooning and sharing
	 * alone, and a VM above its target in the low state waits (SPEC §2.6) instead of being swapped. */
	swap_need = mm->swap.nslots ? c->max_pages - c->min_pages : 0;
	rc = policy_admit(mm->pool.npages - mm->pool.count[MP_HV], mm->reserved_pages,
			  mm->swap.nslots ? mm->swap.nslots - mm->swap.reserved : UINT64_MAX, c->min_pages,
			  c->max_pages, overhead, why, sizeof(why));
	if (rc < 0) {
		mm_log("mm: vm %s refused: %s", c->name, why);
		goto out;
	}
	rc = -ENOMEM;
	vm = mm_zalloc(sizeof(*vm));
	if (!vm)
		goto out;
	if (pmap_init(&vm->pmap, c->max_pages) < 0)
		goto fail_vm;
	vm->sampler.cap = mm->tun.sample_pages;
	vm->sampler.set = mm_zalloc(vm->sampler.cap * sizeof(ppn_t));
	if (!vm->sampler.set)
		goto fail_pmap;
	rc = swap_reserve(&mm->swap, swap_need);
	MM_BUG_ON(rc < 0); /* checked by admission above */
	vm->id = (uint16_t)id;
	memcpy(vm->name, c->name, strlen(c->name) + 1);
	vm->ram_pages = vm->max_pages = c->max_pages;
	vm->min_pages = c->min_pages;
	vm->shares = c->shares;
	vm->salt = c->salt;
	vm->overhead_pages = overhead;
	vm->target = c->max_pages;
	vm->swap_reserved = swap_need;
	vm->sampler.period_start_ms = mm->now_ms;
	mm->reserved_pages += c->min_pages + overhead;
	mm->vm[id] = vm;
	mm->nvms++;
	*out = vm;
	rc = 0;
	goto out;
fail_pmap:
	pmap_destroy(&vm->pmap);
fail_vm:
	mm_free(vm, sizeof(*vm));
out:
	mm_unlock(&mm->lock);
	return rc;
}

void mm_vm_destroy(struct mm *mm, struct mm_vm *vm)
{
	mm_lock(&mm->lock);
	MM_BUG_ON(mm->vm[vm->id] != vm);
	share_purge_vm_hints(mm, vm);
	for (uint64_t p = 0; p < vm->pmap.npages; p++) {
		pte_t e = pmap_get(&vm->pmap, PPN(p));
		switch (pte_state(e)) {
		case PS_PRIVATE:
		case PS_SHARED:
			vm_release_backing(mm, vm, PPN(p));
			break;
		case PS_SWAPPED:
			swap_slot_free(&mm->swap, pte_obj(e));
			vm->swap_used--;
			pmap_set(&vm->pmap, PPN(p), pte_make(PS_UNBACKED, 0));
			break;
		case PS_PAGING_OUT: /* in flight: the I/O finishes as an orphan and frees page and slot */
		case PS_PAGING_IN:
			pageio_let_go(mm, vm, PPN(p));
			break;
		default:
			break;
		}
	}
	/* Overhead pages (EPT, VMCS) must have been returned by the hypervisor before the VM goes. */
	for (uint32_t i = 0; i < mm->pool.npages; i++)
		MM_BUG_ON(mpool_page(&mm->pool, i)->kind == MP_HV_VM && mpool_page(&mm->pool, i)->id == vm->id);
	swap_unreserve(&mm->swap, vm->swap_reserved);
	mm->reserved_pages -= vm->min_pages + vm->overhead_pages;
	mm->vm[vm->id] = NULL;
	mm->nvms--;
	mm_free(vm->sampler.set, vm->sampler.cap * sizeof(ppn_t));
	pmap_destroy(&vm->pmap);
	mm_free(vm, sizeof(*vm));
	mm_unlock(&mm->lock);
}

int mm_vm_set_shares(struct mm *mm, struct mm_vm *vm, uint32_t shares)
{
	if (check_params(vm->min_pages, vm->max_pages, shares) < 0)
		return -EINVAL;
	mm_lock(&mm->lock);
	vm->shares = shares;
	policy_update_locked(mm);
	mm_unlock(&mm->lock);
	return 0;
}

int mm_vm_set_min(struct mm *mm, struct mm_vm *vm, uint64_t min_pages)
{
	int rc = 0;

	if (check_params(min_pages, vm->max_pages, vm->shares) < 0)
		return -EINVAL;
	mm_lock(&mm->lock);
	uint64_t others = mm->reserved_pages - vm->min_pages, total = mm->pool.npages - mm->pool.count[MP_HV];
	uint64_t grow = min_pages > vm->min_pages ? min_pages - vm->min_pages : 0;
	/* A larger min must still fit in machine memory; a smaller one needs more swap reserved (max - min). */
	bool has_swap = mm->swap.nslots != 0;
	if (others + min_pages > total ||
	    (has_swap && grow == 0 && swap_reserve(&mm->swap, vm->min_pages - min_pages) < 0)) {
		rc = -ENOSPC;
		goto out;
	}
	if (has_swap && grow)
		swap_unreserve(&mm->swap, grow);
	mm->reserved_pages = others + min_pages;
	vm->swap_reserved = has_swap ? vm->ram_pages - min_pages : 0;
	vm->min_pages = min_pages;
	policy_update_locked(mm);
out:
	mm_unlock(&mm->lock);
	return rc;
}

int mm_vm_set_max(struct mm *mm, struct mm_vm *vm, uint64_t max_pages)
{
	if (max_pages > vm->ram_pages)
		return -ERANGE;
	if (check_params(vm->min_pages, max_pages, vm->shares) < 0)
		return -EINVAL;
	mm_lock(&mm->lock);
	/* Swap stays reserved for ram - min: pages above a lowered max may still have to go to swap to get there. */
	vm->max_pages = max_pages;
	if (vm->target_override > max_pages)
		vm->target_override = max_pages;
	policy_update_locked(mm);
	mm_unlock(&mm->lock);
	return 0;
}

int mm_vm_set_target(struct mm *mm, struct mm_vm *vm, uint64_t target_pages)
{
	if (target_pages > vm->max_pages)
		return -EINVAL;
	mm_lock(&mm->lock);
	vm->target_override = target_pages;
	policy_update_locked(mm);
	mm_unlock(&mm->lock);
	return 0;
}

int mm_reserve_ppn(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	int rc = 0;

	mm_lock(&mm->lock);
	if (!pmap_in_range(&vm->pmap, ppn))
		rc = -EFAULT;
	else if (pte_state(pmap_get(&vm->pmap, ppn)) != PS_UNBACKED)
		rc = -EBUSY;
	else
		pmap_set(&vm->pmap, ppn, pte_make(PS_RESERVED, 0));
	mm_unlock(&mm->lock);
	return rc;
}

static mpn_t alloc_hv_kind(struct mm *mm, enum mp_kind kind, uint16_t id)
{
	uint32_t idx;

	mm_lock(&mm->lock);
	idx = mpool_alloc(&mm->pool, kind, id, 0);
	mm_unlock(&mm->lock);
	return idx == MPOOL_NONE ? MPN_INVALID : mpool_mpn(&mm->pool, idx);
}

mpn_t mm_alloc_overhead(struct mm *mm, struct mm_vm *vm)
{
	return alloc_hv_kind(mm, MP_HV_VM, vm->id);
}

mpn_t mm_alloc_hv(struct mm *mm)
{
	return alloc_hv_kind(mm, MP_HV, 0);
}

void mm_free_overhead(struct mm *mm, mpn_t mpn)
{
	mm_lock(&mm->lock);
	uint32_t idx = mpool_idx(&mm->pool, mpn);
	MM_BUG_ON(idx == MPOOL_NONE);
	uint8_t kind = mpool_page(&mm->pool, idx)->kind;
	MM_BUG_ON(kind != MP_HV && kind != MP_HV_VM); /* guest and shared pages are freed by the core only */
	mpool_free(&mm->pool, idx);
	mm_unlock(&mm->lock);
}

uint64_t mm_vm_alloc(const struct mm_vm *vm)
{
	/* A page being written out still holds the guest's data, one being read in is already allocated for it. */
	return vm->pmap.count[PS_PRIVATE] + vm->pmap.count[PS_SHARED] + vm->pmap.count[PS_PAGING_OUT] +
	       vm->pmap.count[PS_PAGING_IN];
}

uint64_t mm_free_pages(const struct mm *mm)
{
	return mpool_free_pages(&mm->pool);
}

uint32_t mm_vm_active_q16(const struct mm *mm, const struct mm_vm *vm)
{
	return sampler_active_q16(&vm->sampler, &mm->tun);
}

/* ---- the tick ------------------------------------------------------------------------------------------------ */

static void update_state(struct mm *mm)
{
	enum memstate next = memstate_next(&mm->tun, mm->state, mpool_free_pages(&mm->pool), mm->pool.npages);

	if (next == mm->state)
		return;
	mm_log("mm: t=%lu free-memory state %s -> %s (free %u of %u pages)", (unsigned long)mm->now_ms,
	       memstate_name(mm->state), memstate_name(next), mpool_free_pages(&mm->pool), mm->pool.npages);
	mm->state = next;
	mm->stat.state_changes++;
	policy_update_locked(mm); /* targets are recomputed on every state change (SPEC §2.6) */
}

void mm_tick(struct mm *mm, uint64_t now_ms)
{
	uint64_t elapsed;

	mm_lock(&mm->lock);
	MM_BUG_ON(now_ms < mm->now_ms);
	elapsed = now_ms - mm->last_tick_ms;
	mm->now_ms = now_ms;
	mm->last_tick_ms = now_ms;
	mm_unlock(&mm->lock);

	mm_scan_step(mm, elapsed);

	mm_lock(&mm->lock);
	for (unsigned i = 0; i < MM_MAX_VMS; i++) {
		struct mm_vm *vm = mm->vm[i];
		if (!vm)
			continue;
		if (now_ms - vm->sampler.period_start_ms >= mm->tun.sample_period_ms) {
			sample_end(mm, vm);
			sample_start(mm, vm);
		} else if (vm->sampler.n == 0 && !vm->sampler.measured) {
			sample_start(mm, vm); /* first tick of a new VM */
		}
		balloon_check(mm, vm);
	}
	update_state(mm);
	if (now_ms - mm->last_target_ms >= mm->tun.target_period_ms)
		policy_update_locked(mm);
	mm_unlock(&mm->lock);

	mm_reclaim_step(mm, elapsed);
}

void mm_sample_period(struct mm *mm)
{
	mm_lock(&mm->lock);
	for (unsigned i = 0; i < MM_MAX_VMS; i++) {
		if (!mm->vm[i])
			continue;
		sample_end(mm, mm->vm[i]);
		sample_start(mm, mm->vm[i]);
	}
	mm_unlock(&mm->lock);
}

void mm_policy_update(struct mm *mm)
{
	mm_lock(&mm->lock);
	update_state(mm);
	policy_update_locked(mm);
	mm_unlock(&mm->lock);
}

/* Targets for every VM from min-funding revocation, aiming free memory at free_goal_pm (paper §5, §6). */
void policy_update_locked(struct mm *mm)
{
	uint64_t total = mm->pool.npages, free_now = mpool_free_pages(&mm->pool), held = 0, budget;
	uint64_t goal = total * mm->tun.free_goal_pm / 1000;
	unsigned n = 0;

	for (unsigned i = 0; i < MM_MAX_VMS; i++) {
		struct mm_vm *vm = mm->vm[i];
		if (!vm)
			continue;
		mm->pv[n++] = (struct policy_vm){
			.min = vm->min_pages,
			.max = vm->max_pages,
			.shares = vm->shares,
			.alloc = mm_vm_alloc(vm),
			.active_q16 = sampler_active_q16(&vm->sampler, &mm->tun),
		};
		/* Demand: what it holds, plus the part of its balloon it would put to use if the balloon deflated.  An
		 * active guest uses returned memory, an idle one mostly does not: weigh the balloon by f. */
		mm->pv[n - 1].demand = mm->pv[n - 1].alloc +
				       ((mm_balloon_size(vm) * (uint64_t)mm->pv[n - 1].active_q16) >> 16);
		held += mm_vm_alloc(vm);
	}
	/* What the VMs may hold: what they hold now plus free memory beyond the goal, or minus the shortfall.  In the
	 * high state nothing is reclaimed (SPEC §2.6), so the budget never falls below what they hold. */
	budget = held + free_now > goal ? held + free_now - goal : 0;
	if (mm->state == MS_HIGH && budget < held)
		budget = held;
	policy_targets(mm->k_q16, mm->pv, n, budget);
	n = 0;
	for (unsigned i = 0; i < MM_MAX_VMS; i++) {
		struct mm_vm *vm = mm->vm[i];
		if (!vm)
			continue;
		vm->target = mm->pv[n++].target;
		if (vm->target_override) /* the operator's word (monitor) wins over the policy */
			vm->target = vm->target_override;
		balloon_set_target(mm, vm);
	}
	mm->last_target_ms = mm->now_ms;
	mm->stat.target_updates++;
}
