/*
 * pmap storage and per-state accounting (see pmap.h for the entry format).  Policy about what a state change means
 * (backing, sharing, ballooning, swapping) lives in fault.c, scan.c, balloon.c and swap.c.
 */
#include <ballast/errno.h>
#include "mm/mm_env.h"
#include "mm/pmap.h"

int pmap_init(struct pmap *pm, uint64_t npages)
{
	*pm = (struct pmap){ 0 };
	if (npages == 0 || npages > UINT32_MAX) /* hint frames store the PPN in 32 bits */
		return -EINVAL;
	pm->e = mm_zalloc(npages * sizeof(pte_t)); /* zero = UNBACKED, no hint, not sampled */
	if (!pm->e)
		return -ENOMEM;
	pm->npages = npages;
	pm->count[PS_UNBACKED] = npages;
	return 0;
}

void pmap_destroy(struct pmap *pm)
{
	mm_free(pm->e, pm->npages * sizeof(pte_t));
	pm->e = NULL;
}

void pmap_set(struct pmap *pm, ppn_t ppn, pte_t e)
{
	pte_t old;

	MM_BUG_ON(!pmap_in_range(pm, ppn));
	old = pm->e[ppn.v];
	MM_ASSERT(pte_state(e) < PS_NSTATES);
	/* Only backed pages can be samples: a sample that stops being backed must have been disarmed first. */
	MM_ASSERT(!pte_sampled(e) || pte_state(e) == PS_PRIVATE || pte_state(e) == PS_SHARED);
	pm->count[pte_state(old)]--;
	pm->count[pte_state(e)]++;
	pm->nsampled += (uint64_t)pte_sampled(e) - (uint64_t)pte_sampled(old);
	pm->e[ppn.v] = e;
}
