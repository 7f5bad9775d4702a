/*
 * The audit (SPEC §2.1): proves that the pool, the pmaps, the sharing table and the swap area agree.
 *
 *   - every machine page has exactly one owner: pool counters match a recount, the free list holds exactly the
 *     free pages, a private page's reverse map (VM, PPN) names a pmap entry that maps it back;
 *   - every shared page's reference count equals the number of PPNs (over all VMs) that map it;
 *   - every hint frame names a private page whose entry names the frame back, and every chain is well formed;
 *   - every swapped entry owns a distinct used slot, and the slot and per-VM counts add up;
 *   - every swap I/O in flight names the entry that names it back (or, orphaned, holds only its page and slot),
 *     and each used slot belongs to exactly one swapped entry or one I/O;
 *   - per-state pmap counts and balloon sizes match a recount;
 *   - where the mechanism can say (mm_ops.lookup), the EPT agrees with the pmap: a private page maps its own machine
 *     page (or nothing), a shared one its frame's page read-only (or nothing), every other state nothing at all -
 *     above all no page in flight to swap, ballooned or unbacked is still reachable by its guest.
 * Slow (linear in machine plus guest pages) and allocating: for tests, the simulator and debug builds.
 */
#include <ballast/errno.h>
#include "mm/mm_internal.h"

#define FAIL(...)                                                                                                  \
	do {                                                                                                       \
		mm_log("mm: audit: " __VA_ARGS__);                                                                 \
		rc = -EINVAL;                                                                                      \
		goto out;                                                                                          \
	} while (0)

