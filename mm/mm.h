/*
 * ballast's memory manager: the public interface the hypervisor (and the simulator, and the tests) drive.
 *
 * One struct mm describes the machine: the pool of machine pages (mpool.h), the global sharing table (share.h),
 * the swap area (swap.h), the free-memory state (memstate.h) and up to MM_MAX_VMS VMs.  Each struct mm_vm has its
 * pmap (pmap.h), balloon (balloon.h), active-memory sampler (sample.h), its allocation parameters (min, max,
 * shares) and the target the policy (policy.h) set for it.
 *
 * Who calls what (hypervisor side):
 *   boot            mm_init() with the machine pages left after the hypervisor's own, and the swap size
 *   VM start/stop   mm_vm_create() (admission control), mm_vm_destroy()
 *   EPT violation   mm_fault(): backs, unshares (copy-on-write), swaps in, or counts a sample touch
 *   balloon calls   mm_balloon_connect(), mm_balloon_target(), mm_balloon_lock(), mm_balloon_unlock()
 *   timer           mm_tick(now) about every 100 ms - 1 s: scanning, sampling periods, states, targets, swapping
 *   console         mm_memstat_vm() / mm_memstat_machine() lines (SPEC §3), mm_vm_set_shares()/_min()/_max()/_target()
 *   EPT/VMCS pages  mm_alloc_overhead()/mm_free_overhead(), so the audit covers them too
 * Every mm_* function here takes mm->lock itself; the module functions behind them expect it held.
 */
#ifndef MM_MM_H
#define MM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ballast/page.h>
#include "mm/balloon.h"
#include "mm/memstate.h"
#include "mm/mm_env.h"
#include "mm/mm_ops.h"
#include "mm/mpool.h"
#include "mm/pmap.h"
#include "mm/policy.h"
#include "mm/rng.h"
#include "mm/sample.h"
#include "mm/share.h"
#include "mm/swap.h"
#include "mm/tunables.h"

#define MM_MAX_VMS 1024
#define MM_NAME_LEN 16

struct mm_vm_config {
	const char *name;   /* printed in memstat lines */
	uint64_t max_pages; /* guest-physical memory the guest sees */
	uint64_t min_pages; /* guaranteed machine memory */
	uint32_t shares;    /* relative importance, 1 .. POLICY_MAX_SHARES */
	uint16_t salt;	    /* sharing domain under SHARE_SALTED (VMs with equal salts share) */
};

struct mm_vm {
	uint16_t id;
	char name[MM_NAME_LEN];
	uint64_t ram_pages;	 /* guest-physical memory the guest booted with; fixed for its life */
	uint64_t max_pages, min_pages; /* max <= ram: the operator may lower it live (the balloon holds the rest) */
	uint32_t shares;
	uint16_t salt;
	uint64_t overhead_pages; /* reserved at admission */
	uint64_t target;	 /* allocation target in pages, set by the policy */
	uint64_t target_override; /* set by the operator (monitor); 0: the policy decides */
	bool blocked;		 /* low state and above target: new backing only from its inflate credit */
	uint64_t last_refused_ms; /* when a fault of this VM last had to wait for machine memory */
	struct {		 /* the guest's own view, from its balloon driver's STATS call (pages) */
		bool known;
		uint64_t free_pages, avail_pages;
		uint64_t swapins; /* pages read back from the guest's own swap since it booted */
		uint64_t last_ms; /* when it last reported */
	} guest;
	struct pmap pmap;
	struct balloon balloon;
	struct sampler sampler;
	uint64_t swap_reserved, swap_used; /* slots: those of its SWAPPED and PAGING entries */
	uint32_t io_busy;		   /* swap I/Os in flight for it (not counting those it let go of) */
	bool swap_failed;		   /* a swap-in failed: the hypervisor must stop it (faults get -EIO) */
	uint64_t scan_credit_mp;	   /* sharing-scan budget carried over, milli-pages */
	uint64_t swap_credit_mp;	   /* swap-out budget carried over, milli-pages */
	struct {
		uint64_t faults, zero_fills, cow_breaks, cow_reuse, swap_ins, swap_outs, balloon_touches, scanned;
		uint64_t swap_cancels;	 /* pages taken back while their write to swap was in flight */
		uint64_t reserve_faults; /* faults served from the inflate reserve */
		uint64_t refused_faults; /* faults that had to wait (-ENOMEM, -EBUSY) */
		uint64_t reported;	 /* pages the guest reported free and the core released */
	} stat;
};

