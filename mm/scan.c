/*
 * Content-based page sharing (paper §4, SPEC §2.2): the scanner and the decision for one page.
 *
 * The scanner picks guest pages at random under two rate caps (per VM and machine-wide, in pages per second), and
 * for each private page:
 *   - a zero page skips hashing: it joins the sharing domain's zero page, or becomes it (no compare needed: a shared
 *     page is mapped read-only everywhere, so the zero page stays zero);
 *   - otherwise hash it (64 bits, pagehash.c; salted by the sharing domain) and walk its chain:
 *       shared frame with equal key -> full compare -> equal: map read-only to it, free the private page;
 *       hint frame with equal key   -> rehash the hinted page: changed -> drop the stale hint; unchanged and equal
 *                                      -> the hinted page becomes the shared page and both map it read-only;
 *       nothing                     -> leave a hint (VM, PPN) without write-protecting the page.
 * A false hash match only leaves the page unshared.  Sharing scope (global / per VM / salted) is a sharing domain
 * per VM: its salt is mixed into every hash and checked on every match, so pages of two domains never meet.
 */
#include <ballast/string.h>
#include "mm/mm_internal.h"
#include "mm/pagehash.h"

uint16_t share_domain(const struct mm *mm, const struct mm_vm *vm)
{
	switch (mm->tun.share_scope) {
	case SHARE_PER_VM:
		return (uint16_t)(vm->id + 1); /* 0 is the global domain */
	case SHARE_SALTED:
		return vm->salt;
	default:
		return 0;
	}
}

uint64_t share_salt(uint16_t domain)
{
	struct mm_rng r = { .s = domain };

	return domain ? rng_next(&r) : 0;
}

/* Map (vm, ppn), whose private page is idx, to the shared frame f instead and free idx. */
static void join_frame(struct mm *mm, struct mm_vm *vm, ppn_t ppn, uint32_t idx, uint32_t f)
{
	uint32_t shared_idx = mm->share.frame[f].obj;

	vm_drop_hint(mm, vm, ppn);
	pmap_set(&vm->pmap, ppn, pte_make(PS_SHARED, shared_idx));
	vm_map_entry(mm, vm, ppn); /* read-only: a later write breaks the sharing */
	mpool_free(&mm->pool, idx);
}

/* Make the private page idx of (vm, ppn) itself the shared page of frame f (a hint frame or a new frame). */
static void become_shared(struct mm *mm, struct mm_vm *vm, ppn_t ppn, uint32_t idx, uint32_t f, uint16_t dom)
{
	mpool_retag(&mm->pool, idx, MP_SHARED, dom, f);
	pmap_set(&vm->pmap, ppn, pte_make(PS_SHARED, idx)); /* also clears its hint: f is no longer one */
	vm_map_entry(mm, vm, ppn);
}

static int share_zero(struct mm *mm, struct mm_vm *vm, ppn_t ppn, uint32_t idx, uint16_t dom)
{
	uint64_t key = mm->zero_hash ^ share_salt(dom);
	uint32_t f, nf;

	for (f = share_chain(&mm->share, key); f; f = sf_next(&mm->share.frame[f])) {
		struct share_frame *fr = &mm->share.frame[f];
		if (sf_is_hint(fr) || !sf_key_match(fr, key) || mpool_page(&mm->pool, fr->obj)->id != dom)
			continue;
		if (!page_is_zero(mpage_ptr(mm, fr->obj))) /* a 2^-48 key collision with a non-zero page */
			continue;
		if (share_get(&mm->share, f) == 0)
			return SHARE_NOMATCH; /* count cannot grow: stay private */
		join_frame(mm, vm, ppn, idx, f);
		mm->stat.zero_shared++;
		return SHARE_ZERO;
	}
	vm_drop_hint(mm, vm, ppn);
	nf = share_add_shared(&mm->share, key, idx);
	if (nf == SF_NIL) {
		mm->stat.table_full++;
		return SHARE_FULL;
	}
	become_shared(mm, vm, ppn, idx, nf, dom);
	mm->stat.zero_shared++;
	return SHARE_ZERO;
}

/* Is hint frame f still a valid candidate, and if so which VM and entry does it name? */
static struct mm_vm *hint_owner(struct mm *mm, uint32_t f)
{
	struct share_frame *fr = &mm->share.frame[f];
	struct mm_vm *hv = mm->vm[sf_hint_vm(fr)];

	MM_ASSERT(hv && pmap_in_range(&hv->pmap, PPN(fr->obj)));
	MM_ASSERT(pte_hint(pmap_get(&hv->pmap, PPN(fr->obj))) == f); /* hints are dropped when their page changes */
	return hv;
}

/* The table is full: make room by dropping a hint from the chain the new one goes to.  Hints are only guesses
 * (a page that was once unique), so the newest candidate is worth more than an old one; shared frames stay. */
static bool evict_hint(struct mm *mm, uint64_t hash)
{
	for (uint32_t f = share_chain(&mm->share, hash); f; f = sf_next(&mm->share.frame[f])) {
		if (!sf_is_hint(&mm->share.frame[f]))
			continue;
		vm_drop_hint(mm, hint_owner(mm, f), PPN(mm->share.frame[f].obj));
		mm->stat.hint_evictions++;
		return true;
	}
	return false;
}