static int audit_locked(struct mm *mm)
{
	struct mpool *pool = &mm->pool;
	struct share_table *t = &mm->share;
	uint32_t *refs = mm_zalloc((uint64_t)pool->npages * sizeof(uint32_t));
	uint64_t *slots = mm->swap.nslots ? mm_zalloc((mm->swap.nslots + 63) / 64 * 8) : NULL;
	uint32_t kinds[MP_NKINDS] = { 0 }, nfree = 0, chained = 0, hints = 0, shared = 0;
	uint64_t swapped_total = 0, busy_total = 0;
	int rc = 0;

	MM_BUG_ON(!refs || (mm->swap.nslots && !slots));
	/* Pool: recount owners, walk the free list. */
	for (uint32_t i = 0; i < pool->npages; i++) {
		const struct mpage *m = mpool_page(pool, i);
		if (m->kind >= MP_NKINDS)
			FAIL("page %u has bad owner kind %u", i, m->kind);
		kinds[m->kind]++;
		if ((m->kind == MP_VM || m->kind == MP_HV_VM) && !mm->vm[m->id])
			FAIL("page %u owned by missing vm %u", i, m->id);
		if (m->kind == MP_VM) {
			struct mm_vm *vm = mm->vm[m->id];
			pte_t e = m->link < vm->pmap.npages ? pmap_get(&vm->pmap, PPN(m->link)) : 0;
			bool paging = pte_state(e) == PS_PAGING_OUT || pte_state(e) == PS_PAGING_IN;
			if (paging ? !mm->io || pte_obj(e) >= MM_SWAP_IO_MAX || mm->io[pte_obj(e)].idx != i : pte_state(e) != PS_PRIVATE || pte_obj(e) != i)
				FAIL("page %u owned by vm %s ppn %u which does not map it", i, vm->name, m->link);
		}
		if (m->kind == MP_IO && (!mm->io || m->link >= MM_SWAP_IO_MAX || !mm->io[m->link].orphan ||
					 mm->io[m->link].idx != i))
			FAIL("page %u held for swap I/O %u that does not hold it", i, m->link);
		if (m->kind == MP_SHARED) {
			const struct share_frame *fr = &t->frame[m->link];
			if (m->link == 0 || m->link >= t->nframes || sf_is_hint(fr) || fr->obj != i)
				FAIL("shared page %u: frame %u does not name it", i, m->link);
		}
	}
	for (unsigned k = 0; k < MP_NKINDS; k++)
		if (kinds[k] != pool->count[k])
			FAIL("pool counts kind %u: %u counted, %u recorded", k, kinds[k], pool->count[k]);
	for (uint32_t i = pool->free_head; i != MPOOL_NONE; i = mpool_page(pool, i)->link) {
		if (mpool_page(pool, i)->kind != MP_FREE || ++nfree > pool->npages)
			FAIL("free list holds page %u that is not free (or loops)", i);
	}
	if (nfree != pool->count[MP_FREE])
		FAIL("free list has %u pages, %u free", nfree, pool->count[MP_FREE]);

	/* pmaps: states, reverse maps, shared references, hints, swap slots. */
	for (unsigned v = 0; v < MM_MAX_VMS; v++) {
		struct mm_vm *vm = mm->vm[v];
		uint64_t count[PS_NSTATES] = { 0 }, nsampled = 0, busy = 0;
		if (!vm)
			continue;
		for (uint64_t p = 0; p < vm->pmap.npages; p++) {
			pte_t e = pmap_get(&vm->pmap, PPN(p));
			enum pmap_state s = pte_state(e);
			uint32_t obj = pte_obj(e), h = pte_hint(e);
			if (s >= PS_NSTATES)
				FAIL("vm %s ppn %lu bad state", vm->name, (unsigned long)p);
			count[s]++;
			nsampled += pte_sampled(e);
			if (pte_sampled(e) && s != PS_PRIVATE && s != PS_SHARED)
				FAIL("vm %s ppn %lu sampled but not backed", vm->name, (unsigned long)p);
			if (h && (s != PS_PRIVATE || h >= t->nframes || !sf_is_hint(&t->frame[h]) ||
				  t->frame[h].obj != p || sf_hint_vm(&t->frame[h]) != vm->id))
				FAIL("vm %s ppn %lu hint %u does not name it back", vm->name, (unsigned long)p, h);
			if ((s == PS_PRIVATE || s == PS_SHARED) && obj >= pool->npages)
				FAIL("vm %s ppn %lu maps page %u outside the pool", vm->name, (unsigned long)p, obj);
			if (s == PS_PRIVATE && (mpool_page(pool, obj)->kind != MP_VM || mpool_page(pool, obj)->id != v ||
						mpool_page(pool, obj)->link != p))
				FAIL("vm %s ppn %lu maps page %u that is not its own", vm->name, (unsigned long)p, obj);
			if (s == PS_SHARED) {
				if (mpool_page(pool, obj)->kind != MP_SHARED)
					FAIL("vm %s ppn %lu shared page %u not owned by the table", vm->name,
					     (unsigned long)p, obj);
				if (mpool_page(pool, obj)->id != share_domain(mm, vm))
					FAIL("vm %s ppn %lu shares across sharing domains", vm->name, (unsigned long)p);
				refs[obj]++;
			}
			if (mm->ops->lookup && s != PS_RESERVED) {
				mpn_t hw;
				bool w;
				if (mm->ops->lookup(mm->ctx, v, PPN(p), &hw, &w) &&
				    ((s != PS_PRIVATE && s != PS_SHARED) || obj >= pool->npages ||
				     !mpn_eq(hw, mpool_mpn(pool, obj)) || (s == PS_SHARED && w)))
					FAIL("vm %s ppn %lu: the EPT maps machine page 0x%lx%s, the pmap says state %u", vm->name,
					     (unsigned long)p, (unsigned long)hw.v, w ? " writable" : "", s);
			}
			if (s == PS_PAGING_OUT || s == PS_PAGING_IN) {
				const struct swap_io *io = mm->io && obj < MM_SWAP_IO_MAX ? &mm->io[obj] : NULL;
				if (!io || io->orphan || io->vm != v || io->ppn != p ||
				    io->kind != (s == PS_PAGING_OUT ? SIO_WRITE : SIO_READ) || io->idx >= pool->npages ||
				    mpool_page(pool, io->idx)->kind != MP_VM)
					FAIL("vm %s ppn %lu paging through I/O %u that does not name it", vm->name,
					     (unsigned long)p, obj);
				obj = io->slot; /* the slot it holds, checked below */
				busy++;
			}
			if (s == PS_SWAPPED || s == PS_PAGING_OUT || s == PS_PAGING_IN) {
				if (obj >= mm->swap.nslots || !swap_slot_used(&mm->swap, obj) ||
				    (slots[obj / 64] >> (obj % 64) & 1))
					FAIL("vm %s ppn %lu swap slot %u not used or used twice", vm->name,
					     (unsigned long)p, obj);
				slots[obj / 64] |= 1ULL << (obj % 64);
			}
		}
		for (unsigned s = 0; s < PS_NSTATES; s++)
			if (count[s] != vm->pmap.count[s])
				FAIL("vm %s state %u: %lu counted, %lu recorded", vm->name, s, (unsigned long)count[s],
				     (unsigned long)vm->pmap.count[s]);
		if (nsampled != vm->pmap.nsampled)
			FAIL("vm %s sampled count wrong", vm->name);
		uint64_t holding = count[PS_SWAPPED] + count[PS_PAGING_OUT] + count[PS_PAGING_IN];
		if (holding != vm->swap_used || vm->swap_used > vm->swap_reserved)
			FAIL("vm %s swap: %lu swapped or paging, %lu used, %lu reserved", vm->name,
			     (unsigned long)holding, (unsigned long)vm->swap_used, (unsigned long)vm->swap_reserved);
		if (busy != vm->io_busy)
			FAIL("vm %s: %lu pages paging, %u I/Os recorded", vm->name, (unsigned long)busy, vm->io_busy);
		swapped_total += holding;
		busy_total += busy;
	}
	/* Orphaned I/Os hold their slot (and maybe a page) until the device is done; the free list holds the rest. */
	uint32_t nfree_io = 0;
	for (uint32_t i = 0; mm->io && i < MM_SWAP_IO_MAX; i++) {
		const struct swap_io *io = &mm->io[i];
		if (io->kind == SIO_FREE || !io->orphan)
			continue;
		if (io->slot >= mm->swap.nslots || !swap_slot_used(&mm->swap, io->slot) ||
		    (slots[io->slot / 64] >> (io->slot % 64) & 1))
			FAIL("orphaned swap I/O %u: slot %u not used or used twice", i, io->slot);
		slots[io->slot / 64] |= 1ULL << (io->slot % 64);
		if (io->idx != MPOOL_NONE && (io->idx >= pool->npages || mpool_page(pool, io->idx)->kind != MP_IO))
			FAIL("orphaned swap I/O %u holds page %u that is not held for it", i, io->idx);
		swapped_total++;
		busy_total++;
	}
	for (uint32_t i = mm->io ? mm->io_free : MPOOL_NONE; i != MPOOL_NONE; i = mm->io[i].next)
		if (i >= MM_SWAP_IO_MAX || mm->io[i].kind != SIO_FREE || ++nfree_io > MM_SWAP_IO_MAX)
			FAIL("swap I/O free list holds %u that is busy (or loops)", i);
	if (busy_total != mm->io_busy || (mm->io && nfree_io + mm->io_busy != MM_SWAP_IO_MAX))
		FAIL("swap I/O: %lu in flight counted, %u recorded, %u free", (unsigned long)busy_total, mm->io_busy,
		     nfree_io);
	if (swapped_total != mm->swap.used)
		FAIL("swap area has %lu used slots, pmaps %lu", (unsigned long)mm->swap.used,
		     (unsigned long)swapped_total);

	/* Sharing table: chains well formed, counts equal references, every shared page referenced. */
	for (uint64_t b = 0; b < (1ULL << t->bucket_bits); b++) {
		for (uint32_t f = t->bucket[b]; f; f = sf_next(&t->frame[f])) {
			const struct share_frame *fr = &t->frame[f];
			if (f >= t->nframes || ++chained > t->nframes)
				FAIL("chain %lu is corrupt", (unsigned long)b);
			if ((fr->key >> (64 - t->bucket_bits)) != b)
				FAIL("frame %u in the wrong chain", f);
			if (sf_is_hint(fr)) {
				struct mm_vm *hv = mm->vm[sf_hint_vm(fr)];
				hints++;
				if (!hv || fr->obj >= hv->pmap.npages || pte_hint(pmap_get(&hv->pmap, PPN(fr->obj))) != f)
					FAIL("hint frame %u names a page that does not name it back", f);
			} else {
				shared++;
				if (fr->obj >= pool->npages || mpool_page(pool, fr->obj)->link != f)
					FAIL("shared frame %u names page %u that is not its own", f, fr->obj);
				if (share_count(t, f) != refs[fr->obj] || refs[fr->obj] == 0)
					FAIL("shared frame %u: count %u but %u PPNs map it", f, share_count(t, f),
					     refs[fr->obj]);
			}
		}
	}
	if (hints != t->nhints || shared != t->nshared || shared != pool->count[MP_SHARED])
		FAIL("table counts: %u hints (%u recorded), %u shared (%u recorded, %u pages)", hints, t->nhints, shared,
		     t->nshared, pool->count[MP_SHARED]);
out:
	mm_free(refs, (uint64_t)pool->npages * sizeof(uint32_t));
	if (slots)
		mm_free(slots, (mm->swap.nslots + 63) / 64 * 8);
	return rc;
}

int mm_audit(struct mm *mm)
{
	int rc;

	mm_lock(&mm->lock);
	rc = audit_locked(mm);
	mm_unlock(&mm->lock);
	return rc;
}
