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
