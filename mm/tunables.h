/*
 * Every knob of the memory manager in one struct (STYLE principle 11), so the simulator can sweep them and the
 * hypervisor can change them live.  Fixed point only (the hypervisor has no FPU state): fractions are per-mille
 * ("_pm", 1000 = 1.0) or Q16 ("_q16", 65536 = 1.0).  Paper = Waldspurger, OSDI 2002.
 */
#ifndef MM_TUNABLES_H
#define MM_TUNABLES_H

#include <stdint.h>

enum share_scope {
	SHARE_GLOBAL = 0, /* any VM with any VM (the paper's ESX 2 behaviour) */
	SHARE_PER_VM = 1, /* only within one VM (ESXi's default since 2014: no cross-VM cache side channel) */
	SHARE_SALTED = 2, /* only between VMs configured with the same salt (same tenant) */
};

struct mm_tunables {
	/* Active-memory sampling (paper §5.3). */
	uint32_t sample_pages;	   /* pages sampled per VM per period (paper: 100) */
	uint32_t sample_period_ms; /* length of one sampling period (paper: 30 s; ESXi later 60 s) */
	uint32_t ewma_slow_q16;	   /* gain of the slow moving average per period, Q16 (default 1/8: falls slowly) */
	uint32_t ewma_fast_q16;	   /* gain of the fast moving average per period, Q16 (default 1/2: rises quickly) */

	/* Allocation policy (paper §5). */
	uint32_t tax_pm;	   /* idle-memory tax rate tau, per-mille (paper default 750 -> k = 4); 0..990 */
	uint32_t target_period_ms; /* recompute targets at least this often (ESXi: 15 s), and on every state change */
	uint32_t free_goal_pm;	   /* when reclaiming, aim targets at this much free memory (default: high + 1%) */

	/* Free-memory states (paper §6): entered downward when free memory falls below the threshold. */
	uint32_t free_high_pm; /* at or above: high state, nothing to do (paper: 6%) */
	uint32_t free_soft_pm; /* below: soft, balloon toward targets (paper: 4%) */
	uint32_t free_hard_pm; /* below: hard, swap to reach targets (paper: 2%) */
	uint32_t free_low_pm;  /* below: low, swap and block VMs above target (paper: 1%) */

	/* Content-based sharing (paper §4). */
	uint32_t scan_vm_pps;	 /* pages scanned per second per VM (ESX 2: 50) */
	uint32_t scan_total_pps; /* pages scanned per second over all VMs (ESX 2: 200) */
	uint32_t share_scope;	 /* enum share_scope */
	uint32_t share_frames_pm; /* sharing frames per 1000 machine pages (16 bytes each; when full, new hints
				     replace old ones in their chain). 500: 0.2% of memory with the buckets */

	/* Ballooning (paper §3.2). */
	uint32_t balloon_max_pm;      /* largest balloon as a fraction of the VM's max (ESXi: 65%) */
	uint32_t balloon_grace_ms;    /* a balloon that has not moved toward its target for this long is distrusted */
	uint32_t balloon_touch_limit; /* ballooned pages the guest may touch before its balloon is distrusted */
	uint32_t inflate_reserve_pages; /* free pages ordinary backing leaves alone, so that a VM stuck on a fault can
					   still reach its balloon driver and inflate (SPEC §2.6 "No deadlock") */
	uint32_t inflate_credit_pages;	/* pages of that reserve a VM may owe: it borrows while its driver inflates
					   (polls a target above its balloon) and what its LOCKs and free reports
					   release repays it; polling forgives nothing */

	/* Swapping (paper §3.3). */
	uint32_t swap_out_pps; /* hypervisor swap-out rate cap, pages per second per VM (the disk's pace) */

	/* Admission control (SPEC §2.8). */
	uint32_t overhead_dev_pages; /* per-VM device state and VMCS pages counted as overhead at admission */

	uint64_t seed; /* seed of the core's pseudo-random generator (scan, sample and swap victims) */
};

/* The paper's defaults. */
void mm_tunables_default(struct mm_tunables *t);
/* 0, or -EINVAL when a value is out of range (thresholds not decreasing, tau >= 99%, zero sample size ...). */
int mm_tunables_check(const struct mm_tunables *t);
/* k = 1 / (1 - tau), Q16. */
uint64_t mm_tax_k_q16(const struct mm_tunables *t);

#endif
