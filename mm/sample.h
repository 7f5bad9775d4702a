/*
 * Active-memory estimation by statistical sampling (paper §5.3, SPEC §2.5).
 *
 * Each period, n random backed pages of a VM are "armed": their next access becomes visible to the hypervisor
 * (EPT entry removed and the page flagged SAMPLED in the pmap, or the EPT accessed bit cleared where the ops table
 * offers it).  Touches are counted as they happen; at the end of the period f = t / n feeds three estimates:
 *   slow   EWMA with a small gain (falls slowly),
 *   fast   EWMA with a large gain (rises quickly),
 *   now    the fast EWMA updated with the current period's partial count t_so_far / n,
 * and the VM's active fraction is the maximum of the three: it rises within a period and falls over many.
 * Two refinements for a VM under memory pressure: a sample whose page goes away during the period (its guest gave
 * it to the balloon or to swap) tells nothing and is left out of n, and a period in which the VM had to wait for
 * machine memory may raise the estimate but not lower it - a starved VM cannot touch its memory, and taking that as
 * idleness would starve it further.  The same holds for a guest paging its own working set in from its swap (its
 * balloon driver reports swap-ins): it thrashes because it has too little, not because it needs little.
 * Until the first period completes a VM is presumed fully active, so a new VM is not taxed before it is measured.
 */
#ifndef MM_SAMPLE_H
#define MM_SAMPLE_H

#include <stdbool.h>
#include <stdint.h>
#include <ballast/page.h>
#include "mm/tunables.h"

struct sampler {
	ppn_t *set;	   /* this period's samples (n entries allocated at VM creation) */
	uint32_t cap;	   /* entries in set */
	uint32_t n;	   /* pages armed this period */
	uint32_t touched;  /* of them, touched so far */
	uint32_t released; /* of them, no longer backed (ballooned, reported, swapped, shared away): no information */
	uint64_t refused_at_start; /* the VM's refused faults when the period began */
	uint64_t swapins_at_start; /* its guest's swap-ins when the period began */
	uint32_t slow_q16; /* slow EWMA of f */
	uint32_t fast_q16; /* fast EWMA of f */
	uint32_t last_q16; /* f of the last complete period */
	bool measured;	   /* at least one period completed */
	uint64_t period_start_ms;
};

/* Fold one finished period (touched of n) into the averages. */
void sampler_fold(struct sampler *s, const struct mm_tunables *t, uint32_t touched, uint32_t n);
/* The VM's active fraction now, Q16: max(slow, fast, fast-with-current-partial-count). */
uint32_t sampler_active_q16(const struct sampler *s, const struct mm_tunables *t);

#endif