struct mm {
	struct mm_lock lock;
	struct mm_tunables tun;
	uint64_t k_q16; /* 1 / (1 - tau) */
	const struct mm_ops *ops;
	void *ctx;
	struct mpool pool;
	struct share_table share;
	struct swap_area swap;
	struct swap_io *io;		 /* MM_SWAP_IO_MAX entries (pageio.h); NULL without swap */
	uint32_t io_free, io_busy;	 /* free list head, entries in flight */
	struct mm_rng rng;
	struct mm_vm *vm[MM_MAX_VMS]; /* by id; NULL for unused ids */
	unsigned nvms;
	struct policy_vm *pv; /* scratch for target computation, MM_MAX_VMS entries */
	enum memstate state;
	uint64_t zero_hash;		 /* pagehash() of a zero page */
	uint64_t reserved_pages;	 /* admitted: sum of min + overhead */
	uint64_t now_ms, last_tick_ms, last_target_ms;
	uint64_t scan_credit_mp;	 /* machine-wide scan budget, milli-pages */
	unsigned scan_cursor;		 /* VM id where the next scan round starts (fairness) */
	struct mm_vm *batch_vm;		 /* unmaps of this VM wait for one flush at the batch's end */
	bool batch_dirty;		 /* an unmap of the batch is not yet invalidated */
	struct {
		uint64_t scanned, shared, zero_shared, hinted, false_matches, stale_hints, hint_evictions, table_full,
			state_changes, target_updates;
		uint64_t swap_errors; /* swap I/Os that failed (device error, or a checksum mismatch on swap-in) */
	} stat;
};

/* ---- life cycle ---------------------------------------------------------------------------------------------- */
int mm_init(struct mm *mm, const struct mm_tunables *t, const struct mm_ops *ops, void *ctx, const struct mpn_range *r,
	    unsigned nranges, uint64_t swap_slots);
void mm_destroy(struct mm *mm); /* all VMs must be destroyed first */
/* Change tunables live (monitor, simulator); -EINVAL if invalid, -ERANGE for a change to what was sized when it
 * was allocated (share_frames_pm; sample_pages above the smallest running VM's sample set). */
int mm_set_tunables(struct mm *mm, const struct mm_tunables *t);
/* 0 and *out, or -EINVAL (shares 0 or too large, min > max, max 0, bad name), -ENOSPC (admission refused; the reason
 * is logged), -EBUSY (no VM id left), -ENOMEM (metadata). */
int mm_vm_create(struct mm *mm, const struct mm_vm_config *c, struct mm_vm **out);
void mm_vm_destroy(struct mm *mm, struct mm_vm *vm);
int mm_vm_set_shares(struct mm *mm, struct mm_vm *vm, uint32_t shares);
int mm_vm_set_min(struct mm *mm, struct mm_vm *vm, uint64_t min_pages);
/* -EINVAL below min, -ERANGE above the RAM the guest booted with (growing it would need memory hotplug). */
int mm_vm_set_max(struct mm *mm, struct mm_vm *vm, uint64_t max_pages);
/* Pin vm's allocation target (the balloon follows it); 0 gives the decision back to the policy.  -EINVAL > max. */
int mm_vm_set_target(struct mm *mm, struct mm_vm *vm, uint64_t target_pages);
/* Mark a PPN as the hypervisor's (hypercall page, device window): never backed by the core, never ballooned. */
int mm_reserve_ppn(struct mm *mm, struct mm_vm *vm, ppn_t ppn);

