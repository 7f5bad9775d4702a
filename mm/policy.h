/*
 * Allocation policy (paper §5, SPEC §2.4 and §2.8): shares, min-funding revocation with the idle-memory tax, the
 * per-VM targets the reclamation mechanisms steer toward, and admission control.  Pure functions over arrays: they
 * take state and return decisions, so the simulator and the tests call them directly (STYLE principle 1).
 *
 * Min-funding revocation: reclaim from the VM with the lowest adjusted shares-per-page ratio
 *     rho = S / (P * (f + k * (1 - f))),   k = 1 / (1 - tau)
 * S shares, P pages allocated, f active fraction, tau the idle-memory tax.  Repeating that one page at a time until
 * R pages are reclaimed ends with every reclaimed VM at the same level P_i / w_i = X, where w_i = S_i / c_i and
 * c_i = f_i + k (1 - f_i) is the cost of one of its pages; VMs already below the level keep what they have.  So
 * policy_targets() computes the level X directly instead of looping page by page:
 *     T_i(X) = clamp(X * w_i, min_i, max_i),   the largest X with  sum_i min(D_i, T_i(X)) <= B
 * where B is the memory the VMs may hold (their allocations plus free memory above the free goal) and D_i the
 * VM's demand: its allocation plus the part of its balloon it would use if the balloon deflated (the
 * caller estimates it; mm.c weighs the balloon by the active fraction).  With B below the sum of
 * allocations this is revocation: VMs above the level are ballooned or swapped down to it.  With B above it, the
 * surplus is handed out by the same rule, so targets rise only as far as free memory allows instead of jumping
 * to max (which would deflate every balloon and refill memory at once: state flapping).  A VM below its level may
 * grow to T_i (work-conserving: idle entitlement is not held back).
 *
 * Fixed point: f and c in Q16; w_i = (S_i << 32) / c_i; products in 128 bits, no 128-bit division.
 */
#ifndef MM_POLICY_H
#define MM_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include "mm/tunables.h"

#define POLICY_MAX_SHARES 1000000u /* keeps S * P * c inside 128 bits with room to spare */

struct policy_vm {
	uint64_t min, max;   /* IN: pages */
	uint32_t shares;     /* IN: relative importance, 1..POLICY_MAX_SHARES */
	uint64_t alloc;	     /* IN: pages allocated now (P) */
	uint64_t demand;     /* IN: pages it would use if allowed (>= alloc; below alloc is raised to it) */
	uint32_t active_q16; /* IN: estimated active fraction f, Q16 */
	uint64_t target;     /* OUT: pages */
	uint64_t weight;     /* scratch for policy_targets(): (S << 32) / c */
};

/* The per-page cost c = f + k (1 - f) in Q16 (>= 1.0). */
uint64_t policy_cost_q16(uint64_t k_q16, uint32_t active_q16);
/* -1, 0, 1 as rho(a) is below, equal to, above rho(b). */
int policy_rho_cmp(uint64_t k_q16, const struct policy_vm *a, const struct policy_vm *b);
/* Index of the VM to take the next page from (lowest rho among those above min), or -1 if none can give. */
int policy_pick_victim(uint64_t k_q16, const struct policy_vm *v, unsigned n);
/* Fill v[i].target so that the VMs' demands fit in budget pages as min-funding revocation would cut them.  Returns
 * the pages by which the budget is still exceeded because every VM is at its min (0 normally). */
uint64_t policy_targets(uint64_t k_q16, struct policy_vm *v, unsigned n, uint64_t budget);

/* Pages the hypervisor needs for a VM of max_pages besides guest memory: pmap, EPT tables, VMCS and devices. */
uint64_t policy_overhead_pages(const struct mm_tunables *t, uint64_t max_pages);

/* Admission (SPEC §2.8).  total: machine pages for VMs; reserved: sum of admitted VMs' min + overhead; swap_free:
 * unreserved swap slots.  0, or -ENOSPC with a one-line reason naming the shortfall in why. */
int policy_admit(uint64_t total, uint64_t reserved, uint64_t swap_free, uint64_t min, uint64_t max, uint64_t overhead,
		 char *why, size_t whylen);

#endif