int share_try(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);
	uint16_t dom = share_domain(mm, vm);
	uint32_t idx, f, next, own;
	const void *page;
	uint64_t h;

	if (pte_state(e) != PS_PRIVATE || pte_sampled(e))
		return SHARE_SKIPPED;
	idx = pte_obj(e);
	page = mpage_ptr(mm, idx);
	if (page_is_zero(page)) /* the biggest single source of sharing: no hash, no compare */
		return share_zero(mm, vm, ppn, idx, dom);

	h = pagehash(page) ^ share_salt(dom);
	own = pte_hint(e);
	for (f = share_chain(&mm->share, h); f; f = next) {
		struct share_frame *fr = &mm->share.frame[f];
		next = sf_next(fr);
		if (!sf_key_match(fr, h) || f == own)
			continue;
		if (!sf_is_hint(fr)) {
			if (mpool_page(&mm->pool, fr->obj)->id != dom ||
			    memcmp(page, mpage_ptr(mm, fr->obj), PAGE_SIZE) != 0) {
				mm->stat.false_matches++;
				continue;
			}
			if (share_get(&mm->share, f) == 0)
				return SHARE_NOMATCH;
			join_frame(mm, vm, ppn, idx, f);
			mm->stat.shared++;
			return SHARE_SHARED;
		}
		/* A hint: the hinted page was not write-protected, so rehash it before trusting it. */
		struct mm_vm *hv = hint_owner(mm, f);
		ppn_t hppn = PPN(fr->obj);
		pte_t he = pmap_get(&hv->pmap, hppn);
		const void *hpage = mpage_ptr(mm, pte_obj(he));
		if (share_domain(mm, hv) != dom || pte_sampled(he))
			continue;
		if (!sf_key_match(fr, pagehash(hpage) ^ share_salt(dom))) { /* it changed since: a stale hint */
			vm_drop_hint(mm, hv, hppn);
			mm->stat.stale_hints++;
			continue;
		}
		if (memcmp(page, hpage, PAGE_SIZE) != 0) {
			mm->stat.false_matches++;
			continue;
		}
		/* Equal: the hinted page becomes the shared copy, and this page joins it. */
		share_hint_to_shared(&mm->share, f, pte_obj(he));
		become_shared(mm, hv, hppn, pte_obj(he), f, dom);
		MM_BUG_ON(share_get(&mm->share, f) != 2);
		join_frame(mm, vm, ppn, idx, f);
		mm->stat.shared++;
		return SHARE_SHARED;
	}
	/* No partner yet.  An unchanged page keeps its hint; a changed one gets a new hint under its new hash. */
	if (own && sf_key_match(&mm->share.frame[own], h) && sf_hint_vm(&mm->share.frame[own]) == vm->id)
		return SHARE_HINTED;
	vm_drop_hint(mm, vm, ppn);
	f = share_add_hint(&mm->share, h, vm->id, (uint32_t)ppn.v);
	if (f == SF_NIL && evict_hint(mm, h))
		f = share_add_hint(&mm->share, h, vm->id, (uint32_t)ppn.v);
	if (f == SF_NIL) {
		mm->stat.table_full++;
		return SHARE_FULL;
	}
	pmap_set(&vm->pmap, ppn, pte_with_hint(pmap_get(&vm->pmap, ppn), f));
	mm->stat.hinted++;
	return SHARE_HINTED;
}

void share_purge_vm_hints(struct mm *mm, struct mm_vm *vm)
{
	for (uint64_t p = 0; p < vm->pmap.npages; p++)
		vm_drop_hint(mm, vm, PPN(p));
}

int mm_share_page(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	int rc = SHARE_SKIPPED;

	mm_lock(&mm->lock);
	if (pmap_in_range(&vm->pmap, ppn))
		rc = share_try(mm, vm, ppn);
	mm_unlock(&mm->lock);
	return rc;
}

/*
 * One scanning step for elapsed_ms of time.  Each VM earns scan_vm_pps credit and the machine scan_total_pps; VMs
 * are visited round-robin from a rotating start so that under the total cap no VM is starved.  Credit is kept in
 * milli-pages so that short ticks still add up, and capped at one second's worth so an idle stretch does not turn
 * into a burst.
 */
void mm_scan_step(struct mm *mm, uint64_t elapsed_ms)
{
	uint64_t vm_cap = (uint64_t)mm->tun.scan_vm_pps * 1000, total_cap = (uint64_t)mm->tun.scan_total_pps * 1000;
	bool progress = true;

	mm_lock(&mm->lock);
	mm->scan_credit_mp = MIN(mm->scan_credit_mp + mm->tun.scan_total_pps * elapsed_ms, total_cap);
	for (unsigned i = 0; i < MM_MAX_VMS; i++)
		if (mm->vm[i])
			mm->vm[i]->scan_credit_mp = MIN(mm->vm[i]->scan_credit_mp + mm->tun.scan_vm_pps * elapsed_ms, vm_cap);
	while (progress && mm->scan_credit_mp >= 1000) {
		progress = false;
		for (unsigned j = 0; j < MM_MAX_VMS && mm->scan_credit_mp >= 1000; j++) {
			struct mm_vm *vm = mm->vm[(mm->scan_cursor + j) % MM_MAX_VMS];
			if (!vm || vm->scan_credit_mp < 1000)
				continue;
			/* At random, not in order: an order the guest could predict would be an attack surface, and a
			 * random sample finds the shareable fraction evenly over the whole guest (paper §4.2). */
			share_try(mm, vm, PPN(rng_below(&mm->rng, vm->pmap.npages)));
			vm->scan_credit_mp -= 1000;
			mm->scan_credit_mp -= 1000;
			vm->stat.scanned++;
			mm->stat.scanned++;
			progress = true;
		}
		mm->scan_cursor = (mm->scan_cursor + 1) % MM_MAX_VMS;
	}
	mm_unlock(&mm->lock);
}