/* ---- EPT violations ------------------------------------------------------------------------------------------ */
/* 0: mapping installed, resume the guest.  -EFAULT: PPN outside the guest; -EPERM: a reserved PPN (emulate it);
 * -ENOMEM: no machine page now (reclaim, then retry); -EBUSY: the VM is blocked in the low state; -EAGAIN: the page
 * is being read from swap (retry after mm_swap_complete()); -EIO: a swap-in of this VM failed: stop it. */
int mm_fault(struct mm *mm, struct mm_vm *vm, ppn_t ppn, bool write);
/* Does ppn read as zeros without a machine page of its own (never backed, or its backing given back)?  A store of
 * zeros there need not back it. */
bool mm_reads_zero(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
/* The machine page behind ppn for the hypervisor's own access (loader, hypercall arguments), backing it, swapping
 * it in or breaking copy-on-write (write) first, exactly as a guest access would.  Errors as mm_fault(). */
int mm_guest_mpn(struct mm *mm, struct mm_vm *vm, ppn_t ppn, bool write, mpn_t *out);

/* ---- balloon hypercalls -------------------------------------------------------------------------------------- */
void mm_balloon_connect(struct mm *mm, struct mm_vm *vm);
uint64_t mm_balloon_target(struct mm *mm, struct mm_vm *vm); /* pages the balloon should hold now */
uint64_t mm_balloon_size(const struct mm_vm *vm);
uint64_t mm_balloon_cap(const struct mm *mm, const struct mm_vm *vm); /* the largest target vm's balloon gets */
/* All or nothing: on error nothing changes and *bad (if given) is the index of the first bad PPN.  lock: -EFAULT out
 * of range, -EEXIST already ballooned or twice in the batch, -EPERM reserved, -E2BIG batch too large, -ENOSPC over
 * the balloon cap, -EPROTO not connected.  unlock: -EFAULT, -ENOENT not ballooned, -EEXIST twice in the batch. */
int mm_balloon_lock(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, unsigned *bad);
int mm_balloon_unlock(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, unsigned *bad);
/* Free page reporting: the guest freed these PPNs; release their backing, keep them the guest's.  Validation and
 * errors as for lock (no cap applies). */
int mm_balloon_report_free(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, unsigned *bad);

/* The hypercall forms: every entry on its own, one lock hold and one invalidation for the whole batch.  status[i]
 * gets 0 or the error the all-or-nothing call above would give for entry i alone (a PPN twice in one batch:
 * lock -EEXIST, unlock -ENOENT, as the first occurrence already changed it).  Returns the entries that succeeded;
 * -E2BIG (nothing done) for n > MM_BALLOON_BATCH. */
int mm_balloon_lock_each(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, int32_t *status);
int mm_balloon_unlock_each(struct mm *mm, struct mm_vm *vm, const ppn_t *ppns, unsigned n, int32_t *status);
/* Free page reporting by runs of contiguous PPNs (Linux reports free blocks of 2 MiB and more): runs[i].status
 * gets 0, -EINVAL (npages 0 or above MM_REPORT_RUN_MAX), -EFAULT (a page outside the guest), -EEXIST (a ballooned
 * page in it) or -EPERM (a reserved page in it); a refused run changes nothing.  Returns the pages released. */
#define MM_REPORT_RUN_MAX 1024
struct mm_ppn_run {
	ppn_t first;
	uint32_t npages;
	int32_t status;
};
int64_t mm_balloon_report_runs(struct mm *mm, struct mm_vm *vm, struct mm_ppn_run *runs, unsigned n);
/* The guest's own view of its memory (balloon STATS), shown in memstat beside what the hypervisor sees. */
void mm_guest_stats(struct mm *mm, struct mm_vm *vm, uint64_t free_pages, uint64_t avail_pages, uint64_t swapins);

/* ---- swap I/O completion (the mechanism; lock not held) --------------------------------------------------- */
struct mm_swap_failure {
	unsigned vm;	 /* VM id */
	ppn_t ppn;
	uint64_t slot;
	const char *why; /* "read error", "checksum mismatch" */
};
/* The device finished the I/O mm_ops.swap_submit() queued as id, with status 0 or a negative errno.  Returns 0, or
 * -EIO when a swap-in failed (device error or checksum mismatch): the page was not mapped, and *fail (if given)
 * names the VM the hypervisor must stop, the PPN and the slot. */
int mm_swap_complete(struct mm *mm, uint32_t id, int status, struct mm_swap_failure *fail);
uint32_t mm_swap_inflight(struct mm *mm); /* I/Os queued and not completed */

/* ---- periodic work ------------------------------------------------------------------------------------------- */
/* Everything below, in order, paced by the clock.  now_ms must not go backwards. */
void mm_tick(struct mm *mm, uint64_t now_ms);
/* The pieces, for tests and for a hypervisor that wants to pace them itself (caller does not hold the lock). */
void mm_scan_step(struct mm *mm, uint64_t elapsed_ms);	  /* sharing scanner under the rate caps */
void mm_sample_period(struct mm *mm);			  /* end the sampling period of every VM, start the next */
void mm_policy_update(struct mm *mm);			  /* recompute every target and balloon target */
void mm_reclaim_step(struct mm *mm, uint64_t elapsed_ms); /* swap toward targets as the state asks; block in low */

/* ---- explicit reclamation (tests, monitor) ------------------------------------------------------------------- */
/* Try to share one page now (scanner's step).  Returns an enum share_result. */
int mm_share_page(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
/* Swap one page out (share-before-swap first).  0 its write is queued (PAGING_OUT until mm_swap_complete()), 1
 * shared instead, -EINVAL not a private page, -ENOSPC no reserved slot left (or no swap), -EAGAIN every I/O busy. */
int mm_swap_out(struct mm *mm, struct mm_vm *vm, ppn_t ppn);
/* Swap up to n random victims of vm; returns pages reclaimed. */
uint64_t mm_swap_victims(struct mm *mm, struct mm_vm *vm, uint64_t n);

/* ---- hypervisor pages from the same pool --------------------------------------------------------------------- */
mpn_t mm_alloc_overhead(struct mm *mm, struct mm_vm *vm); /* EPT table / VMCS page for vm; MPN_INVALID if none */
mpn_t mm_alloc_hv(struct mm *mm);
void mm_free_overhead(struct mm *mm, mpn_t mpn); /* for either kind */

/* ---- observation --------------------------------------------------------------------------------------------- */
uint64_t mm_vm_alloc(const struct mm_vm *vm);	   /* pages backed: private + shared PPNs */
uint32_t mm_vm_active_q16(const struct mm *mm, const struct mm_vm *vm);
uint64_t mm_free_pages(const struct mm *mm);
/* The SPEC §3 lines, without newline; return the length as snprintf does. */
int mm_memstat_vm(struct mm *mm, const struct mm_vm *vm, char *buf, size_t n);
int mm_memstat_machine(struct mm *mm, char *buf, size_t n);
/* Check every invariant of the machine (one owner per machine page, reference counts, hints, swap slots, counters).
 * 0, or -EINVAL after logging the first violation.  Debug builds and tests call it; O(machine + guest pages). */
int mm_audit(struct mm *mm);

enum share_result {
	SHARE_SKIPPED = 0, /* not a candidate (not private, sampled) */
	SHARE_SHARED,	   /* mapped to an existing shared frame or a matching hint: a machine page freed */
	SHARE_ZERO,	   /* a zero page, now the shared zero page */
	SHARE_HINTED,	   /* no match: a hint frame remembers the page */
	SHARE_NOMATCH,	   /* hash matched but contents differ, or the count cannot grow */
	SHARE_FULL,	   /* no sharing frame left */
};

#endif
