/*
 * Active-memory sampling (paper §5.3; see sample.h for the protocol and the three estimates).
 *
 * Arming a page: with ops->test_clear_accessed the EPT accessed bit is cleared and read back at the end of the
 * period; without it the EPT entry is removed and the page flagged SAMPLED, so the next access faults into
 * mm_fault(), which counts it and maps the page again.  A sample that stops being backed during the period (it is
 * ballooned, swapped or shared away) is left out (sample.h).
 */
#include "mm/mm_internal.h"

#define Q16 65536u

static uint32_t ewma(uint32_t avg, uint32_t x, uint32_t gain_q16)
{
	/* avg + g (x - avg), in signed 64-bit so a falling x works */
	return (uint32_t)((int64_t)avg + (((int64_t)x - (int64_t)avg) * (int64_t)gain_q16) / (int64_t)Q16);
}

void sampler_fold(struct sampler *s, const struct mm_tunables *t, uint32_t touched, uint32_t n)
{
	uint32_t f = n ? (uint32_t)(((uint64_t)touched << 16) / n) : 0;

	if (!s->measured) { /* the first measurement replaces the "presumed active" start */
		s->slow_q16 = s->fast_q16 = f;
		s->measured = true;
	} else {
		s->slow_q16 = ewma(s->slow_q16, f, t->ewma_slow_q16);
		s->fast_q16 = ewma(s->fast_q16, f, t->ewma_fast_q16);
	}
	s->last_q16 = f;
}

uint32_t sampler_active_q16(const struct sampler *s, const struct mm_tunables *t)
{
	uint32_t now, best;

	if (!s->measured)
		return Q16;
	/* The current period's touches so far are a lower bound on its f: fold them in as if the period ended now. */
	uint32_t n = s->n - s->released;
	now = n ? ewma(s->fast_q16, (uint32_t)(((uint64_t)s->touched << 16) / n), t->ewma_fast_q16) : 0;
	best = s->slow_q16 > s->fast_q16 ? s->slow_q16 : s->fast_q16;
	return now > best ? now : best;
}

void sample_start(struct mm *mm, struct mm_vm *vm)
{
	struct sampler *s = &vm->sampler;
	uint64_t backed = mm_vm_alloc(vm), tries;

	s->n = s->touched = s->released = 0;
	s->period_start_ms = mm->now_ms;
	s->refused_at_start = vm->stat.refused_faults;
	s->swapins_at_start = vm->guest.swapins;
	if (backed == 0)
		return;
	/* n random backed pages (f is a fraction of allocated pages).  Rejection sampling over the guest, with a bound
	 * so that a nearly empty VM does not spin; duplicates are skipped because an armed page is already SAMPLED.
	 * One invalidation for the whole set: until it, cached translations would hide the next access. */
	vm_batch_begin(mm, vm);
	uint32_t want = MIN(s->cap, mm->tun.sample_pages); /* the set was sized at creation; the tunable may fall */
	for (tries = 0; s->n < want && tries < 8ULL * want * (vm->pmap.npages / backed + 1); tries++) {
		ppn_t p = PPN(rng_below(&mm->rng, vm->pmap.npages));
		pte_t e = pmap_get(&vm->pmap, p);
		if ((pte_state(e) != PS_PRIVATE && pte_state(e) != PS_SHARED) || pte_sampled(e))
			continue;
		s->set[s->n++] = p;
		pmap_set(&vm->pmap, p, e | PTE_SAMPLED);
		if (mm->ops->test_clear_accessed) {
			mm->ops->test_clear_accessed(mm->ctx, vm->id, p);
			mm->batch_dirty = mm->ops->flush != NULL;
		} else {
			vm_unmap(mm, vm, p);
		}
	}
	vm_batch_end(mm, vm);
}

void sample_end(struct mm *mm, struct mm_vm *vm)
{
	struct sampler *s = &vm->sampler;

	for (uint32_t i = 0; i < s->n; i++) {
		ppn_t p = s->set[i];
		pte_t e = pmap_get(&vm->pmap, p);
		if (!pte_sampled(e))
			continue; /* touched (counted at the fault) or released */
		if (mm->ops->test_clear_accessed) {
			s->touched += mm->ops->test_clear_accessed(mm->ctx, vm->id, p);
			pmap_set(&vm->pmap, p, e & ~PTE_SAMPLED);
		} else {
			pmap_set(&vm->pmap, p, e & ~PTE_SAMPLED);
			vm_map_entry(mm, vm, p); /* untouched: give it its mapping back for the next period */
		}
	}
	uint32_t n = s->n - s->released;
	/* Starved: it waited for machine memory, or its guest paged in more than 1/64 of what the VM holds. */
	bool starved = vm->stat.refused_faults != s->refused_at_start ||
		       vm->guest.swapins - s->swapins_at_start > mm_vm_alloc(vm) / 64;
	if (n && !(starved && s->measured && ((uint64_t)s->touched << 16) / n < sampler_active_q16(s, &mm->tun)))
		sampler_fold(s, &mm->tun, s->touched, n);
	s->n = s->touched = s->released = 0;
}

void sample_disarm(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);

	if (pte_sampled(e)) {
		pmap_set(&vm->pmap, ppn, e & ~PTE_SAMPLED);
		vm->sampler.released++;
	}
}

void sample_touched(struct mm *mm, struct mm_vm *vm, ppn_t ppn)
{
	pte_t e = pmap_get(&vm->pmap, ppn);

	pmap_set(&vm->pmap, ppn, e & ~PTE_SAMPLED);
	vm->sampler.touched++;
}
